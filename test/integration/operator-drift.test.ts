// Drift made by hand in Chaman: corrected under Manage, reported under Observe (which writes
// nothing); adoption by external name; pause; and the steady state, which writes nothing at all.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeCa, makeCertificate, type MadeCa } from '../../src/devtools/certificates.ts';
import { sampleSum } from '../../src/devtools/metrics-text.ts';
import { waitFor } from './support/cluster.ts';
import { account, harnessWithSender, stopHarness, tlsSecret, type Harness } from './support/operator.ts';

let h: Harness;
let ca: MadeCa;
let certPem: string;

beforeEach(async () => {
  h = await harnessWithSender('drift', { resyncPeriodMs: 1000 });
  ca ??= await makeCa();
  certPem = (await makeCertificate({ ca, freshKey: true })).pem;
  await h.apply(tlsSecret('rest-cert', certPem));
});

afterEach(() => stopHarness(h));

const rest = (extra: Record<string, unknown> = {}) =>
  account('rest', { type: 'REST', accountName: 'Dimona', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }], ...extra });

async function metric(name: string, labels: string): Promise<number> {
  return sampleSum(await h.running!.metrics.registry.metrics(), name, labels) ?? 0;
}

describe('drift', () => {
  it('Manage: a hand-made change in Chaman is corrected on the next resync, and counted', async () => {
    await h.apply(rest());
    const ready = await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
    const id = ready.status!.externalId!;
    await h.chaman.editAccount('300010', id, { name: 'Changed by hand', permissions: ['DimonaConsultation'] });
    await waitFor('drift corrected', async () => {
      const a = await h.chaman.getAccount('300010', id);
      return a.name === 'Dimona' && a.permissions.join() === 'DimonaDeclaration';
    }, 10_000);
    // Chaman shows the correction as soon as it commits it; the operator counts it once the answer is back.
    await waitFor('the correction counted', async () => (await metric('chaman_drift_total', 'action="corrected"')) === 1, 5_000);
    expect(await metric('chaman_drift_total', 'action="corrected"')).toBe(1);
  });

  it('Manage: an account deleted by hand in Chaman is created again', async () => {
    await h.apply(rest());
    const ready = await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
    await h.chaman.deleteAccount('300010', ready.status!.externalId!);
    const again = await waitFor('re-created', async () => {
      const accounts = await h.chaman.listAccounts('300010');
      return accounts.length === 1 && accounts[0]!.id !== ready.status!.externalId ? accounts[0] : undefined;
    }, 10_000);
    await waitFor('new external name recorded', async () => (await h.get('ChannelAccount', 'rest'))?.metadata.annotations?.['chaman.io/external-name'] === again.id);
  });

  it('Observe: adopts an existing account by type and name, reports drift, and never writes to Chaman', async () => {
    const existing = await h.chaman.createAccount(
      '300010',
      { type: 'REST', name: 'Dimona', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', fileName: 'main.cer', content: Buffer.from(certPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64').toString('base64') }] },
      'made-by-hand',
    );
    const mutatingBefore = h.emulator.requests().mutating;
    await h.apply(rest({ managementPolicy: 'Observe' }));
    const ready = await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
    expect(ready.metadata.annotations?.['chaman.io/external-name']).toBe(existing.id);
    expect(ready.metadata.finalizers ?? []).toEqual([]);

    await h.chaman.editAccount('300010', existing.id, { permissions: ['DimonaConsultation'] });
    const mutatingAfterEdit = h.emulator.requests().mutating;
    const drifted = await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'False', 'Drifted', 10_000);
    expect(drifted.status!.conditions!.find((c) => c.type === 'Ready')!.message).toContain('DimonaConsultation');
    expect(drifted.status!.conditions!.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'Drifted' });
    await new Promise((r) => setTimeout(r, 2500)); // two more resyncs
    expect(h.emulator.requests().mutating).toBe(mutatingAfterEdit);
    expect(mutatingAfterEdit).toBe(mutatingBefore + 1); // only the test's own edit
    expect(await metric('chaman_drift_total', 'action="reported"')).toBe(1);

    // Orphaned on delete: Observe never deletes.
    await h.kube.request({ verb: 'delete', resource: 'channelaccounts', method: 'DELETE', path: `/apis/chaman.io/v1alpha1/namespaces/${h.namespace}/channelaccounts/rest` });
    await waitFor('gone', async () => !(await h.get('ChannelAccount', 'rest')));
    expect(await h.chaman.listAccounts('300010')).toHaveLength(1);
  });
});

