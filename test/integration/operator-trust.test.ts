// Trust under faults (issue 9), in process on the real API server and the emulator: a certificate
// added again under another name converges, a failure that is retried is never reported as synced,
// the create guard refuses a stale copy, errors are classified, and a retried edit is not drift.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelAccount } from '../../src/api/types.generated.ts';
import { UnavailableError } from '../../src/chaman/errors.ts';
import type { ChamanClient } from '../../src/chaman/types.ts';
import { makeCa, makeCertificate, type MadeCa } from '../../src/devtools/certificates.ts';
import { sampleSum } from '../../src/devtools/metrics-text.ts';
import { waitFor } from './support/cluster.ts';
import { account, harnessWithSender, sender, stopHarness, stringSecret, tlsSecret, type Harness } from './support/operator.ts';

let h: Harness;
let ca: MadeCa;

beforeEach(async () => {
  ca ??= await makeCa();
});

afterEach(() => stopHarness(h));

const condition = (a: ChannelAccount | undefined, type: string) => a?.status?.conditions?.find((c) => c.type === type);

async function metric(name: string, labels: string): Promise<number | undefined> {
  return sampleSum(await h.running!.metrics.registry.metrics(), name, labels);
}

/** Decorates the operator's Chaman clients (and their per-reconcile views): `method` fails with a 503 while `fault.on`. */
function failing(method: keyof ChamanClient, fault: { on: boolean; calls: number }) {
  const wrap = (client: ChamanClient): ChamanClient =>
    new Proxy(client, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (prop === 'withSignal') return (signal: AbortSignal) => wrap(target.withSignal(signal));
        if (prop !== method) return value.bind(target);
        return (...args: unknown[]) => {
          fault.calls++;
          if (fault.on) return Promise.reject(new UnavailableError('injected: Chaman answered 503', 503));
          return value.apply(target, args);
        };
      },
    });
  return wrap;
}

describe('certificates added again under another name', () => {
  it('a certificate removed and added back as "b2" converges (its add is a new operation, not a replay)', async () => {
    h = await harnessWithSender('trust-rename');
    const a = await makeCertificate({ ca, freshKey: true });
    const b = await makeCertificate({ ca, freshKey: true });
    await h.apply(tlsSecret('cert-a', a.pem));
    await h.apply(tlsSecret('cert-b', b.pem));
    const cert = (name: string, secret: string) => ({ name, secretRef: { name: secret } });
    const rest = (certificates: unknown[]) => account('rest', { type: 'REST', permissions: ['DimonaDeclaration'], certificates });

    await h.apply(rest([cert('a', 'cert-a')]));
    await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
    await h.apply(rest([cert('a', 'cert-a'), cert('b', 'cert-b')]));
    await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
    await h.apply(rest([cert('a', 'cert-a')]));
    await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
    await h.apply(rest([cert('a', 'cert-a'), cert('b2', 'cert-b')]));
    const ready = await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True', undefined, 20_000);

    const held = (await h.chaman.getAccount('300010', ready.status!.externalId!)).certificates;
    expect(held.map((c) => c.name).sort()).toEqual(['a', 'b2']);
    expect(condition(ready, 'Synced')?.status).toBe('True');
  });
});

describe('status never says all is well when it is not', () => {
  it('a failure that will be retried is Synced=False with the error and the next try, and the gauge says 0', async () => {
    const fault = { on: false, calls: 0 };
    h = await harnessWithSender('trust-status');
    await h.running!.stop();
    await h.startOperator({}, h.token, { wrapChaman: failing('addCertificate', fault) });
    const a = await makeCertificate({ ca, freshKey: true });
    const b = await makeCertificate({ ca, freshKey: true });
    await h.apply(tlsSecret('cert-a', a.pem));
    await h.apply(tlsSecret('cert-b', b.pem));
    await h.apply(account('rest', { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'a', secretRef: { name: 'cert-a' } }] }));
    await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');

    fault.on = true;
    await h.apply(account('rest', { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'a', secretRef: { name: 'cert-a' } }, { name: 'b', secretRef: { name: 'cert-b' } }] }));
    const failed = await h.waitForCondition('ChannelAccount', 'rest', 'Synced', 'False', 'ReconcileError');
    expect(condition(failed, 'Synced')!.message).toMatch(/503.*next try at \d{4}-\d\d-\d\dT/);
    expect(condition(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'BackendUnavailable' });
    expect(condition(failed, 'Reconciling')?.status).toBe('True');
    expect(condition(failed, 'Stalled')?.status).toBe('False');
    await waitFor('the ready gauge follows status', async () => (await metric('chaman_resource_ready', 'name="rest"')) === 0, 5_000);

    fault.on = false;
    const ready = await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True', undefined, 30_000);
    expect(condition(ready, 'Synced')?.status).toBe('True');
    expect(ready.status!.certificates!.map((c) => c.name).sort()).toEqual(['a', 'b']);
  });

  it('a retried edit is an update, not drift: no DriftCorrected, chaman_drift_total stays 0', async () => {
    const fault = { on: false, calls: 0 };
    h = await harnessWithSender('trust-drift');
    await h.running!.stop();
    await h.startOperator({}, h.token, { wrapChaman: failing('editAccount', fault) });
    const a = await makeCertificate({ ca, freshKey: true });
    await h.apply(tlsSecret('cert-a', a.pem));
    const rest = (permissions: string[]) => account('rest', { type: 'REST', permissions, certificates: [{ name: 'a', secretRef: { name: 'cert-a' } }] });
    await h.apply(rest(['DimonaDeclaration']));
    await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');

    fault.on = true;
    await h.apply(rest(['DimonaDeclaration', 'DimonaConsultation']));
    await h.waitForCondition('ChannelAccount', 'rest', 'Synced', 'False', 'ReconcileError');
    await waitFor('a few failed edits', () => fault.calls >= 2, 20_000);
    fault.on = false;
    await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True', undefined, 30_000);
    const logs = h.logs.join('\n');
    expect(logs).not.toContain('DriftCorrected');
    expect(logs).toContain('"reason":"Updated"');
    expect((await metric('chaman_drift_total', 'action="corrected"')) ?? 0).toBe(0);
  });
});

