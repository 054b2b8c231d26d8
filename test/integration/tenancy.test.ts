// Tenancy (issue 10) on the real API server and the emulator, one operator serving two namespaces
// t1 and t2 with the operator-wide credentials: a namespace acts only for the senders a grant gives
// it, one sender number has one ChamanSender, and an adopted account has one claim.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChamanSender, ChannelAccount } from '../../src/api/types.generated.ts';
import { apply } from '../../src/devtools/apply.ts';
import { makeCa, makeCertificate } from '../../src/devtools/certificates.ts';
import { RESOURCES, resourcePath, type KubeObject } from '../../src/kube/client.ts';
import { createNamespace, deleteNamespace, waitFor } from './support/cluster.ts';
import { account, sender, startHarness, stringSecret, tlsSecret, type Harness } from './support/operator.ts';

let h: Harness;
let t2: string;
const grants: string[] = [];

const condition = (o: { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } } | undefined, type: string) =>
  o?.status?.conditions?.find((c) => c.type === type);

async function inT2(object: Record<string, unknown>): Promise<KubeObject> {
  return apply(h.kube, { ...object, metadata: { ...(object.metadata as object), namespace: t2 } } as KubeObject, 'integration-tests');
}

async function getIn<T>(namespace: string, kind: 'ChamanSender' | 'ChannelAccount', name: string): Promise<T | undefined> {
  const rt = kind === 'ChamanSender' ? RESOURCES.chamanSenders : RESOURCES.channelAccounts;
  try {
    return await h.kube.request<T>({ verb: 'get', resource: rt.plural, method: 'GET', path: resourcePath(rt, namespace, name) });
  } catch (error) {
    if ((error as { status?: number }).status === 404) return undefined;
    throw error;
  }
}

async function grant(name: string, namespaces: string[], senderNumbers: string[]): Promise<void> {
  grants.push(name);
  await apply(h.kube, { apiVersion: 'chaman.io/v1alpha1', kind: 'ChamanSenderGrant', metadata: { name }, spec: { namespaces, senderNumbers } } as KubeObject, 'integration-tests');
}

/** One operator for t1 and t2, writing grant status as a cluster-wide install does. */
async function startOperator(): Promise<void> {
  await h.startOperator({ requireSenderGrant: true, resyncPeriodMs: 2_000 }, h.token, { namespaces: [h.namespace, t2], writeGrantStatus: true });
}

beforeEach(async () => {
  h = await startHarness(await createNamespace('t1'));
  t2 = await createNamespace('t2');
});

afterEach(async () => {
  await h.stop();
  for (const name of grants.splice(0)) {
    await h.kube.request({ verb: 'delete', resource: 'chamansendergrants', method: 'DELETE', path: resourcePath(RESOURCES.chamanSenderGrants, undefined, name) }).catch(() => undefined);
  }
  await deleteNamespace(h.namespace);
  await deleteNamespace(t2);
});

describe('grants', () => {
  it('no grant: NotGranted with the grant to create, Stalled, and nothing sent to Chaman; the grant lets it through', async () => {
    const number = '300010';
    await startOperator();
    await h.apply(sender('apk', number));
    const refused = await h.waitForCondition<ChamanSender>('ChamanSender', 'apk', 'Ready', 'False', 'NotGranted');
    expect(condition(refused, 'Ready')!.message).toContain(`kind: ChamanSenderGrant`);
    expect(condition(refused, 'Ready')!.message).toContain(`namespaces: [${h.namespace}]`);
    expect(condition(refused, 'Stalled')).toMatchObject({ status: 'True', reason: 'NotGranted' });
    expect(h.emulator.requests().recent.filter((r) => r.path.includes(`/senders/${number}`))).toEqual([]);

    await grant(`${h.namespace}-payroll`, [h.namespace], [number]);
    await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True', undefined, 30_000);
    const status = await waitFor('the grant lists its claim', async () => {
      const g = await h.kube.request<{ status?: { claims?: unknown[] } }>({ verb: 'get', resource: 'chamansendergrants', method: 'GET', path: resourcePath(RESOURCES.chamanSenderGrants, undefined, `${h.namespace}-payroll`) });
      return g.status?.claims?.length ? g.status : undefined;
    });
    expect(status.claims).toEqual([{ namespace: h.namespace, name: 'apk', senderNumber: number }]);
  });

  it('a sender with its own credentials needs no grant', async () => {
    await startOperator();
    await h.apply(stringSecret('own-chaman', { token: h.token }));
    const own = sender('apk', '300010');
    await h.apply({ ...own, spec: { ...(own.spec as object), credentialsSecretRef: { name: 'own-chaman' } } });
    await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True', undefined, 30_000);
  });
});

