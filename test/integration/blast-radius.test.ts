// Blast radius (issue 16 items 2-4) on the real API server and the emulator: a revoked grant stops
// the account path too, an adoption of another type's account destroys nothing, and a create whose
// answer was lost is found again after a rename instead of being made twice.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelAccount } from '../../src/api/types.generated.ts';
import { UnavailableError } from '../../src/chaman/errors.ts';
import type { ChamanClient } from '../../src/chaman/types.ts';
import { apply } from '../../src/devtools/apply.ts';
import { makeCa, makeCertificate } from '../../src/devtools/certificates.ts';
import { RESOURCES, resourcePath, type KubeObject } from '../../src/kube/client.ts';
import { createNamespace, deleteNamespace, waitFor } from './support/cluster.ts';
import { account, sender, startHarness, stopHarness, tlsSecret, type Harness } from './support/operator.ts';

let h: Harness;
const grants: string[] = [];
const NUMBER = '300010';

const condition = (o: ChannelAccount | undefined, type: string) => o?.status?.conditions?.find((c) => c.type === type);
const seqNow = () => h.emulator.requests().recent.at(-1)?.seq ?? 0;
const mutatingFor = (number: string, since: number) =>
  h.emulator.requests(since).recent.filter((r) => r.method !== 'GET' && r.path.includes(`/senders/${number}`));

async function grant(name: string, namespaces: string[], senderNumbers: string[]): Promise<void> {
  grants.push(name);
  await apply(h.kube, { apiVersion: 'chaman.io/v1alpha1', kind: 'ChamanSenderGrant', metadata: { name }, spec: { namespaces, senderNumbers } } as KubeObject, 'integration-tests');
}

async function deleteGrant(name: string): Promise<void> {
  const rt = RESOURCES.chamanSenderGrants;
  await h.kube.request({ verb: 'delete', resource: rt.plural, method: 'DELETE', path: resourcePath(rt, undefined, name) }).catch(() => undefined);
}

const derBase64 = (pem: string) => Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64').toString('base64');

beforeEach(async () => {
  h = await startHarness(await createNamespace('blast'));
});

afterEach(async () => {
  for (const name of grants.splice(0)) await deleteGrant(name);
  await stopHarness(h);
});

describe('a revoked grant (item 2)', () => {
  async function readyAccounts(count: number): Promise<void> {
    const cert = await makeCertificate({ ca: await makeCa(), freshKey: true });
    await h.apply(tlsSecret('rest-cert', cert.pem));
    await h.apply(sender('apk', NUMBER));
    await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True', undefined, 30_000);
    for (let i = 0; i < count; i++) {
      await h.apply(account(`rest-${i}`, { type: 'REST', accountName: `rest-${i}`, permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] }));
    }
    for (let i = 0; i < count; i++) await h.waitForCondition('ChannelAccount', `rest-${i}`, 'Ready', 'True', undefined, 30_000);
  }

  async function editPermissions(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await h.apply(account(`rest-${i}`, { type: 'REST', accountName: `rest-${i}`, permissions: ['DimonaConsultation'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] }));
    }
  }

  async function expectNothingSentAndNotGranted(count: number, since: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const refused = await h.waitForCondition<ChannelAccount>('ChannelAccount', `rest-${i}`, 'Ready', 'False', 'NotGranted', 30_000);
      expect(condition(refused, 'Stalled')).toMatchObject({ status: 'True', reason: 'NotGranted' });
    }
    await new Promise((r) => setTimeout(r, 2_500)); // a resync or two
    expect(mutatingFor(NUMBER, since)).toEqual([]);
    for (const a of await h.chaman.listAccounts(NUMBER)) expect(a.permissions).toEqual(['DimonaDeclaration']);
  }

  it('deleted while the operator is down: no account of the ungranted sender is written when it starts', async () => {
    const count = 6;
    await grant(`${h.namespace}-payroll`, [h.namespace], [NUMBER]);
    await h.startOperator({ requireSenderGrant: true, resyncPeriodMs: 2_000 });
    await readyAccounts(count);
    await h.running!.stop();

    await deleteGrant(`${h.namespace}-payroll`);
    await editPermissions(count);
    const since = seqNow();
    await h.startOperator({ requireSenderGrant: true, resyncPeriodMs: 2_000 });
    await expectNothingSentAndNotGranted(count, since);
  });

  it('--require-sender-grant turned on: accounts of a sender no grant covers are not written', async () => {
    const count = 3;
    await h.startOperator({ requireSenderGrant: false, resyncPeriodMs: 2_000 });
    await readyAccounts(count);
    await h.running!.stop();

    await editPermissions(count);
    const since = seqNow();
    await h.startOperator({ requireSenderGrant: true, resyncPeriodMs: 2_000 });
    await expectNothingSentAndNotGranted(count, since);
  });

  it('deleted while running: the next account reconcile writes nothing', async () => {
    const count = 3;
    await grant(`${h.namespace}-payroll`, [h.namespace], [NUMBER]);
    await h.startOperator({ requireSenderGrant: true, resyncPeriodMs: 2_000 });
    await readyAccounts(count);
    const since = seqNow();
    await deleteGrant(`${h.namespace}-payroll`);
    await editPermissions(count);
    await expectNothingSentAndNotGranted(count, since);
  });
});

