// The real helm (helm.sh/helm/v3, built from its Go module by scripts/lib/gotool.ts as test/tools/helm),
// for the chart's unit tests (lint, template) and its integration test (install on the control plane).
import { execFile as execFileCallback } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureGoTool } from '../../scripts/lib/gotool.ts';
import { CHART_DIR } from '../../scripts/lib/helm-chart.ts';

const execFile = promisify(execFileCallback);

export const CHART_PATH = join(import.meta.dirname, '..', '..', CHART_DIR);

/** A cold build compiles helm and client-go: minutes. `npm test`'s pretest builds it first. */
export const HELM_BUILD_TIMEOUT_MS = 20 * 60_000;

// Helm keeps caches, config and release data under these; a throw-away home keeps the machine's out of it.
const helmHome = mkdtempSync(join(tmpdir(), 'chaman-helm-home-'));
process.once('exit', () => rmSync(helmHome, { recursive: true, force: true }));
const helmEnv = {
  ...process.env,
  HELM_CACHE_HOME: join(helmHome, 'cache'),
  HELM_CONFIG_HOME: join(helmHome, 'config'),
  HELM_DATA_HOME: join(helmHome, 'data'),
  KUBECONFIG: process.env.KUBECONFIG ?? join(helmHome, 'no-kubeconfig'),
};

/** Runs helm with `args`; resolves with stdout, or rejects with helm's stderr in the message. */
export async function helm(args: string[]): Promise<string> {
  const binary = await ensureGoTool('helm');
  try {
    const { stdout } = await execFile(binary, args, { env: helmEnv, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`helm ${args.join(' ')}:\n${e.stderr || e.message}\n${e.stdout ?? ''}`);
  }
}

/** `--set` arguments for the given values (dotted keys; lists as {a,b}). */
export type HelmValues = Record<string, string | number | boolean | readonly string[]>;
export const setValues = (values: HelmValues): string[] =>
  Object.entries(values).flatMap(([key, value]) => ['--set', `${key}=${Array.isArray(value) ? `{${value.join(',')}}` : String(value)}`]);
