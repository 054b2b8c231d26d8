// The Kubernetes adapters against the REAL control plane (kube-apiserver + etcd from test/controlplane):
// informer list/watch/410 relist, metadata-only Secrets, status server-side apply on a CRD with a
// status subresource, no-op writes skipped, owned ConfigMap, event de-duplication, Lease election.
// No mocked Kubernetes API here.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  EventRecorder,
  Informer,
  KubeObjects,
  LeaderElector,
  RESOURCES,
  createKubeClient,
  isConflict,
  resourcePath,
  type KubeClient,
  type KubeList,
  type KubeRequest,
  type Lease,
  type KubeObject,
  type RequestRecord,
  type ResourceType,
} from '../../src/kube/index.ts';
import { leaseName, shardAgreement } from '../../src/controller/sharding.ts';

function kubeconfigPath(): string {
  let p: string | undefined;
  try {
    p = (inject as unknown as (k: string) => string | undefined)('kubeconfig');
  } catch {
    // not provided by the global setup
  }
  p ??= process.env.CHAMAN_TEST_KUBECONFIG;
  if (!p) throw new Error('no kubeconfig: the integration global setup provides it (inject("kubeconfig")) or set CHAMAN_TEST_KUBECONFIG');
  return p;
}

async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const PROBES: ResourceType = { group: 'kubetest.chaman.io', version: 'v1', plural: 'probes', kind: 'Probe', namespaced: true };

const probeCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'probes.kubetest.chaman.io' },
  spec: {
    group: 'kubetest.chaman.io',
    scope: 'Namespaced',
    names: { plural: 'probes', singular: 'probe', kind: 'Probe', listKind: 'ProbeList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { size: { type: 'integer' } } },
              status: {
                type: 'object',
                properties: {
                  observedGeneration: { type: 'integer' },
                  message: { type: 'string' },
                  conditions: {
                    type: 'array',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['type'],
                    items: {
                      type: 'object',
                      required: ['type', 'status'],
                      properties: {
                        type: { type: 'string' },
                        status: { type: 'string' },
                        reason: { type: 'string' },
                        message: { type: 'string' },
                        observedGeneration: { type: 'integer' },
                        lastTransitionTime: { type: 'string', format: 'date-time' },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};

let client: KubeClient;
let objects: KubeObjects;
let ns: string;
const records: RequestRecord[] = [];
const informers: Informer[] = [];

async function create<T extends KubeObject>(rt: ResourceType, body: object, namespace = ns): Promise<T> {
  return client.request<T>({ verb: 'create', resource: rt.plural, method: 'POST', path: resourcePath(rt, namespace), body });
}

beforeAll(async () => {
  client = await createKubeClient({ kubeconfig: kubeconfigPath(), onRequest: (r) => records.push(r) });
  objects = new KubeObjects(client);
  ns = `kube-it-${randomBytes(3).toString('hex')}`;
  await create(RESOURCES.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, undefined);
  const crds: ResourceType = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false };
  try {
    await create(crds, probeCrd, undefined);
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
  await waitFor('the Probe CRD to be established', async () => {
    const crd = await objects.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(crds, undefined, probeCrd.metadata.name);
    return crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  });
  // discovery can lag behind Established for a moment
  await waitFor('probes to be served', async () => {
    try {
      await client.request({ verb: 'list', resource: 'probes', method: 'GET', path: resourcePath(PROBES, ns) });
      return true;
    } catch {
      return false;
    }
  });
});

afterAll(async () => {
  await Promise.all(informers.map((i) => i.stop()));
  if (client && ns) {
    await client.request({ verb: 'delete', resource: 'namespaces', method: 'DELETE', path: resourcePath(RESOURCES.namespaces, undefined, ns) }).catch(() => {});
  }
  await client?.close();
});

describe('informer on the real API server', () => {
  it('lists, then sees adds, updates and deletes of ConfigMaps', async () => {
    await create(RESOURCES.configMaps, { metadata: { name: 'before' }, data: { a: '1' } });
    const events: string[] = [];
    const inf = new Informer({ client, resource: RESOURCES.configMaps, namespaces: [ns], watchTimeoutSeconds: 30 });
    informers.push(inf);
    inf.on('add', (o) => events.push(`add ${o.metadata.name}`));
    inf.on('update', (_o, n) => events.push(`update ${n.metadata.name} ${(n as { data?: Record<string, string> }).data?.a}`));
    inf.on('delete', (o) => events.push(`delete ${o.metadata.name}`));
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(15_000));
    expect(events).toContain('add before');

    await create(RESOURCES.configMaps, { metadata: { name: 'live' }, data: { a: '1' } });
    await waitFor('add live', () => events.includes('add live'));
    await client.request({
      verb: 'patch', resource: 'configmaps', method: 'PATCH', path: resourcePath(RESOURCES.configMaps, ns, 'live'),
      contentType: 'application/merge-patch+json', body: { data: { a: '2' } },
    });
    await waitFor('update live', () => events.includes('update live 2'));
    expect((inf.get(ns, 'live') as { data?: Record<string, string> }).data).toEqual({ a: '2' });
    await client.request({ verb: 'delete', resource: 'configmaps', method: 'DELETE', path: resourcePath(RESOURCES.configMaps, ns, 'live') });
    await waitFor('delete live', () => events.includes('delete live'));
    expect(inf.get(ns, 'live')).toBeUndefined();
  });

  it('recovers from 410 Gone by relisting (watch forced from a stale resourceVersion)', async () => {
    // The watch cache of a resource serves history back to the resourceVersion at which it was
    // filled; the Probe CRD's cache was filled after the cluster had already written hundreds of
    // revisions, so a watch from resourceVersion 1 is "too old": a genuine 410 from the server.
    const restarts: string[] = [];
    let relists = 0;
    const inf = new Informer({
      client,
      resource: PROBES,
      namespaces: [ns],
      hooks: { onRestart: (r) => restarts.push(r), onRelist: () => relists++ },
      backoff: { baseMs: 50, capMs: 500 },
    });
    informers.push(inf);
    const events: string[] = [];
    inf.on('add', (o) => events.push(`add ${o.metadata.name}`));
    inf.on('delete', (o) => events.push(`delete ${o.metadata.name}`));
    await create(PROBES, { apiVersion: 'kubetest.chaman.io/v1', kind: 'Probe', metadata: { name: 'relist-a' } });
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(15_000));
    expect(inf.get(ns, 'relist-a')).toBeDefined();
    inf.restartWatch('1');
    await waitFor('a relist after 410', () => relists > 0 && restarts.includes('expired'));
    await create(PROBES, { apiVersion: 'kubetest.chaman.io/v1', kind: 'Probe', metadata: { name: 'relist-b' } });
    await waitFor('add after the relist', () => events.includes('add relist-b'));
    await client.request({ verb: 'delete', resource: 'probes', method: 'DELETE', path: resourcePath(PROBES, ns, 'relist-a') });
    await waitFor('delete after the relist', () => events.includes('delete relist-a'));
  });

  it('metadata-only Secret informer never holds data; the content is read with a GET', async () => {
    const value = `pw-${randomBytes(6).toString('hex')}`;
    const inf = new Informer({ client, resource: RESOURCES.secrets, namespaces: [ns], metadataOnly: true });
    informers.push(inf);
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(15_000));
    await create(RESOURCES.secrets, { metadata: { name: 'ftp-pass' }, stringData: { password: value } });
    await waitFor('the Secret in the cache', () => inf.get(ns, 'ftp-pass'));
    await client.request({
      verb: 'patch', resource: 'secrets', method: 'PATCH', path: resourcePath(RESOURCES.secrets, ns, 'ftp-pass'),
      contentType: 'application/merge-patch+json', body: { stringData: { password: `${value}-2` } },
    });
    await waitFor('the update', () => inf.get(ns, 'ftp-pass')?.metadata.resourceVersion !== undefined && inf.get(ns, 'ftp-pass'));
    const cached = inf.get(ns, 'ftp-pass')!;
    expect(cached.kind).toBe('PartialObjectMetadata');
    const dump = JSON.stringify(inf.list());
    expect(dump).not.toContain(value);
    expect(dump).not.toContain(Buffer.from(value).toString('base64'));
    expect(dump).not.toContain('"data"');
    const secret = await objects.getSecretData(ns, 'ftp-pass');
    expect(secret?.data.password?.toString()).toMatch(new RegExp(`^${value}`));
    expect(await objects.getSecretData(ns, 'absent')).toBeUndefined();
  });
});

describe('writes on the real API server', () => {
  it('status server-side apply under one field manager; a re-apply of the same status makes no request', async () => {
    const probe = await create<KubeObject>(PROBES, { apiVersion: 'kubetest.chaman.io/v1', kind: 'Probe', metadata: { name: 'p1' }, spec: { size: 1 } });
    const status = {
      observedGeneration: 1,
      conditions: [{ type: 'Ready', status: 'False', reason: 'Creating', message: 'creating', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' }],
    };
    const applied = await objects.applyStatus<KubeObject & { status?: unknown }>(PROBES, probe, status);
    expect(applied?.status).toEqual(status);
    const managers = (applied!.metadata.managedFields as { manager: string; operation: string; subresource?: string }[]).filter((m) => m.subresource === 'status');
    expect(managers).toEqual([expect.objectContaining({ manager: 'chaman-operator', operation: 'Apply' })]);
    const before = records.length;
    expect(await objects.applyStatus(PROBES, applied!, status)).toBeUndefined();
    expect(records.length).toBe(before);
    // leaving a field out removes it (the operator owns the whole status)
    const next = await objects.applyStatus<KubeObject & { status?: unknown }>(PROBES, applied!, { observedGeneration: 1 });
    expect(next?.status).toEqual({ observedGeneration: 1 });
  });

  it('finalizers: merge patch with a resourceVersion precondition, no request when unchanged', async () => {
    const probe = await create<KubeObject>(PROBES, { apiVersion: 'kubetest.chaman.io/v1', kind: 'Probe', metadata: { name: 'p2' }, spec: { size: 1 } });
    const withFinalizer = await objects.addFinalizer<KubeObject>(PROBES, probe, 'chaman.io/finalizer');
    expect(withFinalizer?.metadata.finalizers).toEqual(['chaman.io/finalizer']);
    const before = records.length;
    expect(await objects.addFinalizer(PROBES, withFinalizer!, 'chaman.io/finalizer')).toBeUndefined();
    expect(await objects.patchMetadata(PROBES, withFinalizer!, { annotations: { 'chaman.io/paused': null } })).toBeUndefined();
    expect(records.length).toBe(before);
    // a stale copy (older resourceVersion) must not remove a finalizer
    const annotated = await objects.patchMetadata<KubeObject>(PROBES, withFinalizer!, { annotations: { 'chaman.io/external-name': 'acc-1' } });
    expect(annotated?.metadata.annotations?.['chaman.io/external-name']).toBe('acc-1');
    await expect(objects.removeFinalizer(PROBES, withFinalizer!, 'chaman.io/finalizer')).rejects.toSatisfy(isConflict);
    const released = await objects.removeFinalizer<KubeObject>(PROBES, annotated!, 'chaman.io/finalizer');
    expect(released?.metadata.finalizers ?? []).toEqual([]);
  });

  it('owned ConfigMap: created with a controller ownerReference, unchanged costs nothing, updated on change', async () => {
    const owner = await create<KubeObject>(PROBES, { apiVersion: 'kubetest.chaman.io/v1', kind: 'Probe', metadata: { name: 'owner' } });
    const target = { namespace: ns, name: 'client-id' };
    expect(await objects.ensureOwnedConfigMap(owner, target, { clientId: 'self_service_chaman_300010_abcdefghij' })).toBe('created');
    const cm = await objects.get<KubeObject>(RESOURCES.configMaps, ns, 'client-id');
    expect(cm?.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Probe', name: 'owner', uid: owner.metadata.uid, controller: true })]);
    const writes = () => records.filter((r) => !['get', 'list', 'watch'].includes(r.verb)).length;
    const w0 = writes();
    expect(await objects.ensureOwnedConfigMap(owner, target, { clientId: 'self_service_chaman_300010_abcdefghij' }, cm)).toBe('unchanged');
    expect(await objects.ensureOwnedConfigMap(owner, target, { clientId: 'self_service_chaman_300010_abcdefghij' })).toBe('unchanged');
    expect(writes()).toBe(w0);
    expect(await objects.ensureOwnedConfigMap(owner, target, { clientId: 'self_service_chaman_300010_0123456789' }, cm)).toBe('updated');
    await create(RESOURCES.configMaps, { metadata: { name: 'not-ours' }, data: { x: 'y' } });
    expect(await objects.ensureOwnedConfigMap(owner, { namespace: ns, name: 'not-ours' }, { clientId: 'z' })).toBe('conflict');
  });

  it("owned ConfigMap: refuses a ConfigMap that lacks the owner's controller reference or its label, writing nothing", async () => {
    const owner = await create<KubeObject>(PROBES, { apiVersion: 'kubetest.chaman.io/v1', kind: 'Probe', metadata: { name: 'cm-owner' } });
    const labels = { 'app.kubernetes.io/managed-by': 'chaman-operator' };
    const ref = { apiVersion: 'kubetest.chaman.io/v1', kind: 'Probe', name: 'cm-owner', uid: owner.metadata.uid!, controller: true };
    // Someone else's ConfigMaps in the tenant's namespace: one names the owner (anyone with edit can
    // write an ownerReference), one carries the label (anyone can write a label).
    await create(RESOURCES.configMaps, { metadata: { name: 'names-owner', ownerReferences: [ref] }, data: { app: 'theirs' } });
    await create(RESOURCES.configMaps, { metadata: { name: 'labelled', labels }, data: { app: 'theirs' } });
    const writes = () => records.filter((r) => r.resource === 'configmaps' && !['get', 'list', 'watch'].includes(r.verb)).length;
    const w0 = writes();
    for (const name of ['names-owner', 'labelled']) {
      expect(await objects.ensureOwnedConfigMap(owner, { namespace: ns, name, labels }, { clientId: 'self_service_chaman_300010_abcdefghij' })).toBe('conflict');
      expect((await objects.get<KubeObject & { data?: object }>(RESOURCES.configMaps, ns, name))?.data).toEqual({ app: 'theirs' });
    }
    expect(writes()).toBe(w0);
    // Its own (created by it: both marks) is written.
    expect(await objects.ensureOwnedConfigMap(owner, { namespace: ns, name: 'own', labels }, { clientId: 'a' })).toBe('created');
    expect(await objects.ensureOwnedConfigMap(owner, { namespace: ns, name: 'own', labels }, { clientId: 'b' })).toBe('updated');
  });

  it('events: repeats are de-duplicated into one Event whose series counts them', async () => {
    const probe = await create<KubeObject>(PROBES, { apiVersion: 'kubetest.chaman.io/v1', kind: 'Probe', metadata: { name: 'p3' } });
    const errors: unknown[] = [];
    const rec = new EventRecorder({ client, instance: 'it-1', onError: (e) => errors.push(e) });
    for (let i = 0; i < 20; i++) await rec.warning(probe, 'BackendUnavailable', 'Reconcile', 'Chaman answered 503; retrying with backoff');
    await rec.normal(probe, 'Created', 'Create', 'account created in Chaman');
    type Ev = KubeObject & { reason?: string; series?: { count: number }; regarding?: { name?: string } };
    const eventsOfP3 = async () =>
      (await client.request<KubeList<Ev>>({ verb: 'list', resource: 'events', method: 'GET', path: resourcePath(RESOURCES.events, ns) })).items.filter(
        (e) => e.regarding?.name === 'p3',
      );
    expect(errors).toEqual([]);
    expect((await eventsOfP3()).map((e) => e.reason).sort()).toEqual(['BackendUnavailable', 'Created']);
    // with a zero interval, the next repeat is written as a series update of the same Event
    const eager = new EventRecorder({ client, instance: 'it-2', seriesUpdateIntervalMs: 0, onError: (e) => errors.push(e) });
    for (let i = 0; i < 3; i++) await eager.warning(probe, 'AccessDenied', 'Reconcile', 'Chaman refused access (R14)');
    const denied = (await eventsOfP3()).filter((e) => e.reason === 'AccessDenied');
    expect(errors).toEqual([]);
    expect(denied).toHaveLength(1);
    expect(denied[0]!.series?.count).toBe(3);
  });
});

describe('leader election on a real Lease', () => {
  it('two electors: only one leads; the other takes over quickly after a release', async () => {
    const log: string[] = [];
    const make = (id: string) =>
      new LeaderElector({
        // a's first release meets a renewal that reached the API server after stop() gave up on it
        client: id === 'replica-a' ? withRenewalBeforeRelease(client) : client, namespace: ns, name: 'chaman-operator', identity: id,
        leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 300,
        onStartedLeading: () => log.push(`${id} started`),
        onStoppedLeading: () => log.push(`${id} stopped`),
      });
    const a = make('replica-a');
    const b = make('replica-b');
    a.start();
    await waitFor('a to lead', () => a.isLeader());
    b.start();
    await new Promise((r) => setTimeout(r, 1_500));
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    expect(b.leader).toBe('replica-a');
    const released = Date.now();
    await a.stop();
    await waitFor('b to lead', () => b.isLeader(), 5_000);
    const takeoverMs = Date.now() - released;
    expect(takeoverMs).toBeLessThan(2_000); // well under the 4 s lease duration
    expect(log).toEqual(['replica-a started', 'replica-a stopped', 'replica-b started']);
    const lease = await objects.get<KubeObject & { spec?: { holderIdentity?: string; leaseTransitions?: number } }>(RESOURCES.leases, ns, 'chaman-operator');
    expect(lease?.spec?.holderIdentity).toBe('replica-b');
    await b.stop();
  });

  it('fence: a replica of another shard count holds its Lease but does not lead while a live Lease disagrees', async () => {
    const errors: string[] = [];
    const make = (count: number, index: number) => {
      const shard = { count, index };
      return new LeaderElector({
        client, namespace: ns, name: leaseName('fence', shard), identity: `r${count}-${index}`, agreement: shardAgreement('fence', shard),
        leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 300,
        onError: (err) => errors.push(`r${count}-${index}: ${(err as Error).message}`),
      });
    };
    const lease = (name: string) => objects.get<Lease>(RESOURCES.leases, ns, name);
    // Shards 0 and 1 of two lead; shard 2 of three (a StatefulSet rolling from 2 to 3) must wait.
    const old = [make(2, 0), make(2, 1)];
    for (const e of old) e.start();
    await waitFor('both shards of two to lead', () => old.every((e) => e.isLeader()));
    const next = make(3, 2);
    next.start();
    await waitFor('shard 2 of three to hold its Lease', async () => (await lease('fence-shard-2'))?.spec?.holderIdentity === 'r3-2');
    await new Promise((r) => setTimeout(r, 1_500));
    expect([...old.map((e) => e.isLeader()), next.isLeader()]).toEqual([true, true, false]);
    expect((await lease('fence-shard-2'))?.metadata.annotations?.['chaman.io/shard-count']).toBe('3');
    expect(errors).toContainEqual(expect.stringMatching(/^r3-2: Lease fence-shard-[01] is held by r2-[01] with chaman\.io\/shard-count=2, this replica has 3/));
    // The old replicas go (released): the new count leads at its next check.
    await Promise.all(old.map((e) => e.stop()));
    await waitFor('shard 2 of three to lead', () => next.isLeader(), 3_000);
    // A replica of the old count comes back: it sees a live Lease of three and waits; the new keeps leading.
    const back = make(2, 0);
    back.start();
    await waitFor('the returning shard to hold its Lease', async () => (await lease('fence-shard-0'))?.spec?.holderIdentity === 'r2-0');
    await new Promise((r) => setTimeout(r, 1_000));
    expect([back.isLeader(), next.isLeader()]).toEqual([false, true]);
    // A replica that dies holding its Lease (no release) fences the other count until the Lease expires.
    await next.stop({ release: false });
    const diedAt = Date.now();
    await waitFor('the returning shard to lead once the dead Lease expired', () => back.isLeader(), 10_000);
    expect(Date.now() - diedAt).toBeGreaterThan(3_500); // the 4 s lease duration, on the waiting replica's clock
    await back.stop();
  });
});

/**
 * A client whose first release of the Lease (holderIdentity emptied) conflicts: just before it, the
 * renewal that stop() aborted on the client side reaches the API server and changes the Lease.
 */
function withRenewalBeforeRelease(inner: KubeClient): KubeClient {
  let raced = false;
  const racing = Object.create(inner) as KubeClient;
  racing.request = async <T,>(req: KubeRequest): Promise<T> => {
    const lease = req.body as Lease | undefined;
    if (!raced && req.method === 'PUT' && lease?.spec && lease.spec.holderIdentity === null) {
      raced = true;
      await inner.request({ ...req, body: { ...lease, spec: { ...lease.spec, holderIdentity: 'replica-a', leaseDurationSeconds: 4 } } });
    }
    return inner.request<T>(req);
  };
  return racing;
}
