// A plan test's world: an emulator in this process with a read-write token (the "operator") and a
// read-only one (the plan's), manifests written to a temporary folder, and the plan made from them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ChamanHttpClient } from '../../../src/chaman/http-client.ts';
import type { Settings } from '../../../src/controller/ports.ts';
import { DEFAULT_SHA1_CUTOFF } from '../../../src/domain/types.ts';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/server.ts';
import { loadPlanInput } from '../../../src/plan/input.ts';
import type { ClusterReader } from '../../../src/plan/live.ts';
import { makePlan } from '../../../src/plan/plan.ts';
import type { Plan } from '../../../src/plan/types.ts';
import { validatePlanJson } from '../../support/plan-schema.ts';

export const SETTINGS: Settings = {
  defaultDeletionPolicy: 'Delete',
  certExpiryWarningMs: 30 * 86_400_000,
  resyncPeriodMs: 3_600_000,
  sha1Cutoff: DEFAULT_SHA1_CUTOFF,
  reconcileTimeoutMs: 30_000,
  requireSenderGrant: true,
};

export interface PlanEnv {
  emulator: RunningEmulator;
  /** may write: stands for the operator */
  writer: ChamanHttpClient;
  /** read-only: the plan's credential */
  reader: ChamanHttpClient;
  dir: string;
  /** `cluster` stands for --kubeconfig. */
  plan(documents: Record<string, unknown>[], cluster?: ClusterReader): Promise<Plan>;
  stop(): Promise<void>;
}

export async function startPlanEnv(): Promise<PlanEnv> {
  const emulator = await startEmulator({ tokens: { rw: '*', ro: '*' }, readOnlyTokens: ['ro'] });
  const writer = new ChamanHttpClient({ baseUrl: emulator.url, auth: { kind: 'token', token: 'rw' }, retry: false });
  const reader = new ChamanHttpClient({ baseUrl: emulator.url, auth: { kind: 'token', token: 'ro' }, retry: false });
  const dir = mkdtempSync(join(tmpdir(), 'plan-'));
  return {
    emulator,
    writer,
    reader,
    dir,
    async plan(documents, cluster) {
      const file = join(dir, 'input.yaml');
      writeFileSync(file, documents.map((d) => `---\n${stringify(d)}`).join(''));
      const now = new Date();
      const loaded = await loadPlanInput([file], { now, sha1Cutoff: SETTINGS.sha1Cutoff });
      if (!loaded.input) throw new Error(`invalid input: ${JSON.stringify(loaded.findings)}`);
      const plan = await makePlan({ input: loaded.input, chaman: reader, ...(cluster ? { cluster } : {}), settings: SETTINGS, now });
      // Every plan these tests make is also checked against the published schema.
      if (!validatePlanJson(JSON.parse(JSON.stringify(plan)))) throw new Error(`plan JSON breaks docs/plan.schema.json: ${JSON.stringify(validatePlanJson.errors)}`);
      return plan;
    },
    async stop() {
      await writer.close();
      await reader.close();
      await emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const NS = 'payroll';
export const CONTACT = { name: 'Jane Peeters', phone: { countryCode: '+32', number: '0486531619' }, email: 'jane@apk.example', language: 'fr' as const };

export const sender = (number = '300010') => ({
  apiVersion: 'chaman.io/v1alpha1',
  kind: 'ChamanSender',
  metadata: { name: 'apk', namespace: NS },
  spec: { senderNumber: number, organization: { kind: 'Enterprise', name: 'APK' }, contact: CONTACT },
});

export const grant = (number = '300010') => ({
  apiVersion: 'chaman.io/v1alpha1',
  kind: 'ChamanSenderGrant',
  metadata: { name: 'payroll' },
  spec: { senderNumbers: [number], namespaces: [NS] },
});

export const account = (name: string, spec: Record<string, unknown>, annotations?: Record<string, string>) => ({
  apiVersion: 'chaman.io/v1alpha1',
  kind: 'ChannelAccount',
  metadata: { name, namespace: NS, ...(annotations ? { annotations } : {}) },
  spec: { senderRef: { name: 'apk' }, ...spec },
});

export const tlsSecret = (name: string, pem: string, keyPem: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: NS },
  type: 'kubernetes.io/tls',
  data: { 'tls.crt': Buffer.from(pem).toString('base64'), 'tls.key': Buffer.from(keyPem).toString('base64') },
});

export const stringSecret = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, stringData: data });

export const upload = (name: string, der: Uint8Array) => ({ name, fileName: `${name}.cer`, content: Buffer.from(der).toString('base64') });
