import { describe, expect, it } from 'vitest';
import { ManualClock, flushMicrotasks } from '../../../src/kube/clock.ts';
import { KubeClient, RESOURCES, type KubeObject, type RequestRecord } from '../../../src/kube/client.ts';
import { Informer, METADATA_ACCEPT, METADATA_LIST_ACCEPT, type InformerOptions, type WatchRestartReason } from '../../../src/kube/informer.ts';
import { FakeTransport, WatchStreamResponse, cm, isList, isWatch, jsonResponse, list, stoppedAfterEach } from './fake-transport.ts';

const informers = stoppedAfterEach<Informer>();

function setup(extra: Partial<InformerOptions<KubeObject>> = {}) {
  const clock = new ManualClock();
  const transport = new FakeTransport();
  const records: RequestRecord[] = [];
  const client = new KubeClient({ server: 'https://k8s.test', transport, onRequest: (r) => records.push(r) });
  const events: string[] = [];
  const restarts: WatchRestartReason[] = [];
  let relists = 0;
  const inf = new Informer({
    client,
    resource: RESOURCES.configMaps,
    clock,
    random: () => 0,
    backoff: { baseMs: 1_000, capMs: 8_000, jitter: 0 },
    watchTimeoutSeconds: 60,
    stallTimeoutMs: 90_000,
    hooks: { onRestart: (r) => restarts.push(r), onRelist: () => relists++ },
    ...extra,
  });
  informers.push(inf);
  inf.on('add', (o) => events.push(`add ${o.metadata.namespace}/${o.metadata.name}@${o.metadata.resourceVersion}`));
  inf.on('update', (o, n) => events.push(`update ${n.metadata.namespace}/${n.metadata.name}@${o.metadata.resourceVersion}->${n.metadata.resourceVersion}`));
  inf.on('delete', (o) => events.push(`delete ${o.metadata.namespace}/${o.metadata.name}`));
  /** Queues a watch response and returns it. */
  const nextWatch = () => {
    const w = new WatchStreamResponse();
    transport.on((u) => isWatch(u), () => w);
    return w;
  };
  return { clock, transport, client, inf, events, restarts, records, get relists() { return relists; }, nextWatch };
}

