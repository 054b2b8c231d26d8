// Chaman reads (issue 11): a reconcile woken by an event that changes nothing in Chaman trusts what
// the account and the sender last converged to; a resync finds drift with one list per sender and
// reads only what differs; any write is planned from a fresh read, never from memory.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeCa, makeCertificate, type MadeCa } from '../../src/devtools/certificates.ts';
import { sampleSum } from '../../src/devtools/metrics-text.ts';
import { waitFor } from './support/cluster.ts';
import { account, harnessWithSender, stopHarness, tlsSecret, type Harness } from './support/operator.ts';

let h: Harness;
let ca: MadeCa;

beforeEach(async () => {
  ca ??= await makeCa();
});

afterEach(() => stopHarness(h));

/** The operator's own count of its Chaman calls of one operation (chaman_api_requests_total). */
async function calls(operation: string): Promise<number> {
  return sampleSum(await h.running!.metrics.registry.metrics(), 'chaman_api_requests_total', `operation="${operation}"`) ?? 0;
}

const rest = (name: string, secret: string, permissions = ['DimonaDeclaration'], extra: Record<string, unknown> = {}) =>
  account(name, { type: 'REST', permissions, certificates: [{ name: 'main', secretRef: { name: secret } }], ...extra });

const derBase64 = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s/g, '');

async function readyAccounts(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    await h.apply(tlsSecret(`cert-${i}`, (await makeCertificate({ ca, freshKey: true })).pem));
    await h.apply(rest(`rest-${i}`, `cert-${i}`));
  }
  for (let i = 0; i < n; i++) ids.push((await h.waitForCondition('ChannelAccount', `rest-${i}`, 'Ready', 'True')).status!.externalId!);
  return ids;
}