describe('a sender number squatted from an ungranted namespace (item 6)', () => {
  it('the older ungranted ChamanSender is NotGranted and the younger granted one is Ready', async () => {
    const squatter = await createNamespace('squat');
    try {
      await apply(h.kube, { ...sender('apk', NUMBER), metadata: { name: 'apk', namespace: squatter } } as KubeObject, 'integration-tests');
      await new Promise((r) => setTimeout(r, 1_100)); // creationTimestamp has a resolution of one second
      await grant(`${h.namespace}-payroll`, [h.namespace], [NUMBER]);
      await h.apply(sender('apk', NUMBER));
      await h.startOperator({ requireSenderGrant: true, resyncPeriodMs: 2_000 }, h.token, { namespaces: [h.namespace, squatter] });
      await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True', undefined, 30_000);
      const rt = RESOURCES.chamanSenders;
      const refused = await waitFor('the squatter is NotGranted', async () => {
        const s = await h.kube.request<ChannelAccount>({ verb: 'get', resource: rt.plural, method: 'GET', path: resourcePath(rt, squatter, 'apk') });
        return condition(s, 'Ready')?.reason === 'NotGranted' ? s : undefined;
      }, 30_000, 200);
      expect(condition(refused, 'Ready')!.message).toContain('ChamanSenderGrant');
    } finally {
      await deleteNamespace(squatter);
    }
  });
});

