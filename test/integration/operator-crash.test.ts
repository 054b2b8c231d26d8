// What only a real process shows: killed (SIGKILL) between "Chaman created it" and "we recorded it",
// stopped (SIGTERM) in the middle of a create, two replicas behind one Lease, and (issue 9) an account
// deleted while its create was interrupted, a shutdown bounded by its deadline, and a leader cut off
// from the API server that stops before a standby takes over.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { makeCa, makeCertificate } from '../../src/devtools/certificates.ts';
import { startTcpProxy, type TcpProxy } from '../../src/devtools/tcp-proxy.ts';
import { createNamespace, deleteNamespace, kubeconfigPath, waitFor } from './support/cluster.ts';
import { account, sender, startHarness, tlsSecret, type Harness } from './support/operator.ts';
import { scrape, startOperatorProcess, type OperatorProcess } from './support/operator-process.ts';

let h: Harness;
let dir: string;
const processes: OperatorProcess[] = [];
let proxy: TcpProxy | undefined;

const start = async (extraArgs: string[] = [], kubeconfig?: string) => {
  const p = await startOperatorProcess({ namespace: h.namespace, chamanUrl: h.emulator.url, tokenFile: join(dir, 'token'), extraArgs, ...(kubeconfig ? { kubeconfig } : {}) });
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
  await proxy?.close();
  proxy = undefined;
  const logs = h.logs.join('\n');
  await h.stop();
  await deleteNamespace(h.namespace);
  rmSync(dir, { recursive: true, force: true });
  expect(logs).not.toContain(h.token);
});

const restAccount = account('rest', { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] });

async function readySender(): Promise<void> {
  await h.apply(sender('apk', '300010'));
  await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True', undefined, 30_000);
}

it('no duplicate account after a kill -9 between "Chaman created it" and "we recorded it"', async () => {
  const first = await start();
  await readySender();

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
  await readySender();
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

it('an account deleted while its create was interrupted is looked up and deleted in Chaman, not leaked', async () => {
  const first = await start();
  await readySender();
  h.emulator.setFaults({ responseDelayMs: 5000 }); // Chaman commits, then answers 5 s later
  await h.apply(restAccount);
  await waitFor('Chaman holds the account', () => chamanAccounts() === 1, 30_000, 20);
  await first.stop('SIGKILL');
  const pending = await h.get('ChannelAccount', 'rest');
  expect(pending?.metadata.annotations?.['chaman.io/create-pending']).toBeDefined();
  expect(pending?.metadata.annotations?.['chaman.io/external-name']).toBeUndefined();

  h.emulator.setFaults({ responseDelayMs: 0 });
  await h.kube.request({ verb: 'delete', resource: 'channelaccounts', method: 'DELETE', path: `/apis/chaman.io/v1alpha1/namespaces/${h.namespace}/channelaccounts/rest` });
  const second = await start();
  await waitFor('the object is gone', async () => (await h.get('ChannelAccount', 'rest')) === undefined, 30_000, 200);
  expect(chamanAccounts()).toBe(0);
  expect(second.output.join('')).toMatch(/"reason":"Deleted"/);
}, 180_000);

it('SIGTERM with a create hanging in Chaman: the process exits within its shutdown timeout and the guard stays for the next one', async () => {
  const operator = await start(['--shutdown-timeout', '2s']);
  await readySender();
  // A first account warms the permission catalog, so the next reconcile goes straight to its create.
  await h.apply(account('warm', { type: 'REST', permissions: ['DimonaConsultation'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] }));
  await h.waitForCondition('ChannelAccount', 'warm', 'Ready', 'True', undefined, 30_000);
  h.emulator.setFaults({ latencyMs: 120_000 }); // requests hang before Chaman does anything
  await h.apply(restAccount);
  await waitFor('the create guard is written', async () => (await h.get('ChannelAccount', 'rest'))?.metadata.annotations?.['chaman.io/create-pending'], 30_000, 100);
  await new Promise((r) => setTimeout(r, 500)); // the create call is in flight
  const t0 = performance.now();
  expect(await operator.stop('SIGTERM')).toBe(0);
  expect(performance.now() - t0).toBeLessThan(10_000);
  expect(operator.output.join('')).toContain('cutting reconciles in flight short');
  const interrupted = await h.get('ChannelAccount', 'rest');
  expect(interrupted?.metadata.annotations?.['chaman.io/create-pending']).toBeDefined();

  h.emulator.setFaults({ latencyMs: 0 });
  await start();
  await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True', undefined, 60_000);
  expect(await h.chaman.listAccounts('300010')).toHaveLength(2);
}, 180_000);

it('a leader cut off from the API server stops its work before the standby takes the Lease', async () => {
  const leaseNamespace = await createNamespace('trust-lease');
  try {
    const direct = readFileSync(kubeconfigPath(), 'utf8');
    const port = Number(/server: https:\/\/127\.0\.0\.1:(\d+)/.exec(direct)![1]);
    proxy = await startTcpProxy({ targetHost: '127.0.0.1', targetPort: port });
    const viaProxy = join(dir, 'kubeconfig-via-proxy');
    writeFileSync(viaProxy, direct.replace(`https://127.0.0.1:${port}`, `https://127.0.0.1:${proxy.port}`));
    const args = ['--leader-elect', '--leader-election-namespace', leaseNamespace];
    const leader = await start(args, viaProxy);
    await waitFor('the proxied replica leads', async () => (await scrape(leader.metricsUrl, 'chaman_leader')) === 1, 30_000, 200);
    const standby = await start(args);
    await readySender();
    await waitFor('the standby is up and waiting', async () => (await scrape(standby.metricsUrl, 'chaman_leader')) === 0, 30_000, 200);

    await proxy.cut('blackhole'); // renewals now hang: no answer, no error
    const cutAt = Date.now();
    let tookOverAt: number | undefined;
    await waitFor('the standby leads', async () => {
      if ((await scrape(standby.metricsUrl, 'chaman_leader')) === 1) tookOverAt = Date.now() - cutAt;
      return tookOverAt !== undefined;
    }, 40_000, 100);
    // When the leader stopped, by its own log line's time: the test's polling, and the pipe that carries
    // the leader's output, can lag on a loaded machine.
    const lostLine = await waitFor('the leader logged its loss', async () => leader.output.join('').split('\n').find((line) => line.includes('lost leadership')), 10_000, 100);
    const lostAt = lostLine ? Date.parse((JSON.parse(lostLine) as { time: string }).time) - cutAt : undefined;
    expect(lostAt).toBeDefined();
    expect(lostAt!).toBeLessThan(tookOverAt!);
    expect(lostAt!).toBeLessThan(11_000); // the renew deadline (10 s), not the 30 s request timeout
    expect(await leader.exited).toBe(1);

    await h.apply(restAccount);
    await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True', undefined, 30_000);
    expect(await h.chaman.listAccounts('300010')).toHaveLength(1);
  } finally {
    await deleteNamespace(leaseNamespace);
  }
}, 180_000);
