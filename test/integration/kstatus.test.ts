// What Flux shows for each state the operator writes, computed by the real kstatus library
// (sigs.k8s.io/cli-utils/pkg/kstatus/status, through the Go tool test/tools/kstatus) on objects
// read back from the real API server. No operator runs here: each state's status is written to the
// status subresource as the operator writes it, then read back, so the test sees what Flux sees
// (defaulting, pruning, the status schema). docs/gitops.md carries the same table.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureGoTool } from '../../scripts/lib/gotool.ts';
import { AccessDeniedError, UnavailableError } from '../../src/chaman/errors.ts';
import { certificateExpiry } from '../../src/controller/channel-account/certificate-status.ts';
import { mergeConditions, outcomeConditions, type Outcome } from '../../src/controller/driver/conditions.ts';
import { fromChaman } from '../../src/controller/chaman-errors.ts';
import { classifyError, invalidOutcome, NeedsUserError, stalledOutcome } from '../../src/controller/driver/error-policy.ts';
import { pausedOutcome } from '../../src/controller/driver/outcomes.ts';
import { createKubeClient, resourcePath, RESOURCES, type KubeClient, type KubeObject, type ResourceType } from '../../src/kube/client.ts';
import { createNamespace, deleteNamespace, kubeconfigPath } from './support/cluster.ts';

type Kind = 'ChannelAccount' | 'ChamanSender';
type KstatusResult = 'Current' | 'InProgress' | 'Failed';

/** The outcome a verdict of the error policy writes (the states the operator reaches through an error). */
function outcomeOf(error: unknown): Outcome {
  const verdict = classifyError(fromChaman(error));
  if (!('outcome' in verdict)) throw new Error(`the error policy writes no status for ${String(error)}`);
  return verdict.outcome;
}

const message = (what: string) => `${what} (test)`;

/**
 * THE table: each state the operator writes, the outcome it writes it with (the same constructors
 * or literals as src/controller), and what kstatus must compute. Keep docs/gitops.md in step.
 */
const STATES: { state: string; kind: Kind; outcome: Outcome; kstatus: KstatusResult }[] = [
  {
    state: 'Ready (Available)',
    kind: 'ChannelAccount',
    outcome: { ready: { status: 'True', reason: 'Available', message: message('in sync') }, synced: { ok: true, reason: 'ReconcileSuccess', message: 'Chaman was read and matches the spec.' }, progressing: false },
    kstatus: 'Current',
  },
  {
    state: 'Creating',
    kind: 'ChannelAccount',
    outcome: { ready: { status: 'False', reason: 'Creating', message: message('creating') }, synced: { ok: true, reason: 'ReconcileSuccess', message: message('creating') }, progressing: true },
    kstatus: 'InProgress',
  },
  {
    state: 'Updating',
    kind: 'ChannelAccount',
    outcome: { ready: { status: 'False', reason: 'Updating', message: message('updating') }, synced: { ok: true, reason: 'ReconcileSuccess', message: message('updating') }, progressing: true },
    kstatus: 'InProgress',
  },
  {
    state: 'Invalid',
    kind: 'ChannelAccount',
    outcome: invalidOutcome([{ rule: 'R6', field: 'spec.certificates[0]', severity: 'error', message: 'RSA-1024 is not allowed: use RSA 2048+ or EC P-384/P-521.' }]),
    kstatus: 'Failed',
  },
  {
    state: 'SenderNotReady',
    kind: 'ChannelAccount',
    outcome: { ready: { status: 'False', reason: 'SenderNotReady', message: message('sender') }, synced: { ok: true, reason: 'ReconcileSuccess', message: message('sender') }, progressing: true },
    kstatus: 'InProgress',
  },
  { state: 'AccessDenied', kind: 'ChannelAccount', outcome: outcomeOf(new AccessDeniedError('300010')), kstatus: 'Failed' },
  { state: 'BackendUnavailable', kind: 'ChannelAccount', outcome: outcomeOf(new UnavailableError('503 from Chaman')), kstatus: 'InProgress' },
  {
    state: 'Drifted (Observe)',
    kind: 'ChannelAccount',
    outcome: { ready: { status: 'False', reason: 'Drifted', message: message('drift') }, synced: { ok: true, reason: 'ReconcileSuccess', message: 'Chaman was read.' }, progressing: false, stalled: { reason: 'Drifted', message: message('drift') } },
    kstatus: 'Failed',
  },
  { state: 'Stalled', kind: 'ChannelAccount', outcome: outcomeOf(new NeedsUserError(message('two candidates'), { reason: 'Stalled', stalledReason: 'CannotIdentifyAccount' })), kstatus: 'Failed' },
  { state: 'NotGranted', kind: 'ChamanSender', outcome: stalledOutcome('NotGranted', 'NotGranted', message('no grant')), kstatus: 'Failed' },
  {
    // The driver's own paused outcome for an object that was Ready: it keeps Ready, so Flux's wait ends.
    state: 'Paused after Ready',
    kind: 'ChannelAccount',
    outcome: pausedOutcome({ metadata: { name: 'x' }, spec: {}, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Available', message: message('ready'), lastTransitionTime: '2026-12-01T00:00:00Z' }] } }),
    kstatus: 'Current',
  },
  {
    // Paused before its first reconcile: nothing to keep, Ready=Unknown, and kstatus waits on Ready.
    state: 'Paused before any Ready',
    kind: 'ChannelAccount',
    outcome: pausedOutcome({ metadata: { name: 'x' }, spec: {} }),
    kstatus: 'InProgress',
  },
];

const rt = (kind: Kind): ResourceType => (kind === 'ChamanSender' ? RESOURCES.chamanSenders : RESOURCES.channelAccounts);

let kstatusBinary: string;
let kube: KubeClient;
let namespace: string;

beforeAll(async () => {
  kstatusBinary = await ensureGoTool('kstatus');
  kube = await createKubeClient({ kubeconfig: kubeconfigPath() });
  namespace = await createNamespace('kstatus');
}, 300_000);

afterAll(async () => {
  if (namespace) await deleteNamespace(namespace);
  await kube?.close();
});

function manifest(kind: Kind, name: string): KubeObject {
  const metadata = { name, namespace };
  if (kind === 'ChamanSender') {
    return {
      apiVersion: 'chaman.io/v1alpha1',
      kind,
      metadata,
      spec: {
        senderNumber: '300010',
        organization: { kind: 'Enterprise', name: 'APK Recycling' },
        contact: { name: 'Jane Peeters', phone: { countryCode: '+32', number: '0486531619' }, email: 'jane.peeters@apk.example', language: 'fr' },
      },
    } as KubeObject;
  }
  return {
    apiVersion: 'chaman.io/v1alpha1',
    kind,
    metadata,
    spec: { senderRef: { name: 'apk-recycling' }, type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'certwk23', secretRef: { name: 'dimona-rest-cert' } }] },
  } as KubeObject;
}