describe('the create guard', () => {
  it('a reconcile working from a stale copy gets a conflict and creates nothing', async () => {
    h = await harnessWithSender('trust-guard');
    const a = await makeCertificate({ ca, freshKey: true });
    await h.apply(tlsSecret('cert-a', a.pem));
    // Paused, so the operator leaves it alone while the test takes a copy.
    const spec = account('rest', { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'a', secretRef: { name: 'cert-a' } }] });
    await h.apply({ ...spec, metadata: { name: 'rest', annotations: { 'chaman.io/paused': 'true' } } });
    await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'Unknown', 'Paused');
    const stale = (await h.get<ChannelAccount>('ChannelAccount', 'rest'))!;
    delete stale.metadata.annotations!['chaman.io/paused'];
    // Meanwhile another reconcile has started a create: its guard is on the object, not on the copy.
    await h.kube.request({
      verb: 'patch',
      resource: 'channelaccounts',
      method: 'PATCH',
      path: `/apis/chaman.io/v1alpha1/namespaces/${h.namespace}/channelaccounts/rest`,
      contentType: 'application/merge-patch+json',
      body: { metadata: { annotations: { 'chaman.io/create-pending': '2026-12-01T10:00:00.000Z' } } },
    });
    const result = await h.running!.operator.reconcileCopy({ ...stale, apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount' });
    expect(result).toMatchObject({ requeueAfterMs: expect.any(Number) });
    expect(await h.chaman.listAccounts('300010')).toHaveLength(0);
    expect(h.emulator.requests().byOperation.createAccount ?? 0).toBe(0);
    expect(h.logs.join('\n')).not.toContain('reconcile failed');
  });
});

describe('errors that need a person are terminal, with what to do', () => {
  it('a missing credentials Secret stalls the sender (SecretNotFound), without a retry storm', async () => {
    h = await harnessWithSender('trust-creds');
    const broken = sender('other', '300011');
    await h.apply({ ...broken, spec: { ...(broken.spec as object), credentialsSecretRef: { name: 'missing' } } });
    const stalled = await h.waitForCondition('ChamanSender', 'other', 'Stalled', 'True', 'SecretNotFound');
    expect(condition(stalled as never, 'Ready')).toMatchObject({ status: 'False', reason: 'Stalled' });
    expect(condition(stalled as never, 'Ready')!.message).toContain('Secret "missing" does not exist');
    const before = (await metric('chaman_reconcile_total', 'kind="ChamanSender",result="error"')) ?? 0;
    await new Promise((r) => setTimeout(r, 3000));
    expect((await metric('chaman_reconcile_total', 'kind="ChamanSender",result="error"')) ?? 0).toBe(before);

    await h.apply(stringSecret('missing', { token: h.token }));
    await h.waitForCondition('ChamanSender', 'other', 'Ready', 'True');
  });

  it('a ConfigMap of that name owned by someone else stalls the account (ConfigMapConflict)', async () => {
    h = await harnessWithSender('trust-configmap');
    const a = await makeCertificate({ ca, freshKey: true });
    await h.apply(tlsSecret('cert-a', a.pem));
    await h.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'taken' }, data: { clientId: 'someone else' } });
    await h.apply(account('rest', { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'a', secretRef: { name: 'cert-a' } }], rest: { clientIdConfigMap: { name: 'taken' } } }));
    const stalled = await h.waitForCondition('ChannelAccount', 'rest', 'Stalled', 'True', 'ConfigMapConflict');
    expect(condition(stalled, 'Ready')!.message).toContain('not owned by this ChannelAccount');
    expect(condition(stalled, 'Synced')).toMatchObject({ status: 'False', reason: 'ReconcileError' });
  });
});
