// What only a real process shows: killed (SIGKILL) between "Chaman created it" and "we recorded it",
// stopped (SIGTERM) in the middle of a create, and two replicas behind one Lease.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { makeCa, makeCertificate } from '../../src/devtools/certificates.ts';
import { createNamespace, deleteNamespace, waitFor } from './support/cluster.ts';
import { account, sender, startHarness, tlsSecret, type Harness } from './support/operator.ts';
import { scrape, startOperatorProcess, type OperatorProcess } from './support/operator-process.ts';

let h: Harness;
let dir: string;
const processes: OperatorProcess[] = [];

const start = async (extraArgs: string[] = []) => {
  const p = await startOperatorProcess({ namespace: h.namespace, chamanUrl: h.emulator.url, tokenFile: join(dir, 'token'), extraArgs });
  processes.push(p);
  return p;
};

const chamanAccounts = () => (h.emulator.state() as { accounts: unknown[] }).accounts.length;

beforeEach(async () => {
  h = await startHarness(await createNamespace('process'));
  dir = mkdtempSync(join(tmpdir(), 'operator-process-'));
  writeFileSync(join(dir, 'token'), h.token, { mode: 0o600 });
  const cert = await makeCertificate({ ca: await makeCa(), freshKey: true });
  await h.apply(tlsSecret('rest-cert', cert.pem, cert.privateKeyPem));
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop('SIGKILL')));
  const logs = h.logs.join('\n');
  await h.stop();
  await deleteNamespace(h.namespace);
  rmSync(dir, { recursive: true, force: true });
  expect(logs).not.toContain(h.token);
});

const restAccount = account('rest', { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] });

it('no duplicate account after a kill -9 between "Chaman created it" and "we recorded it"', async () => {
  const first = await start();
  await h.apply(sender('apk', '300010'));
  await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True', undefined, 30_000);

  // From now on Chaman commits each request, then waits 5 s before answering.
  h.emulator.setFaults({ responseDelayMs: 5000 });
  await h.apply(restAccount);
  await waitFor('Chaman holds the account', () => chamanAccounts() === 1, 30_000, 20);
  await first.stop('SIGKILL');

  const orphaned = await h.get('ChannelAccount', 'rest');
  expect(orphaned?.metadata.annotations?.['chaman.io/create-pending']).toBeDefined();
  expect(orphaned?.metadata.annotations?.['chaman.io/external-name']).toBeUndefined();

  h.emulator.setFaults({ responseDelayMs: 0 });
  const restartedAt = Date.now();
  const second = await start();
  const ready = await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True', undefined, 60_000);
  const accounts = await h.chaman.listAccounts('300010');
  expect(accounts).toHaveLength(1);
  expect(ready.metadata.annotations?.['chaman.io/external-name']).toBe(accounts[0]!.id);
  expect(ready.metadata.annotations?.['chaman.io/create-pending']).toBeUndefined();
  expect(ready.metadata.annotations?.['chaman.io/create-succeeded']).toBeDefined();
  // The restarted operator looked, found, and did not create (the killed create is logged once its delay ends).
  const createsAfterRestart = h.emulator.requests().recent.filter((r) => r.operation === 'createAccount' && Date.parse(r.at) - r.durationMs >= restartedAt);
  expect(createsAfterRestart).toHaveLength(0);
  expect(await second.stop()).toBe(0);
  expect([...first.output, ...second.output].join('')).not.toContain(h.token);
}, 180_000);

it('SIGTERM in the middle of a create: the create finishes and is recorded before the process exits', async () => {
  const operator = await start();
  await h.apply(sender('apk', '300010'));
  await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True', undefined, 30_000);
  h.emulator.setFaults({ responseDelayMs: 3000 });
  await h.apply(restAccount);
  await waitFor('Chaman holds the account', () => chamanAccounts() === 1, 30_000, 20);
  expect(await operator.stop('SIGTERM')).toBe(0);
  const recorded = await h.get('ChannelAccount', 'rest');
  expect(recorded?.metadata.annotations?.['chaman.io/external-name']).toBeDefined();
  expect(recorded?.metadata.annotations?.['chaman.io/create-pending']).toBeUndefined();
  expect(operator.output.join('')).toContain('shutting down: finishing reconciles in flight');
}, 120_000);

it('two replicas with --leader-elect: one leads and acts; the other takes over when it stops', async () => {
  const leaseNamespace = await createNamespace('lease');
  try {
    const args = ['--leader-elect', '--leader-election-namespace', leaseNamespace];
    const a = await start(args);
    const b = await start(args);
    const leaders = async () => [await scrape(a.metricsUrl, 'chaman_leader'), await scrape(b.metricsUrl, 'chaman_leader')];
    const first = await waitFor('one leader', async () => {
      const l = await leaders();
      return l.filter((v) => v === 1).length === 1 && l.filter((v) => v === 0).length === 1 ? l : undefined;
    }, 30_000, 200);
    await h.apply(sender('apk', '300010'));
    await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True', undefined, 30_000);
    const [leader, standby] = first[0] === 1 ? [a, b] : [b, a];
    expect(await leader.stop('SIGTERM')).toBe(0); // releases the Lease
    await waitFor('the standby leads', async () => (await scrape(standby.metricsUrl, 'chaman_leader')) === 1, 20_000, 200);
    await h.apply(restAccount);
    await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True', undefined, 30_000);
    const lease = await h.kube.request<{ spec: { holderIdentity: string } }>({ verb: 'get', resource: 'leases', method: 'GET', path: `/apis/coordination.k8s.io/v1/namespaces/${leaseNamespace}/leases/chaman-operator` });
    expect(lease.spec.holderIdentity).toMatch(new RegExp(`-${standby.child.pid}$`));
  } finally {
    await deleteNamespace(leaseNamespace);
  }
}, 120_000);