describe('cross-tenant takeover', () => {
  it("t2's ChamanSender with t1's number is SenderConflict and never touches t1's contact data, across restarts", async () => {
    await grant(`${h.namespace}-all`, [h.namespace, t2], ['300010']); // even a grant to both does not allow two senders
    await startOperator();
    await h.apply(sender('apk', '300010'));
    await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True', undefined, 30_000);
    const before = await h.chaman.getSender('300010');
    const intruder = sender('apk', '300010');
    await inT2({ ...intruder, spec: { ...(intruder.spec as object), contact: { name: 'Mallory', phone: { countryCode: '+32', number: '0499999999' }, email: 'mallory@evil.example', language: 'nl' } } });
    const loser = await waitFor('t2 is SenderConflict', async () => {
      const s = await getIn<ChamanSender>(t2, 'ChamanSender', 'apk');
      return condition(s, 'Ready')?.reason === 'SenderConflict' ? s : undefined;
    }, 30_000, 200);
    expect(condition(loser, 'Stalled')).toMatchObject({ status: 'True', reason: 'SenderConflict' });
    expect(condition(loser, 'Ready')!.message).toContain(`${h.namespace}/apk`);

    await h.running!.stop();
    await startOperator();
    await new Promise((r) => setTimeout(r, 3_000)); // a resync or two
    expect(condition(await getIn<ChamanSender>(t2, 'ChamanSender', 'apk'), 'Ready')?.reason).toBe('SenderConflict');
    expect(condition(await getIn<ChamanSender>(h.namespace, 'ChamanSender', 'apk'), 'Ready')?.status).toBe('True');
    expect(await h.chaman.getSender('300010')).toEqual(before);
  });

  it("an account adopted by another's external name writes nothing, and deleting it never deletes the winner's account", async () => {
    await grant(`${h.namespace}-all`, [h.namespace, t2], ['300010']);
    await startOperator();
    const cert = await makeCertificate({ ca: await makeCa(), freshKey: true });
    await h.apply(tlsSecret('rest-cert', cert.pem));
    await h.apply(sender('apk', '300010'));
    await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True', undefined, 30_000);
    const restSpec = { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] };
    await h.apply(account('rest', restSpec));
    const owner = await h.waitForCondition<ChannelAccount>('ChannelAccount', 'rest', 'Ready', 'True', undefined, 30_000);
    const id = owner.status!.externalId!;

    // Same namespace, same sender: a second claim on the id.
    const mutating = h.emulator.requests().mutating;
    const second = account('second', { ...restSpec, permissions: ['DimonaConsultation'] });
    await h.apply({ ...second, metadata: { name: 'second', annotations: { 'chaman.io/external-name': id } } });
    const loser = await h.waitForCondition<ChannelAccount>('ChannelAccount', 'second', 'Ready', 'False', 'AdoptionConflict', 30_000);
    expect(condition(loser, 'Stalled')).toMatchObject({ status: 'True', reason: 'AdoptionConflict' });
    expect(h.emulator.requests().mutating).toBe(mutating);

    // t2, with a sender of the same number (SenderConflict), claims the id too.
    await inT2(sender('apk', '300010'));
    await inT2(tlsSecret('rest-cert', cert.pem));
    await inT2({ ...account('stolen', restSpec), metadata: { name: 'stolen', annotations: { 'chaman.io/external-name': id } } });
    // Its sender lost the SenderConflict: the account says so (issue 16 item 2), and sends nothing.
    await waitFor('t2 account waits', async () => condition(await getIn<ChannelAccount>(t2, 'ChannelAccount', 'stolen'), 'Ready')?.reason === 'SenderConflict', 30_000, 200);

    for (const [namespace, name] of [[h.namespace, 'second'], [t2, 'stolen']] as const) {
      const rt = RESOURCES.channelAccounts;
      await h.kube.request({ verb: 'delete', resource: rt.plural, method: 'DELETE', path: resourcePath(rt, namespace, name) });
      await waitFor(`${namespace}/${name} gone`, async () => (await getIn(namespace, 'ChannelAccount', name)) === undefined, 30_000, 200);
    }
    expect((await h.chaman.getAccount('300010', id)).permissions).toEqual(['DimonaDeclaration']);
    expect(h.emulator.requests().mutating).toBe(mutating);
    expect(condition(await getIn<ChannelAccount>(h.namespace, 'ChannelAccount', 'rest'), 'Ready')?.status).toBe('True');
  });
});
