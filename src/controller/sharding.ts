// Sharding past one replica: replica I of N works on the namespaces whose hash modulo N is I, each
// shard behind its own Lease, so several replicas work at once and a standby takes over a dead shard.
// Fence: while a StatefulSet rolls from N to M shards, replicas of both counts run and their shards
// overlap. Each Lease says the count of its holder (SHARD_COUNT_ANNOTATION), and a replica leads only
// once every other live Lease of the operator says the same count (shardAgreement, enforced by the
// LeaderElector): work pauses on the new count's shards until the last old replica is gone.
// Pure.

/** The most shards: the leader-election Role names each shard's Lease (manifests/base). */
export const MAX_SHARDS = 16;
export const SHARD_COUNT_ANNOTATION = 'chaman.io/shard-count';

export interface Shard {
  count: number;
  index: number;
}

/** FNV-1a, 32 bits: stable across processes, versions and machines (a shard must never move by itself). */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function shardOfNamespace(namespace: string, count: number): number {
  return fnv1a32(namespace) % count;
}

/** Whether this shard works on objects of `namespace` (everything, unsharded). */
export function ownsNamespace(shard: Shard | undefined, namespace: string | undefined): boolean {
  return !shard || shard.count <= 1 || shardOfNamespace(namespace ?? '', shard.count) === shard.index;
}

/** The Lease of a shard: `chaman-operator` unsharded, `chaman-operator-shard-I` otherwise. */
export function leaseName(base: string, shard: Shard | undefined): string {
  return shard && shard.count > 1 ? `${base}-shard-${shard.index}` : base;
}

/**
 * The fence of a replica with leader election: its Lease says its shard count, and it leads only
 * while every other live Lease of the operator (unsharded or any shard) says the same. Applies
 * unsharded too: a Deployment and a StatefulSet of another count must not both work.
 */
export function shardAgreement(base: string, shard: Shard | undefined): { annotation: string; value: string; peers: string[] } {
  const peers = [base, ...Array.from({ length: MAX_SHARDS }, (_, index) => leaseName(base, { count: MAX_SHARDS, index }))];
  return { annotation: SHARD_COUNT_ANNOTATION, value: String(shard?.count ?? 1), peers };
}

/**
 * The shard index from the flags, or from the ordinal of a StatefulSet pod (`name-2` → 2). Throws
 * a usage error that names the flag when neither gives an index in [0, count).
 */
export function resolveShard(count: number, index: number | undefined, podName: string | undefined): Shard {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) {
    throw new Error(`--shard-count must be a whole number from 1 to ${MAX_SHARDS} (the leader-election Role names ${MAX_SHARDS} shard Leases), got ${count}`);
  }
  if (count === 1) return { count: 1, index: 0 };
  const ordinal = podName ? /-(\d+)$/.exec(podName)?.[1] : undefined;
  const resolved = index ?? (ordinal !== undefined ? Number(ordinal) : undefined);
  if (resolved === undefined) throw new Error('--shard-index is required with --shard-count > 1 (or run as a StatefulSet pod, whose ordinal is the index)');
  if (!Number.isInteger(resolved) || resolved < 0 || resolved >= count) throw new Error(`--shard-index must be between 0 and ${count - 1}, got ${resolved}`);
  return { count, index: resolved };
}
