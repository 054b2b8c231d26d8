// Sharding (issue 11) with real processes on the real API server: three shards with --leader-elect
// split the namespaces by hash, each object is reconciled by exactly one shard, and when a shard's
// replica is killed its standby takes the shard's Lease and the work goes on, with no duplicate.
// The fence (issue 16): while a StatefulSet rolls from 2 shards to 3, the new count waits.
// Memory (issue 19): a shard caches only its namespaces' accounts, and still converges.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { apply } from '../../src/devtools/apply.ts';
import { makeCa, makeCertificate } from '../../src/devtools/certificates.ts';
import { shardOfNamespace } from '../../src/controller/sharding.ts';
import type { KubeObject } from '../../src/kube/client.ts';
import { createNamespace, deleteNamespace, waitFor } from './support/cluster.ts';
import { account, sender, startHarness, tlsSecret, type Harness } from './support/operator.ts';
import { scrape, startOperatorProcess, type OperatorProcess } from './support/operator-process.ts';

const SHARDS = 3;
let h: Harness;
let dir: string;
const namespaces: string[] = [];
const processes: OperatorProcess[] = [];

beforeEach(async () => {
  h = await startHarness(await createNamespace('shard-lease'));
  dir = mkdtempSync(join(tmpdir(), 'sharding-'));
  writeFileSync(join(dir, 'token'), h.token, { mode: 0o600 });
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop('SIGKILL')));
  await h.stop();
  for (const ns of [h.namespace, ...namespaces.splice(0)]) await deleteNamespace(ns);
  rmSync(dir, { recursive: true, force: true });
});

const inNamespace = (namespace: string, object: Record<string, unknown>) =>
  apply(h.kube, { ...object, metadata: { ...(object.metadata as object), namespace } } as KubeObject, 'integration-tests');

const accountReady = async (namespace: string, name: string) => {
  const a = await h.kube.request<{ metadata: { generation: number }; status?: { conditions?: { type: string; status: string; observedGeneration?: number }[] } }>({
    verb: 'get',
    resource: 'channelaccounts',
    method: 'GET',
    path: `/apis/chaman.io/v1alpha1/namespaces/${namespace}/channelaccounts/${name}`,
  });
  const ready = a.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' && ready.observedGeneration === a.metadata.generation;
};

/**
 * How many objects of a kind a process exports in chaman_resources (summed over the Ready states):
 * its accounts come straight from its cache, unfiltered, so for them this is the cache's size.
 */
const exported = async (p: OperatorProcess, kind: string) => {
  const text = await (await fetch(p.metricsUrl)).text();
  const lines = text.split('\n').filter((l) => l.startsWith(`chaman_resources{kind="${kind}",`));
  return lines.reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
};

/** The namespaces whose objects a process reconciled, from its debug log ("reconciled" lines). */
const reconciledNamespaces = (p: OperatorProcess) =>
  new Set([...p.output.join('').matchAll(/"object":"(?:ChannelAccount|ChamanSender):([^/"]+)\//g)].map((m) => m[1]!));

it('three shards split the namespaces; a killed shard is taken over by its standby; no duplicate', async () => {
  // At least one namespace per shard.
  const byShard = new Map<number, string[]>();
  while ([...Array(SHARDS).keys()].some((i) => !byShard.get(i)?.length) && namespaces.length < 24) {
    const ns = await createNamespace('shard');
    namespaces.push(ns);
    const i = shardOfNamespace(ns, SHARDS);
    byShard.set(i, [...(byShard.get(i) ?? []), ns]);
  }
  const cert = await makeCertificate({ ca: await makeCa(), freshKey: true });
  const rest = account('rest', { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] });
  const start = (index: number) =>
    startOperatorProcess({
      namespace: namespaces.join(','),
      chamanUrl: h.emulator.url,
      tokenFile: join(dir, 'token'),
      extraArgs: ['--shard-count', String(SHARDS), '--shard-index', String(index), '--leader-elect', '--leader-election-namespace', h.namespace],
    }).then((p) => (processes.push(p), p));
  const shards = await Promise.all([0, 1, 2].map(start));
  for (const p of shards) await waitFor('each shard leads its own Lease', async () => (await scrape(p.metricsUrl, 'chaman_leader')) === 1, 30_000, 200);
  const standby = await start(1);

  for (const [i, ns] of namespaces.entries()) {
    await inNamespace(ns, sender('apk', String(300100 + i)));
    await inNamespace(ns, tlsSecret('rest-cert', cert.pem));
    await inNamespace(ns, rest);
  }
  for (const ns of namespaces) await waitFor(`${ns}/rest Ready`, () => accountReady(ns, 'rest'), 60_000, 200);

  // Each shard reconciled exactly the namespaces that hash to it.
  for (const [index, p] of shards.entries()) {
    expect([...reconciledNamespaces(p)].sort()).toEqual([...(byShard.get(index) ?? [])].sort());
  }
  expect(reconciledNamespaces(standby).size).toBe(0);
  // Each shard caches the one account of each of its namespaces, and none of the others'.
  for (const [index, p] of shards.entries()) {
    expect(await exported(p, 'ChannelAccount')).toBe(byShard.get(index)!.length);
    expect(await exported(p, 'ChamanSender')).toBe(byShard.get(index)!.length);
  }
  // The standby was started last and its accounts are Ready fast: it may not serve /metrics yet.
  await waitFor('the standby serves /metrics', async () => (await scrape(standby.metricsUrl, 'chaman_leader')) !== undefined, 30_000, 200);
  await waitFor("the standby caches shard 1's accounts", async () => (await exported(standby, 'ChannelAccount')) === byShard.get(1)!.length, 30_000, 200);
  // A replica started now lists what exists: shard 0's accounts and Secrets, and every sender.
  const late = await start(0);
  const synced = await waitFor('the late replica lists its caches', async () => late.output.join('').split('\n').find((l) => l.includes('"caches synced"')), 30_000, 200);
  expect((JSON.parse(synced) as { cached: Record<string, number> }).cached).toMatchObject({ accounts: byShard.get(0)!.length, secrets: byShard.get(0)!.length, senders: namespaces.length });
  await late.stop('SIGKILL');

  // Kill shard 1's replica: its standby takes the Lease (within the lease duration) and carries on.
  const killedAt = performance.now();
  await shards[1]!.stop('SIGKILL');
  await waitFor('the standby leads shard 1', async () => (await scrape(standby.metricsUrl, 'chaman_leader')) === 1, 30_000, 200);
  // The Lease (15 s) must expire first; the standby polls every 2 s (± jitter); the rest is this machine's load.
  expect(performance.now() - killedAt).toBeLessThan(15_000 + 15_000);
  const target = byShard.get(1)![0]!;
  await inNamespace(target, account('second', { type: 'REST', permissions: ['DimonaConsultation'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] }));
  await waitFor(`${target}/second Ready`, () => accountReady(target, 'second'), 30_000, 200);
  expect([...reconciledNamespaces(standby)].sort()).toEqual([...byShard.get(1)!].sort());
  expect(await exported(standby, 'ChannelAccount')).toBe(byShard.get(1)!.length + 1);
  expect(await exported(shards[0]!, 'ChannelAccount')).toBe(byShard.get(0)!.length);

  // No duplicate: every sender holds exactly its accounts in Chaman.
  for (const [i, ns] of namespaces.entries()) {
    const held = await h.chaman.listAccounts(String(300100 + i));
    expect(held).toHaveLength(ns === target ? 2 : 1);
  }
}, 300_000);