describe('annotations', () => {
  it('paused: nothing is done until the annotation goes; reconcile-requested-at forces a reconcile', async () => {
    await h.apply({ ...rest(), metadata: { name: 'rest', annotations: { 'chaman.io/paused': 'true' } } });
    await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'Unknown', 'Paused');
    await h.waitForCondition('ChannelAccount', 'rest', 'Synced', 'False', 'ReconcilePaused');
    expect(await h.chaman.listAccounts('300010')).toEqual([]);
    await h.apply({ ...rest(), metadata: { name: 'rest', annotations: { 'chaman.io/paused': 'false' } } });
    await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
    expect(await h.chaman.listAccounts('300010')).toHaveLength(1);
  });

  it('paused after Ready: Ready stays True, Synced=False/ReconcilePaused, and a hand-made change is left alone; a forced reconcile is answered in status', async () => {
    await h.apply(rest());
    const ready = await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
    await h.apply({ ...rest(), metadata: { name: 'rest', annotations: { 'chaman.io/paused': 'true' } } });
    const paused = await h.waitForCondition('ChannelAccount', 'rest', 'Synced', 'False', 'ReconcilePaused');
    expect(paused.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
    await h.chaman.editAccount('300010', ready.status!.externalId!, { permissions: ['DimonaConsultation'] });
    await new Promise((r) => setTimeout(r, 2500)); // two resyncs: paused, nothing corrected
    expect((await h.chaman.getAccount('300010', ready.status!.externalId!)).permissions).toEqual(['DimonaConsultation']);

    await h.apply({ ...rest(), metadata: { name: 'rest', annotations: { 'chaman.io/paused': 'false', 'chaman.io/reconcile-requested-at': 'pipeline-42' } } });
    const handled = await waitFor('the forced reconcile answered', async () => {
      const a = await h.get('ChannelAccount', 'rest');
      return a?.status?.lastHandledReconcileAt === 'pipeline-42' ? a : undefined;
    }, 30_000, 200);
    expect(handled.status!.conditions!.find((c) => c.type === 'Synced')).toMatchObject({ status: 'True' });
    expect((await h.chaman.getAccount('300010', ready.status!.externalId!)).permissions).toEqual(['DimonaDeclaration']);
  });

  it('external-name naming an account that does not exist stalls instead of creating one', async () => {
    await h.apply({ ...rest(), metadata: { name: 'rest', annotations: { 'chaman.io/external-name': 'acc-nope' } } });
    const stalled = await h.waitForCondition('ChannelAccount', 'rest', 'Stalled', 'True');
    expect(stalled.status!.conditions!.find((c) => c.type === 'Ready')!.message).toContain('acc-nope');
    expect(await h.chaman.listAccounts('300010')).toEqual([]);
  });
});

describe('steady state', () => {
  it('once Ready, resyncs read Chaman but make no Kubernetes writes and no mutating Chaman calls', async () => {
    await h.apply(rest({ rest: { clientIdConfigMap: { name: 'client' } } }));
    await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
    await new Promise((r) => setTimeout(r, 1500)); // let the last events and status settle
    const kubeBefore = await h.running!.metrics.kubeRequestCounts();
    const chamanBefore = h.emulator.requests();
    await new Promise((r) => setTimeout(r, 5000)); // about five resyncs
    const kubeAfter = await h.running!.metrics.kubeRequestCounts();
    const chamanAfter = h.emulator.requests();
    expect(kubeAfter.writes - kubeBefore.writes).toBe(0);
    expect(chamanAfter.mutating - chamanBefore.mutating).toBe(0);
    expect(chamanAfter.total - chamanBefore.total).toBeGreaterThan(3); // drift detection does read
  });
});