describe('reads', () => {
  it('an account woken after its create (its Secret touched, a sibling added) is not read again, nor is its sender', async () => {
    h = await harnessWithSender('reads-woken');
    const sendersRead = await calls('getSender');
    await readyAccounts(4);
    // Events that change nothing in Chaman: each Secret relabelled, which wakes its account.
    for (let i = 0; i < 4; i++) {
      const path = `/api/v1/namespaces/${h.namespace}/secrets/cert-${i}`;
      await h.kube.request({ verb: 'patch', resource: 'secrets', method: 'PATCH', path, body: { metadata: { labels: { touched: 'yes' } } }, contentType: 'application/merge-patch+json' });
    }
    await waitFor('the sender counts 4 REST accounts', async () => ((await h.get<{ status?: { accounts?: { rest?: number } } }>('ChamanSender', 'apk'))?.status?.accounts?.rest === 4 ? true : undefined));
    await new Promise((r) => setTimeout(r, 2000)); // let the woken reconciles run
    expect(await calls('createAccount')).toBe(4);
    expect(await calls('getAccount')).toBe(0);
    expect(await calls('getSender')).toBe(sendersRead);
  });

  it('ten accounts of one sender applied at once are reconciled once each: no wake from a non-singleton sibling nor from the echo of their own writes', async () => {
    h = await harnessWithSender('reads-once');
    const pem = (await makeCertificate({ ca, freshKey: true })).pem;
    const reconciles = async () => sampleSum(await h.running!.metrics.registry.metrics(), 'chaman_reconcile_total', 'kind="ChannelAccount",result="success"') ?? 0;
    for (let i = 0; i < 10; i++) await h.apply(tlsSecret(`cert-${i}`, pem));
    await Promise.all(Array.from({ length: 10 }, (_, i) => h.apply(rest(`rest-${i}`, `cert-${i}`))));
    for (let i = 0; i < 10; i++) await h.waitForCondition('ChannelAccount', `rest-${i}`, 'Ready', 'True');
    await new Promise((r) => setTimeout(r, 1500)); // the last echoes
    expect(await reconciles()).toBe(10);
  });

  it('a sender just added is not listed again before a period has passed, and then listed without reading its accounts', async () => {
    const started = Date.now();
    h = await harnessWithSender('reads-first-resync', { resyncPeriodMs: 15_000 });
    await readyAccounts(3);
    await new Promise((r) => setTimeout(r, Math.max(0, started + 10_000 - Date.now())));
    expect(await calls('listAccounts')).toBe(0); // its first resync is a period (±10 %) after it was added, not at random
    await waitFor('its first resync', async () => ((await calls('listAccounts')) >= 1 ? true : undefined), 20_000);
    expect(await calls('getAccount')).toBe(0);
    expect(await h.running!.metrics.registry.getSingleMetricAsString('chaman_resyncs_total')).toMatch(/chaman_resyncs_total\{outcome="listed"\} [1-9]/);
  });

  it('a resync lists each sender once and reads only the account the list shows changed by hand', async () => {
    h = await harnessWithSender('reads-resync', { resyncPeriodMs: 1500 });
    const ids = await readyAccounts(3);
    const before = { get: await calls('getAccount'), list: await calls('listAccounts') };
    await h.chaman.editAccount('300010', ids[1]!, { permissions: ['DimonaConsultation'] });
    await waitFor('drift corrected', async () => ((await h.chaman.getAccount('300010', ids[1]!)).permissions.join() === 'DimonaDeclaration' ? true : undefined), 15_000);
    await waitFor('two more resyncs', async () => ((await calls('listAccounts')) >= before.list + 3 ? true : undefined), 15_000);
    // One read of the drifted account to plan its correction (and one read-back after the edit): none of the others.
    expect((await calls('getAccount')) - before.get).toBeLessThanOrEqual(2);
    expect((await calls('getAccount')) - before.get).toBeGreaterThanOrEqual(1);
  });

  it('chaman.io/reconcile-requested-at reads Chaman again, for an account and for its sender', async () => {
    h = await harnessWithSender('reads-requested');
    await readyAccounts(1);
    const before = { account: await calls('getAccount'), sender: await calls('getSender') };
    const now = new Date().toISOString();
    for (const kind of ['ChannelAccount', 'ChamanSender'] as const) {
      const name = kind === 'ChamanSender' ? 'apk' : 'rest-0';
      await h.apply({ ...(await h.get<Record<string, unknown>>(kind, name))!, metadata: { name, annotations: { 'chaman.io/reconcile-requested-at': now } }, status: undefined });
    }
    await waitFor('both read again', async () => ((await calls('getAccount')) > before.account && (await calls('getSender')) > before.sender ? true : undefined), 10_000);
  });

  it('a spec change is planned from a fresh read, not from what the operator last saw', async () => {
    h = await harnessWithSender('reads-fresh');
    const [id] = await readyAccounts(1);
    // By hand, unseen (no resync runs): a certificate the spec does not list.
    const byHand = (await makeCertificate({ ca, freshKey: true })).pem;
    await h.chaman.addCertificate('300010', id!, { name: 'by-hand', fileName: 'by-hand.cer', content: derBase64(byHand) }, 'by-hand');
    await h.apply(tlsSecret('cert-extra', (await makeCertificate({ ca, freshKey: true })).pem));
    await h.apply(account('rest-0', { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'cert-0' } }, { name: 'extra', secretRef: { name: 'cert-extra' } }] }));
    // Planned from memory, the update would only add "extra" and leave "by-hand" in place.
    await waitFor('Chaman holds exactly the certificates of the spec', async () => {
      const names = (await h.chaman.getAccount('300010', id!)).certificates.map((c) => c.name).sort();
      return names.join() === 'extra,main' ? true : undefined;
    }, 15_000);
    const ready = await h.waitForCondition('ChannelAccount', 'rest-0', 'Ready', 'True');
    expect(ready.status!.certificates!.map((c) => c.name).sort()).toEqual(['extra', 'main']);
  });
});
