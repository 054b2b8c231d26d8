// `chaman-operator plan` as users run it (a process), and examples/ moved into a test's namespace.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { exampleSecrets } from '../../../src/devtools/example-secrets.ts';
import type { RequestLogEntry, RunningEmulator } from '../../../src/emulator/server.ts';
import type { Plan } from '../../../src/plan/types.ts';

const root = new URL('../../../', import.meta.url).pathname;

export type Doc = Record<string, any>;

/**
 * A sender number of this test's own: with --kubeconfig, plan sees every ChamanSender of the shared
 * control plane, and another test's sender with the same number would be a SenderConflict.
 */
export const uniqueSenderNumber = (): string => String(400000 + Math.floor(Math.random() * 500000));

/** examples/ and fresh Secrets for them, in `namespace` with `senderNumber` (the grant named after the namespace, covering it). */
export async function examplesIn(namespace: string, senderNumber: string): Promise<Doc[]> {
  const docs: Doc[] = [];
  for (const file of readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const d of parseAllDocuments(readFileSync(join(root, 'examples', file), 'utf8'))) {
      const doc = d.toJS() as Doc;
      if (doc.kind === 'Namespace') continue;
      if (doc.kind === 'ChamanSenderGrant') docs.push({ ...doc, metadata: { name: `plan-${namespace}` }, spec: { senderNumbers: [senderNumber], namespaces: [namespace] } });
      else if (doc.kind === 'ChamanSender') docs.push({ ...doc, metadata: { ...doc.metadata, namespace }, spec: { ...doc.spec, senderNumber } });
      else docs.push({ ...doc, metadata: { ...doc.metadata, namespace } });
    }
  }
  return [...docs, ...(await exampleSecrets({ namespace }))];
}

export function writeInput(docs: Doc[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'plan-input-'));
  writeFileSync(join(dir, 'input.yaml'), docs.map((d) => `---\n${stringify(d)}`).join(''));
  return dir;
}

export function tokenFile(token: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'plan-token-')), 'token');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return file;
}

export interface PlanRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The emulator's log of the requests made while the plan ran. */
  requests: RequestLogEntry[];
}

/** Runs `chaman-operator plan` as a process and gives back what it printed and sent to Chaman. */
export async function runPlan(emulator: RunningEmulator, args: string[]): Promise<PlanRun> {
  const since = emulator.requests().recent.at(-1)?.seq ?? 0;
  const node = process.execPath;
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(node, [join(root, 'src/cli.ts'), 'plan', ...args], { cwd: root, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
  return { code, stdout, stderr, requests: emulator.requests(since).recent };
}

export const parsePlan = (run: PlanRun): Plan => JSON.parse(run.stdout) as Plan;