describe('adoption (item 3)', () => {
  it("a REST ChannelAccount naming the sender's SOAP account is AdoptionConflict and deletes nothing, even with replacementPolicy Recreate", async () => {
    await h.startOperator({ resyncPeriodMs: 2_000 });
    const ca = await makeCa();
    const soapCert = await makeCertificate({ ca, freshKey: true });
    const restCert = await makeCertificate({ ca, freshKey: true });
    await h.apply(sender('apk', NUMBER));
    await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True', undefined, 30_000);
    const soap = await h.chaman.createAccount(NUMBER, { type: 'SOAP', name: 'by-hand', permissions: [], certificates: [{ name: 'soap', fileName: 'soap.cer', content: derBase64(soapCert.pem) }] }, 'made-by-hand');

    const since = seqNow();
    await h.apply(tlsSecret('rest-cert', restCert.pem));
    const typo = account('rest', { type: 'REST', replacementPolicy: 'Recreate', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] });
    await h.apply({ ...typo, metadata: { name: 'rest', annotations: { 'chaman.io/external-name': soap.id } } });
    const refused = await h.waitForCondition<ChannelAccount>('ChannelAccount', 'rest', 'Ready', 'False', 'AdoptionConflict', 30_000);
    expect(condition(refused, 'Ready')!.message).toContain('SOAP');
    expect(condition(refused, 'Stalled')).toMatchObject({ status: 'True', reason: 'AdoptionConflict' });
    await new Promise((r) => setTimeout(r, 2_500));
    expect(mutatingFor(NUMBER, since)).toEqual([]);

    // Deleting the object (deletionPolicy Delete by default) leaves the SOAP account alone.
    const rt = RESOURCES.channelAccounts;
    await h.kube.request({ verb: 'delete', resource: rt.plural, method: 'DELETE', path: resourcePath(rt, h.namespace, 'rest') });
    await waitFor('rest gone', async () => (await h.get('ChannelAccount', 'rest')) === undefined, 30_000, 200);
    expect(mutatingFor(NUMBER, since)).toEqual([]);
    expect((await h.chaman.getAccount(NUMBER, soap.id)).type).toBe('SOAP');
  });

  it('an external name that is not an account id (a path segment such as "..") is Invalid and reaches no URL', async () => {
    await h.startOperator({ resyncPeriodMs: 2_000 });
    const cert = await makeCertificate({ ca: await makeCa(), freshKey: true });
    await h.apply(sender('apk', NUMBER));
    await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True', undefined, 30_000);
    await h.apply(tlsSecret('rest-cert', cert.pem));
    const since = seqNow();
    const spec = { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] };
    await h.apply({ ...account('rest', spec), metadata: { name: 'rest', annotations: { 'chaman.io/external-name': '..' } } });
    const invalid = await h.waitForCondition<ChannelAccount>('ChannelAccount', 'rest', 'Ready', 'False', 'Invalid', 30_000);
    expect(condition(invalid, 'Ready')!.message).toContain('chaman.io/external-name');
    expect(h.emulator.requests(since).recent.filter((r) => r.path.includes('/accounts/'))).toEqual([]);
  });
});

describe('an interrupted create (item 4)', () => {
  it('a create committed whose answer was lost, then a rename: one account in Chaman, found and renamed', async () => {
    const cert = await makeCertificate({ ca: await makeCa(), freshKey: true });
    let lost = 0;
    // The first create reaches Chaman and commits; its answer never comes back.
    const loseFirstAnswer = (client: ChamanClient): ChamanClient =>
      new Proxy(client, {
        get(target, prop, receiver) {
          if (prop === 'withSignal') return (signal: AbortSignal) => loseFirstAnswer(target.withSignal(signal));
          if (prop === 'createAccount') {
            return async (...args: Parameters<ChamanClient['createAccount']>) => {
              await target.createAccount(...args);
              lost++;
              throw new UnavailableError('connection reset after the request was sent');
            };
          }
          const value = Reflect.get(target, prop, receiver) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    await h.startOperator({ resyncPeriodMs: 600_000 }, h.token, { wrapChaman: loseFirstAnswer });
    await h.apply(sender('apk', NUMBER));
    await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True', undefined, 30_000);
    await h.apply(tlsSecret('rest-cert', cert.pem));
    const spec = { type: 'REST', accountName: 'first-name', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] };
    await h.apply(account('rest', spec));
    await waitFor('the first create committed', async () => lost >= 1, 30_000, 50);
    await h.running!.stop();
    expect((await h.get('ChannelAccount', 'rest'))!.metadata.annotations?.['chaman.io/create-pending']).toBeDefined();

    await h.apply(account('rest', { ...spec, accountName: 'second-name' }));
    await h.startOperator({ resyncPeriodMs: 600_000 });
    const ready = await h.waitForCondition<ChannelAccount>('ChannelAccount', 'rest', 'Ready', 'True', undefined, 30_000);
    const accounts = await h.chaman.listAccounts(NUMBER);
    expect(accounts.map((a) => a.name)).toEqual(['second-name']);
    expect(ready.status!.externalId).toBe(accounts[0]!.id);
  });
});
