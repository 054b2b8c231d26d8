import { describe, expect, it } from 'vitest';
import { shardScope } from '../../../src/controller/kube-store.ts';
import { fnv1a32, leaseName, ownsNamespace, resolveShard, shardAgreement, shardOfNamespace } from '../../../src/controller/sharding.ts';

describe('sharding', () => {
  it('FNV-1a 32 matches its reference values', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('every namespace has exactly one shard, and the shards share the namespaces fairly', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) {
      const ns = `team-${i}`;
      const owners = [0, 1, 2].filter((index) => ownsNamespace({ count: 3, index }, ns));
      expect(owners).toEqual([shardOfNamespace(ns, 3)]);
      counts[owners[0]!]!++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(850);
  });

  it('unsharded owns everything and keeps the usual Lease name', () => {
    expect(ownsNamespace(undefined, 'x')).toBe(true);
    expect(ownsNamespace({ count: 1, index: 0 }, 'x')).toBe(true);
    expect(leaseName('chaman-operator', { count: 1, index: 0 })).toBe('chaman-operator');
    expect(leaseName('chaman-operator', { count: 3, index: 2 })).toBe('chaman-operator-shard-2');
  });

  it('a shard keeps in its caches what lies in its namespaces, and of listed namespaces watches its own; unsharded, everything', () => {
    expect(shardScope(undefined, [])).toEqual({ namespaces: [] });
    expect(shardScope({ count: 1, index: 0 }, ['a'])).toEqual({ namespaces: ['a'] });
    const object = (namespace: string) => ({ metadata: { namespace, name: 'x' } });
    const listed = Array.from({ length: 20 }, (_, i) => `team-${i}`);
    for (const index of [0, 1]) {
      const own = listed.filter((ns) => shardOfNamespace(ns, 2) === index);
      expect(shardScope({ count: 2, index }, []).namespaces).toEqual([]);
      expect(shardScope({ count: 2, index }, listed).namespaces).toEqual(own);
      const keep = shardScope({ count: 2, index }, []).keep!;
      for (const ns of listed) expect(keep(object(ns))).toBe(own.includes(ns));
    }
    // None of the listed namespaces is its own: an empty list would watch every namespace.
    const theirs = listed.filter((ns) => shardOfNamespace(ns, 2) === 1);
    expect(shardScope({ count: 2, index: 0 }, theirs).namespaces).toEqual(theirs);
  });

  it('takes the index from the flag, else from the StatefulSet ordinal, and refuses what does not fit', () => {
    expect(resolveShard(3, 1, 'chaman-operator-2')).toEqual({ count: 3, index: 1 });
    expect(resolveShard(3, undefined, 'chaman-operator-2')).toEqual({ count: 3, index: 2 });
    expect(resolveShard(1, undefined, undefined)).toEqual({ count: 1, index: 0 });
    expect(() => resolveShard(3, undefined, 'chaman-operator-7c9f')).toThrow(/--shard-index is required/);
    expect(() => resolveShard(3, 3, undefined)).toThrow(/between 0 and 2/);
    expect(() => resolveShard(0, undefined, undefined)).toThrow(/--shard-count/);
    expect(() => resolveShard(17, 0, undefined)).toThrow(/from 1 to 16 \(the leader-election Role names 16 shard Leases\), got 17/);
  });

  it('fence: every replica compares its count with every Lease the Role names, unsharded included', () => {
    const fence = shardAgreement('chaman-operator', { count: 3, index: 1 });
    expect(fence.value).toBe('3');
    expect(fence.peers).toHaveLength(17);
    expect(fence.peers.slice(0, 3)).toEqual(['chaman-operator', 'chaman-operator-shard-0', 'chaman-operator-shard-1']);
    expect(fence.peers.at(-1)).toBe('chaman-operator-shard-15');
    expect(shardAgreement('chaman-operator', undefined).value).toBe('1');
  });
});