describe('Informer', () => {
  it('lists, then watches from the list resourceVersion with bookmarks and a server timeout', async () => {
    const t = setup({ labelSelector: 'app=x' });
    t.transport.on(isList, () => jsonResponse(200, list([cm('a', 'one', '10'), cm('b', 'two', '11')], '12')));
    const w = t.nextWatch();
    t.inf.start();
    await t.inf.waitForSync();
    expect(t.inf.hasSynced()).toBe(true);
    await flushMicrotasks();
    expect(t.events).toEqual(['add a/one@10', 'add b/two@11']);
    const watch = t.transport.watches()[0]!.parsed;
    expect(watch.pathname).toBe('/api/v1/configmaps');
    expect(Object.fromEntries(watch.searchParams)).toEqual({
      labelSelector: 'app=x',
      watch: '1',
      resourceVersion: '12',
      allowWatchBookmarks: 'true',
      timeoutSeconds: '60',
    });
    expect(t.transport.lists()[0]!.parsed.searchParams.get('limit')).toBe('500');

    w.push('ADDED', cm('a', 'three', '13'));
    w.push('MODIFIED', cm('a', 'one', '14', { k: 'v' }));
    w.push('MODIFIED', cm('a', 'one', '14', { k: 'v' })); // same resourceVersion: no update
    w.push('DELETED', cm('b', 'two', '15'));
    await flushMicrotasks();
    expect(t.events.slice(2)).toEqual(['add a/three@13', 'update a/one@10->14', 'delete b/two']);
    expect(t.inf.get('a', 'one')?.metadata.resourceVersion).toBe('14');
    expect(t.inf.get('b', 'two')).toBeUndefined();
    expect(t.inf.keys().sort()).toEqual(['a/one', 'a/three']);
    expect(t.inf.list('a')).toHaveLength(2);
    // managedFields are dropped from the cache by default
    expect(t.inf.get('a', 'one')?.metadata.managedFields).toBeUndefined();
    expect(t.records.map((r) => `${r.verb} ${r.resource} ${r.status}`)).toEqual(['list configmaps 200', 'watch configmaps 200']);
  });

  it('follows bookmarks and resumes a closed watch from the last resourceVersion without relisting', async () => {
    const t = setup();
    t.transport.on(isList, () => jsonResponse(200, list([], '5')));
    const w1 = t.nextWatch();
    t.inf.start();
    await t.inf.waitForSync();
    await flushMicrotasks();
    w1.push('BOOKMARK', { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '99' } });
    await flushMicrotasks();
    expect(t.events).toEqual([]);
    t.nextWatch();
    w1.end(); // the server's timeoutSeconds
    await flushMicrotasks();
    expect(t.transport.watches()[1]!.parsed.searchParams.get('resourceVersion')).toBe('99');
    expect(t.transport.lists()).toHaveLength(1);
    expect(t.restarts).toEqual(['closed']);
  });

  it('relists on a 410 ERROR event and emits only the differences', async () => {
    const t = setup();
    t.transport.on(isList, () => jsonResponse(200, list([cm('a', 'keep', '1'), cm('a', 'change', '2'), cm('a', 'gone', '3')], '3')));
    const w1 = t.nextWatch();
    t.inf.start();
    await t.inf.waitForSync();
    await flushMicrotasks();
    t.transport.on(isList, () => jsonResponse(200, list([cm('a', 'keep', '1'), cm('a', 'change', '7'), cm('a', 'new', '8')], '9')));
    t.nextWatch();
    w1.push('ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version' });
    await flushMicrotasks();
    expect(t.events.slice(3)).toEqual(['delete a/gone', 'update a/change@2->7', 'add a/new@8']);
    expect(t.restarts).toEqual(['expired']);
    expect(t.relists).toBe(1);
    expect(t.transport.watches()[1]!.parsed.searchParams.get('resourceVersion')).toBe('9');
  });

  it('relists when the watch request itself answers 410', async () => {
    const t = setup();
    t.transport.on(isList, () => jsonResponse(200, list([cm('a', 'x', '1')], '2')));
    t.transport.on(isWatch, () => jsonResponse(410, { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' }));
    t.transport.on(isList, () => jsonResponse(200, list([], '20')));
    t.nextWatch();
    t.inf.start();
    await t.inf.waitForSync();
    await flushMicrotasks();
    expect(t.events).toEqual(['add a/x@1', 'delete a/x']);
    expect(t.restarts).toEqual(['expired']);
    expect(t.transport.watches()[1]!.parsed.searchParams.get('resourceVersion')).toBe('20');
  });

  it('restarts with capped exponential backoff on errors, resuming from the same resourceVersion', async () => {
    const t = setup();
    t.transport.on(isList, () => jsonResponse(200, list([], '7')));
    for (let i = 0; i < 5; i++) t.transport.on(isWatch, () => jsonResponse(500, { kind: 'Status', code: 500, reason: 'InternalError', message: 'etcd' }));
    const ok = t.nextWatch();
    t.inf.start();
    await t.inf.waitForSync();
    await flushMicrotasks();
    const times: number[] = [];
    const start = t.clock.now();
    for (let i = 0; i < 5; i++) {
      times.push(t.clock.nextTimerAt()! - start);
      await t.clock.advance(t.clock.nextTimerAt()! - t.clock.now());
    }
    expect(t.restarts).toEqual(['error', 'error', 'error', 'error', 'error']);
    // 1 s, 2 s, 4 s, 8 s, 8 s (cap) between attempts
    expect(times.map((x, i) => x - (times[i - 1] ?? 0))).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(t.transport.watches().every((w) => w.parsed.searchParams.get('resourceVersion') === '7')).toBe(true);
    expect(t.transport.lists()).toHaveLength(1);
    ok.push('ADDED', cm('a', 'x', '8'));
    await flushMicrotasks();
    expect(t.events).toEqual(['add a/x@8']);
  });

  it('retries a failed first list with backoff and is not synced until it succeeds', async () => {
    const t = setup();
    t.transport.on(isList, () => jsonResponse(503, { kind: 'Status', code: 503, reason: 'ServiceUnavailable' }));
    t.transport.on(isList, () => jsonResponse(200, list([], '1')));
    t.nextWatch();
    t.inf.start();
    await flushMicrotasks();
    expect(t.inf.hasSynced()).toBe(false);
    await t.clock.advance(1_000);
    expect(t.inf.hasSynced()).toBe(true);
  });

  it('the watchdog restarts a watch that stays silent longer than the limit', async () => {
    const t = setup();
    t.transport.on(isList, () => jsonResponse(200, list([], '3')));
    const w1 = t.nextWatch();
    t.inf.start();
    await t.inf.waitForSync();
    await flushMicrotasks();
    await t.clock.advance(60_000);
    w1.push('BOOKMARK', { metadata: { resourceVersion: '4' } }); // activity resets the watchdog
    await t.clock.advance(89_999);
    expect(t.restarts).toEqual([]);
    const w2 = t.nextWatch();
    await t.clock.advance(1);
    expect(t.restarts).toEqual(['stalled']);
    expect(w1.cancelled).toBe(true);
    expect(t.transport.watches()[1]!.parsed.searchParams.get('resourceVersion')).toBe('4');
    w2.push('ADDED', cm('a', 'x', '5'));
    await flushMicrotasks();
    expect(t.events).toEqual(['add a/x@5']);
  });

  it('metadata-only mode asks for PartialObjectMetadata and never caches data', async () => {
    const t = setup({ resource: RESOURCES.secrets, metadataOnly: true });
    const secret = (name: string, rv: string) => ({
      apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'a', name, resourceVersion: rv }, type: 'Opaque',
      data: { password: Buffer.from('s3cr3t-pw').toString('base64') }, stringData: { token: 'tok-123' },
    });
    t.transport.on(isList, () => jsonResponse(200, { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadataList', metadata: { resourceVersion: '2' }, items: [secret('s1', '1')] }));
    const w = t.nextWatch();
    t.inf.start();
    await t.inf.waitForSync();
    await flushMicrotasks();
    w.push('MODIFIED', secret('s1', '3'));
    await flushMicrotasks();
    expect(t.transport.lists()[0]!.headers.Accept).toBe(METADATA_LIST_ACCEPT);
    expect(t.transport.watches()[0]!.headers.Accept).toBe(METADATA_ACCEPT);
    expect(t.transport.lists()[0]!.parsed.pathname).toBe('/api/v1/secrets');
    const cached = JSON.stringify(t.inf.list());
    expect(cached).not.toContain('czNjcjN0');
    expect(cached).not.toContain('tok-123');
    expect(Object.keys(t.inf.get('a', 's1')!)).toEqual(['apiVersion', 'kind', 'metadata']);
  });

  it('watches several namespaces, syncs when all are listed, and relists one without touching the other', async () => {
    const t = setup({ namespaces: ['a', 'b'] });
    const wa = new WatchStreamResponse();
    t.transport.on((u) => isList(u) && u.pathname === '/api/v1/namespaces/a/configmaps', () => jsonResponse(200, list([cm('a', 'x', '1')], '10')));
    t.transport.on((u) => isWatch(u) && u.pathname === '/api/v1/namespaces/a/configmaps', () => wa);
    let releaseB!: () => void;
    const gate = new Promise<void>((r) => (releaseB = r));
    t.transport.on((u) => isList(u) && u.pathname === '/api/v1/namespaces/b/configmaps', async () => {
      await gate;
      return jsonResponse(200, list([cm('b', 'y', '2')], '10'));
    });
    t.transport.on((u) => isWatch(u) && u.pathname === '/api/v1/namespaces/b/configmaps', () => new WatchStreamResponse());
    t.inf.start();
    await flushMicrotasks();
    expect(t.inf.hasSynced()).toBe(false);
    releaseB();
    await t.inf.waitForSync();
    expect(t.inf.keys().sort()).toEqual(['a/x', 'b/y']);
    t.transport.on((u) => isList(u) && u.pathname === '/api/v1/namespaces/a/configmaps', () => jsonResponse(200, list([], '20')));
    t.transport.on((u) => isWatch(u) && u.pathname === '/api/v1/namespaces/a/configmaps', () => new WatchStreamResponse());
    wa.push('ERROR', { kind: 'Status', code: 410, reason: 'Expired' });
    await flushMicrotasks();
    expect(t.inf.keys()).toEqual(['b/y']);
  });

  it('follows continue tokens when listing in pages', async () => {
    const t = setup({ pageSize: 1 });
    t.transport.on(isList, () => jsonResponse(200, list([cm('a', 'p1', '1')], '5', 'tok1')));
    t.transport.on(isList, () => jsonResponse(200, list([cm('a', 'p2', '2')], '5')));
    t.nextWatch();
    t.inf.start();
    await t.inf.waitForSync();
    expect(t.inf.size).toBe(2);
    expect(t.transport.lists()[1]!.parsed.searchParams.get('continue')).toBe('tok1');
    expect(t.transport.lists()[1]!.parsed.searchParams.get('limit')).toBe('1');
  });

  it('restartWatch from a stale resourceVersion takes the 410 relist path', async () => {
    const t = setup();
    t.transport.on(isList, () => jsonResponse(200, list([], '50')));
    t.nextWatch();
    t.inf.start();
    await t.inf.waitForSync();
    await flushMicrotasks();
    t.transport.on((u) => isWatch(u) && u.searchParams.get('resourceVersion') === '1', () => jsonResponse(410, { kind: 'Status', code: 410, reason: 'Expired' }));
    t.transport.on(isList, () => jsonResponse(200, list([], '60')));
    t.nextWatch();
    t.inf.restartWatch('1');
    await t.clock.advance(1_000);
    expect(t.restarts).toEqual(['closed', 'expired']);
    expect(t.relists).toBe(1);
    expect(t.transport.watches().at(-1)!.parsed.searchParams.get('resourceVersion')).toBe('60');
  });

  it('a handler that throws does not stop the informer', async () => {
    const t = setup();
    t.inf.on('add', () => {
      throw new Error('bug');
    });
    t.transport.on(isList, () => jsonResponse(200, list([cm('a', 'x', '1'), cm('a', 'y', '2')], '2')));
    t.nextWatch();
    t.inf.start();
    await t.inf.waitForSync();
    expect(t.events).toEqual(['add a/x@1', 'add a/y@2']);
  });

  it('stop ends the watch and waitForSync can be aborted', async () => {
    const t = setup();
    t.transport.on(isList, (req) => new Promise((_, reject) => req.signal?.addEventListener('abort', () => reject(req.signal!.reason))));
    t.inf.start();
    const ac = new AbortController();
    const waiting = t.inf.waitForSync(ac.signal);
    ac.abort(new Error('timeout'));
    await expect(waiting).rejects.toThrow('timeout');
  });
});

describe('Informer indexes', () => {
  type Cm = KubeObject & { data?: Record<string, string> };
  // A stand-in for "the accounts of a sender" (one value) and "the Secrets an account uses" (several).
  const bySender = (o: Cm) => (o.data?.sender ? [`${o.metadata.namespace}/${o.data.sender}`] : []);
  const bySecret = (o: Cm) => (o.data?.secrets ?? '').split(',').filter(Boolean).map((s) => `${o.metadata.namespace}/${s}`);
  const names = (objs: readonly KubeObject[]) => objs.map((o) => o.metadata.name).sort();

  async function synced(items: unknown[]) {
    const t = setup();
    t.inf.addIndex('bySender', bySender as never).addIndex('bySecret', bySecret as never);
    t.transport.on(isList, () => jsonResponse(200, list(items, '10')));
    const w = t.nextWatch();
    t.inf.start();
    await t.inf.waitForSync();
    await flushMicrotasks();
    return Object.assign(t, { w });
  }

  it('keeps single- and multi-valued indexes up to date on add, update that moves a value, and delete', async () => {
    const t = await synced([
      cm('a', 'acc1', '1', { sender: 's1', secrets: 'tls-1,pw' }),
      cm('a', 'acc2', '2', { sender: 's1', secrets: 'tls-2' }),
      cm('b', 'acc3', '3', { sender: 's1', secrets: 'pw' }),
    ]);
    expect(names(t.inf.byIndex('bySender', 'a/s1'))).toEqual(['acc1', 'acc2']);
    expect(names(t.inf.byIndex('bySender', 'b/s1'))).toEqual(['acc3']);
    expect(names(t.inf.byIndex('bySecret', 'a/pw'))).toEqual(['acc1']);

    t.w.push('MODIFIED', cm('a', 'acc2', '4', { sender: 's2', secrets: 'tls-2,pw' }));
    t.w.push('ADDED', cm('a', 'acc4', '5', { sender: 's2' }));
    await flushMicrotasks();
    expect(names(t.inf.byIndex('bySender', 'a/s1'))).toEqual(['acc1']);
    expect(names(t.inf.byIndex('bySender', 'a/s2'))).toEqual(['acc2', 'acc4']);
    expect(names(t.inf.byIndex('bySecret', 'a/pw'))).toEqual(['acc1', 'acc2']);
    expect(t.inf.byIndex('bySender', 'a/s2').find((o) => o.metadata.name === 'acc2')?.metadata.resourceVersion).toBe('4');

    t.w.push('DELETED', cm('a', 'acc1', '6', { sender: 's1', secrets: 'tls-1,pw' }));
    await flushMicrotasks();
    expect(t.inf.byIndex('bySender', 'a/s1')).toEqual([]);
    expect(t.inf.byIndex('bySecret', 'a/tls-1')).toEqual([]);
    expect(names(t.inf.byIndex('bySecret', 'a/pw'))).toEqual(['acc2']);
    expect(names(t.inf.list('a'))).toEqual(['acc2', 'acc4']);
    expect(names(t.inf.list('b'))).toEqual(['acc3']);
    expect(t.inf.list('c')).toEqual([]);
  });

  it('a relist after 410 rebuilds the indexes: objects gone while the watch was down leave them, moved ones move', async () => {
    const t = await synced([cm('a', 'keep', '1', { sender: 's1' }), cm('a', 'move', '2', { sender: 's1' }), cm('a', 'gone', '3', { sender: 's1', secrets: 'x' })]);
    t.transport.on(isList, () => jsonResponse(200, list([cm('a', 'keep', '1', { sender: 's1' }), cm('a', 'move', '7', { sender: 's9' }), cm('a', 'new', '8', { secrets: 'x' })], '9')));
    t.nextWatch();
    t.w.push('ERROR', { kind: 'Status', code: 410, reason: 'Expired' });
    await flushMicrotasks();
    expect(t.relists).toBe(1);
    expect(names(t.inf.byIndex('bySender', 'a/s1'))).toEqual(['keep']);
    expect(names(t.inf.byIndex('bySender', 'a/s9'))).toEqual(['move']);
    expect(names(t.inf.byIndex('bySecret', 'a/x'))).toEqual(['new']);
  });

  it('an index added after sync is filled from the cache; names are unique and must exist; a throwing index function skips the object', async () => {
    const warnings: string[] = [];
    const t = setup({ logger: { debug: () => {}, warn: (o, msg) => warnings.push(`${(o as { index?: string }).index}: ${msg}`) } });
    t.transport.on(isList, () => jsonResponse(200, list([cm('a', 'x', '1', { sender: 's1' }), cm('a', 'y', '2')], '3')));
    t.nextWatch();
    t.inf.start();
    await t.inf.waitForSync();
    t.inf.addIndex('bySender', bySender as never);
    expect(names(t.inf.byIndex('bySender', 'a/s1'))).toEqual(['x']);
    expect(() => t.inf.addIndex('bySender', bySender as never)).toThrow(/already defined/);
    expect(() => t.inf.byIndex('byNothing', 'a')).toThrow(/not defined/);
    t.inf.addIndex('picky', (o) => {
      if (!(o as Cm).data?.sender) throw new Error('no sender');
      return ['all'];
    });
    expect(names(t.inf.byIndex('picky', 'all'))).toEqual(['x']);
    expect(warnings).toEqual(['picky: informer index function threw; object left out of that index']);
  });

  it('forEach and values iterate the cache (or one namespace) without copying it', async () => {
    const t = await synced([cm('a', 'x', '1'), cm('b', 'y', '2'), cm('b', 'z', '3')]);
    const seen: string[] = [];
    t.inf.forEach((o) => seen.push(o.metadata.name!), 'b');
    expect(seen.sort()).toEqual(['y', 'z']);
    expect([...t.inf.values()].map((o) => o.metadata.name).sort()).toEqual(['x', 'y', 'z']);
    // values() hands out the cached objects themselves, not copies
    expect([...t.inf.values()].find((o) => o.metadata.name === 'x')).toBe(t.inf.get('a', 'x'));
  });
});

describe('Informer cache hygiene', () => {
  const lastApplied = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', data: { password: 'czNjcjN0LXB3' } });
  const annotated = (kind: 'Secret' | 'ConfigMap', rv: string) => ({
    apiVersion: 'v1',
    kind,
    metadata: {
      namespace: 'a', name: 'o', uid: 'u-1', resourceVersion: rv, creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { team: 'payroll' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied, 'chaman.io/content-hash': 'h1' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'owner', uid: 'u-0', controller: true }],
      managedFields: [{ manager: 'kubectl' }],
    },
  });

  it('a cached Secret keeps name, namespace, uid, resourceVersion and ownerReferences only: no annotation, label or managedFields', async () => {
    const t = setup({ resource: RESOURCES.secrets, metadataOnly: true });
    t.transport.on(isList, () => jsonResponse(200, { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadataList', metadata: { resourceVersion: '2' }, items: [annotated('Secret', '1')] }));
    const w = t.nextWatch();
    t.inf.start();
    await t.inf.waitForSync();
    expect(Object.keys(t.inf.get('a', 'o')!.metadata).sort()).toEqual(['name', 'namespace', 'ownerReferences', 'resourceVersion', 'uid']);
    w.push('MODIFIED', annotated('Secret', '3'));
    await flushMicrotasks();
    expect(t.inf.get('a', 'o')!.metadata.resourceVersion).toBe('3');
    expect(JSON.stringify(t.inf.list())).not.toContain('czNjcjN0');
    expect(JSON.stringify(t.inf.list())).not.toContain('payroll');
  });

  it('other kinds keep their annotations and labels but lose managedFields and last-applied-configuration, also under a custom transform', async () => {
    const t = setup({ metadataOnly: true, transform: (o) => ({ ...o, kind: 'Seen' }) });
    t.transport.on(isList, () => jsonResponse(200, list([annotated('ConfigMap', '1')], '2')));
    t.nextWatch();
    t.inf.start();
    await t.inf.waitForSync();
    const meta = t.inf.get('a', 'o')!.metadata;
    expect(meta.managedFields).toBeUndefined();
    // kubectl's copy of the applied manifest (the object once more) is not cached either
    expect(meta.annotations).toEqual({ 'chaman.io/content-hash': 'h1' });
    expect(meta.labels).toEqual({ team: 'payroll' });
    expect(t.inf.get('a', 'o')!.kind).toBe('Seen');
  });

  it('keepMetadata chooses the cached metadata fields for any kind', async () => {
    const t = setup({ keepMetadata: ['name', 'namespace', 'resourceVersion', 'labels'] });
    t.transport.on(isList, () => jsonResponse(200, list([annotated('ConfigMap', '1')], '2')));
    t.nextWatch();
    t.inf.start();
    await t.inf.waitForSync();
    expect(t.inf.get('a', 'o')!.metadata).toEqual({ name: 'o', namespace: 'a', resourceVersion: '1', labels: { team: 'payroll' } });
  });
});
