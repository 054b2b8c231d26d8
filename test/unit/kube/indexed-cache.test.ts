// The informer's store and its indexes: what byIndex and indexed answer as objects come, move between
// index values, share one, and go; whatever the bucket holding them looks like inside.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kube/client.ts';
import { IndexedCache, NAMESPACE_INDEX } from '../../../src/kube/indexed-cache.ts';

type Account = KubeObject & { spec: { secrets: string[] } };

const account = (name: string, secrets: string[], namespace = 'team-a'): Account => ({
  apiVersion: 'chaman.io/v1alpha1',
  kind: 'ChannelAccount',
  metadata: { name, namespace },
  spec: { secrets },
});

function cacheWithSecretIndex(): IndexedCache<Account> {
  const cache = new IndexedCache<Account>();
  cache.addIndex('bySecret', (a) => a.spec.secrets);
  return cache;
}

const names = (objects: Iterable<Account>) => [...objects].map((o) => o.metadata.name).sort();

describe('IndexedCache indexes', () => {
  it('finds the one object of a value, then both once a second shares it, then the one left', () => {
    const cache = cacheWithSecretIndex();
    cache.set(account('a', ['cert']));
    expect(names(cache.byIndex('bySecret', 'cert'))).toEqual(['a']);
    expect(names(cache.indexed('bySecret', 'cert'))).toEqual(['a']);
    cache.set(account('b', ['cert']));
    expect(names(cache.byIndex('bySecret', 'cert'))).toEqual(['a', 'b']);
    expect(names(cache.indexed('bySecret', 'cert'))).toEqual(['a', 'b']);
    cache.delete(account('a', []));
    expect(names(cache.byIndex('bySecret', 'cert'))).toEqual(['b']);
    cache.delete(account('b', []));
    expect(cache.byIndex('bySecret', 'cert')).toEqual([]);
    expect(names(cache.indexed('bySecret', 'cert'))).toEqual([]);
    expect([...cache.indexValues('bySecret')]).toEqual([]);
  });

  it('keeps the other object of a value when the one that leaves was the first', () => {
    const cache = cacheWithSecretIndex();
    cache.set(account('a', ['cert']));
    cache.set(account('b', ['cert']));
    cache.set(account('c', ['cert']));
    cache.delete(account('b', []));
    expect(names(cache.byIndex('bySecret', 'cert'))).toEqual(['a', 'c']);
    cache.delete(account('a', []));
    expect(names(cache.byIndex('bySecret', 'cert'))).toEqual(['c']);
    cache.set(account('d', ['cert']));
    expect(names(cache.byIndex('bySecret', 'cert'))).toEqual(['c', 'd']);
  });

  it('moves an object between values on update, and gives the newest copy', () => {
    const cache = cacheWithSecretIndex();
    cache.set(account('a', ['old']));
    cache.set(account('b', ['old']));
    const moved = account('a', ['new']);
    cache.set(moved);
    expect(names(cache.byIndex('bySecret', 'old'))).toEqual(['b']);
    expect(cache.byIndex('bySecret', 'new')).toEqual([moved]);
    const updated = account('b', ['old']);
    cache.set(updated);
    expect(cache.byIndex('bySecret', 'old')[0]).toBe(updated);
  });

  it('counts an object indexed twice under one value once, and forgets it once', () => {
    const cache = cacheWithSecretIndex();
    cache.set(account('a', ['cert', 'cert']));
    expect(names(cache.byIndex('bySecret', 'cert'))).toEqual(['a']);
    cache.set(account('b', ['cert']));
    cache.set(account('c', ['cert', 'cert']));
    expect(names(cache.byIndex('bySecret', 'cert'))).toEqual(['a', 'b', 'c']);
    cache.delete(account('a', []));
    cache.delete(account('c', []));
    expect(names(cache.byIndex('bySecret', 'cert'))).toEqual(['b']);
  });

  it('tells apart objects of the same name in other namespaces', () => {
    const cache = cacheWithSecretIndex();
    cache.set(account('a', ['cert'], 'team-a'));
    cache.set(account('a', ['cert'], 'team-b'));
    expect(cache.byIndex('bySecret', 'cert').map((o) => o.metadata.namespace).sort()).toEqual(['team-a', 'team-b']);
    cache.delete(account('a', [], 'team-a'));
    expect(cache.byIndex('bySecret', 'cert').map((o) => o.metadata.namespace)).toEqual(['team-b']);
    expect([...cache.indexValues(NAMESPACE_INDEX)]).toEqual(['team-b']);
  });

  it('fills an index added after objects were cached, and byIndex answers a copy', () => {
    const cache = new IndexedCache<Account>();
    cache.set(account('a', ['x']));
    cache.set(account('b', ['x', 'y']));
    cache.addIndex('bySecret', (a) => a.spec.secrets);
    expect(names(cache.byIndex('bySecret', 'x'))).toEqual(['a', 'b']);
    expect(names(cache.byIndex('bySecret', 'y'))).toEqual(['b']);
    const answer = cache.byIndex('bySecret', 'y') as Account[];
    answer.pop();
    expect(names(cache.byIndex('bySecret', 'y'))).toEqual(['b']);
  });
});
