// Sharding past one replica: replica I of N works on the namespaces whose hash modulo N is I, each
// shard behind its own Lease, so several replicas work at once and a standby takes over a dead shard.
// Pure.

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
 * The shard index from the flags, or from the ordinal of a StatefulSet pod (`name-2` → 2). Throws
 * a usage error that names the flag when neither gives an index in [0, count).
 */
export function resolveShard(count: number, index: number | undefined, podName: string | undefined): Shard {
  if (!Number.isInteger(count) || count < 1) throw new Error('--shard-count must be a whole number ≥ 1');
  if (count === 1) return { count: 1, index: 0 };
  const ordinal = podName ? /-(\d+)$/.exec(podName)?.[1] : undefined;
  const resolved = index ?? (ordinal !== undefined ? Number(ordinal) : undefined);
  if (resolved === undefined) throw new Error('--shard-index is required with --shard-count > 1 (or run as a StatefulSet pod, whose ordinal is the index)');
  if (!Number.isInteger(resolved) || resolved < 0 || resolved >= count) throw new Error(`--shard-index must be between 0 and ${count - 1}, got ${resolved}`);
  return { count, index: resolved };
}
