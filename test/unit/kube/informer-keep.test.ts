// The informer's `keep` option: what a shard does not own is never cached and wakes nothing, and an
// object that stops passing leaves the cache as a delete (issue 19 item 6).
import { describe, expect, it } from 'vitest';
import { ManualClock, flushMicrotasks } from '../../../src/kube/clock.ts';
import { KubeClient, RESOURCES, type KubeObject } from '../../../src/kube/client.ts';
import { Informer } from '../../../src/kube/informer.ts';
import { FakeTransport, WatchStreamResponse, cm, isList, isWatch, jsonResponse, list, stoppedAfterEach } from './fake-transport.ts';

const informers = stoppedAfterEach<Informer>();

/** Kept: the namespace "mine", unless labelled moved=true (a predicate an object can stop passing). */
const keep = (obj: KubeObject) => obj.metadata.namespace === 'mine' && obj.metadata.labels?.moved !== 'true';
const moved = (object: ReturnType<typeof cm>) => ({ ...object, metadata: { ...object.metadata, labels: { moved: 'true' } } });

function setup(initial: unknown[]) {
  const transport = new FakeTransport();
  const client = new KubeClient({ server: 'https://k8s.test', transport });
  const seen: KubeObject[] = [];
  const transformed: string[] = [];
  const inf = new Informer({
    client,
    resource: RESOURCES.configMaps,
    clock: new ManualClock(),
    random: () => 0,
    keep: (obj) => (seen.push(structuredClone(obj)), keep(obj)),
    transform: (obj) => (transformed.push(`${obj.metadata.namespace}/${obj.metadata.name}`), obj),
  });
  informers.push(inf);
  const events: string[] = [];
  inf.on('add', (o) => events.push(`add ${o.metadata.namespace}/${o.metadata.name}@${o.metadata.resourceVersion}`));
  inf.on('update', (o, n) => events.push(`update ${n.metadata.namespace}/${n.metadata.name}@${o.metadata.resourceVersion}->${n.metadata.resourceVersion}`));
  inf.on('delete', (o) => events.push(`delete ${o.metadata.namespace}/${o.metadata.name}@${o.metadata.resourceVersion}`));
  transport.on(isList, () => jsonResponse(200, list(initial, '10')));
  const watch = new WatchStreamResponse();
  transport.on(isWatch, () => watch);
  return { transport, inf, events, seen, transformed, watch };
}

describe('Informer keep', () => {
  it('caches only what it keeps, from the list and the watch, and raises no event for the rest', async () => {
    const t = setup([cm('mine', 'a', '1'), cm('theirs', 'b', '2')]);
    t.inf.start();
    await t.inf.waitForSync();
    expect(t.inf.keys()).toEqual(['mine/a']);
    t.watch.push('ADDED', cm('theirs', 'c', '11'));
    t.watch.push('MODIFIED', cm('theirs', 'b', '12', { k: 'v' }));
    t.watch.push('DELETED', cm('theirs', 'b', '13'));
    t.watch.push('ADDED', cm('mine', 'd', '14'));
    await flushMicrotasks();
    expect(t.events).toEqual(['add mine/a@1', 'add mine/d@14']);
    expect(t.inf.keys().sort()).toEqual(['mine/a', 'mine/d']);
    expect(t.inf.list('theirs')).toEqual([]);
  });

  it('asks first, of the object as received: a refused object is never slimmed nor transformed', async () => {
    const t = setup([cm('mine', 'a', '1'), cm('theirs', 'b', '2')]);
    t.inf.start();
    await t.inf.waitForSync();
    expect(t.seen.map((o) => o.metadata.managedFields)).toEqual([[{ manager: 'x' }], [{ manager: 'x' }]]);
    expect(t.transformed).toEqual(['mine/a']);
    expect(t.inf.get('mine', 'a')?.metadata.managedFields).toBeUndefined();
  });

  it('an object that stops passing leaves as a delete with its cached state; passing again, it comes back as an add', async () => {
    const t = setup([cm('mine', 'a', '1')]);
    t.inf.start();
    await t.inf.waitForSync();
    t.watch.push('MODIFIED', moved(cm('mine', 'a', '11')));
    await flushMicrotasks();
    expect(t.inf.get('mine', 'a')).toBeUndefined();
    t.watch.push('DELETED', moved(cm('mine', 'a', '12'))); // already gone from the cache: nothing more
    t.watch.push('ADDED', cm('mine', 'a', '13'));
    await flushMicrotasks();
    expect(t.events).toEqual(['add mine/a@1', 'delete mine/a@1', 'add mine/a@13']);
  });

  it('a relist drops a cached object that no longer passes', async () => {
    const t = setup([cm('mine', 'a', '1'), cm('mine', 'b', '2')]);
    t.inf.start();
    await t.inf.waitForSync();
    t.transport.on(isList, () => jsonResponse(200, list([cm('mine', 'a', '1'), moved(cm('mine', 'b', '20'))], '21')));
    t.transport.on(isWatch, () => new WatchStreamResponse());
    t.watch.push('ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version' });
    await flushMicrotasks();
    expect(t.inf.keys()).toEqual(['mine/a']);
    expect(t.events).toEqual(['add mine/a@1', 'add mine/b@2', 'delete mine/b@2']);
  });
});