it('rolling from 2 shards to 3: the shard of three waits while a shard of two lives, then takes over; no namespace is worked twice', async () => {
  // A namespace that shard 2 of three owns, and that a shard of two owns too.
  let ns = '';
  while (!ns || shardOfNamespace(ns, 3) !== 2) {
    ns = await createNamespace('shard-roll');
    namespaces.push(ns);
  }
  const cert = await makeCertificate({ ca: await makeCa(), freshKey: true });
  const start = (count: number, index: number) =>
    startOperatorProcess({
      namespace: ns,
      chamanUrl: h.emulator.url,
      tokenFile: join(dir, 'token'),
      extraArgs: ['--shard-count', String(count), '--shard-index', String(index), '--leader-elect', '--leader-election-namespace', h.namespace],
    }).then((p) => (processes.push(p), p));
  const old = await Promise.all([start(2, 0), start(2, 1)]);
  for (const p of old) await waitFor('each shard of two leads', async () => (await scrape(p.metricsUrl, 'chaman_leader')) === 1, 30_000, 200);
  const next = await start(3, 2);
  const holder = async () =>
    (await h.kube.request<{ spec?: { holderIdentity?: string } }>({ verb: 'get', resource: 'leases', method: 'GET', path: `/apis/coordination.k8s.io/v1/namespaces/${h.namespace}/leases/chaman-operator-shard-2` }).catch(() => undefined))?.spec?.holderIdentity;
  await waitFor('the shard of three to hold its Lease', async () => !!(await holder()), 30_000, 200);

  await inNamespace(ns, sender('apk', '300190'));
  await inNamespace(ns, tlsSecret('rest-cert', cert.pem));
  await inNamespace(ns, account('rest', { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] }));
  await waitFor(`${ns}/rest Ready`, () => accountReady(ns, 'rest'), 60_000, 200);
  expect(await scrape(next.metricsUrl, 'chaman_leader')).toBe(0);
  expect(reconciledNamespaces(next).size).toBe(0);
  expect(next.output.join('')).toMatch(/Lease chaman-operator-shard-[01] is held by [^"]* with chaman\.io\/shard-count=2, this replica has 3/);
  const owner = old[shardOfNamespace(ns, 2)]!;
  expect([...reconciledNamespaces(owner)]).toEqual([ns]);
  // The other shard of two watches ns too (its only listed namespace) and keeps none of its accounts.
  expect(await exported(owner, 'ChannelAccount')).toBe(1);
  expect(await exported(old[1 - shardOfNamespace(ns, 2)]!, 'ChannelAccount')).toBe(0);

  // The last replicas of two go (SIGTERM releases their Leases): the shard of three leads and works.
  await Promise.all(old.map((p) => p.stop('SIGTERM')));
  await waitFor('the shard of three leads', async () => (await scrape(next.metricsUrl, 'chaman_leader')) === 1, 30_000, 200);
  await inNamespace(ns, account('second', { type: 'REST', permissions: ['DimonaConsultation'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] }));
  await waitFor(`${ns}/second Ready`, () => accountReady(ns, 'second'), 30_000, 200);
  expect([...reconciledNamespaces(next)]).toEqual([ns]);
  expect(await h.chaman.listAccounts('300190')).toHaveLength(2);
}, 300_000);