async function create(kind: Kind, name: string): Promise<KubeObject> {
  return kube.request<KubeObject>({ verb: 'create', resource: rt(kind).plural, method: 'POST', path: resourcePath(rt(kind), namespace), body: manifest(kind, name) });
}

/** Writes the status the operator writes for `outcome` (conditions for the object's generation) to the status subresource. */
async function writeStatus(object: KubeObject, outcome: Outcome, observedGeneration: number): Promise<void> {
  const kind = object.kind as Kind;
  const now = new Date();
  const conditions = mergeConditions(
    undefined,
    [...outcomeConditions(outcome), ...(kind === 'ChannelAccount' ? certificateExpiry([], now, 30 * 86_400_000).conditions : [])],
    observedGeneration,
    now,
  );
  await kube.request({
    verb: 'patch',
    resource: `${rt(kind).plural}/status`,
    method: 'PATCH',
    path: resourcePath(rt(kind), namespace, object.metadata.name, 'status'),
    contentType: 'application/merge-patch+json',
    body: { status: { observedGeneration, conditions } },
  });
}

async function read(kind: Kind, name: string): Promise<KubeObject> {
  return kube.request<KubeObject>({ verb: 'get', resource: rt(kind).plural, method: 'GET', path: resourcePath(rt(kind), namespace, name) });
}

function kstatus(object: KubeObject): { status: string; message: string } {
  return JSON.parse(execFileSync(kstatusBinary, [], { input: JSON.stringify(object), encoding: 'utf8' })) as { status: string; message: string };
}

describe('kstatus (sigs.k8s.io/cli-utils) on the states the operator writes, read back from the API server', () => {
  it.each(STATES.map((s) => [s.state, s] as const))('%s', async (_, { state, kind, outcome, kstatus: expected }) => {
    const name = `state-${state.toLowerCase().replace(/[^a-z]+/g, '-').replace(/-+$/, '')}`;
    const created = await create(kind, name);
    await writeStatus(created, outcome, created.metadata.generation!);
    const stored = await read(kind, name);
    // The API server kept what the operator writes (a status the schema pruned would test nothing).
    const ready = (stored.status as { conditions: { type: string; reason: string }[] }).conditions.find((c) => c.type === 'Ready');
    expect(ready?.reason).toBe(outcome.ready.reason);
    const result = kstatus(stored);
    expect(result.status, result.message).toBe(expected);
  });

  it('a status.observedGeneration behind metadata.generation is InProgress, whatever the conditions say', async () => {
    const created = await create('ChannelAccount', 'generation-lag');
    await writeStatus(created, STATES[0]!.outcome, created.metadata.generation!);
    expect(kstatus(await read('ChannelAccount', 'generation-lag')).status).toBe('Current');

    // A spec change bumps metadata.generation; the operator has not observed it yet.
    await kube.request({
      verb: 'patch',
      resource: RESOURCES.channelAccounts.plural,
      method: 'PATCH',
      path: resourcePath(RESOURCES.channelAccounts, namespace, 'generation-lag'),
      contentType: 'application/merge-patch+json',
      body: { spec: { permissions: ['DimonaDeclaration', 'DimonaConsultation'] } },
    });
    const lagging = await read('ChannelAccount', 'generation-lag');
    expect(lagging.metadata.generation).toBe(created.metadata.generation! + 1);
    const result = kstatus(lagging);
    expect(result.status).toBe('InProgress');
    expect(result.message).toMatch(/generation is \d+, but latest observed generation is \d+/);
  });

  it('an object the operator has not written status to yet is Current (kstatus knows no better)', async () => {
    await create('ChannelAccount', 'no-status-yet');
    expect(kstatus(await read('ChannelAccount', 'no-status-yet'))).toEqual({ status: 'Current', message: 'Resource is current' });
  });

  it('covers every Ready reason the brief names, and all three kstatus results', () => {
    const reasons = new Set(STATES.map((s) => s.outcome.ready.reason));
    for (const reason of ['Available', 'Creating', 'Updating', 'Invalid', 'SenderNotReady', 'AccessDenied', 'BackendUnavailable', 'Drifted', 'Stalled', 'NotGranted', 'Paused']) {
      expect(reasons, reason).toContain(reason);
    }
    expect(new Set(STATES.map((s) => s.kstatus))).toEqual(new Set(['Current', 'InProgress', 'Failed']));
  });
});
