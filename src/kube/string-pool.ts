// One copy of each short string the cached objects repeat (issue 19 item 3). JSON.parse gives every
// object its own copy of `chaman.io/v1alpha1`, `ChannelAccount`, `Ready`, `True`, the reason and the
// message of each condition, the times, a certificate's issuer and algorithms, the namespace: at
// 10,000 accounts that is tens of thousands of equal strings. Interning them as objects arrive in the
// cache takes about a fifth off each cached ChannelAccount (bench/cache-bytes.ts).
// The pool is bounded: past `maxEntries` it starts again empty (objects keep their strings), so the
// strings met once (uids, names, fingerprints) never make it grow without end.

/** Metadata fields unique to each object: pooling them would only churn the pool. */
const UNIQUE_METADATA = new Set(['name', 'uid', 'resourceVersion', 'creationTimestamp']);

export class StringPool {
  readonly maxEntries: number;
  readonly maxLength: number;
  #pool = new Map<string, string>();

  constructor(options: { maxEntries?: number; maxLength?: number } = {}) {
    this.maxEntries = options.maxEntries ?? 8192;
    this.maxLength = options.maxLength ?? 128;
  }

  get size(): number {
    return this.#pool.size;
  }

  /** The pooled copy of `s` (itself the first time it is seen). */
  intern(s: string): string {
    if (s.length > this.maxLength) return s;
    const pooled = this.#pool.get(s);
    if (pooled !== undefined) return pooled;
    if (this.#pool.size >= this.maxEntries) this.#pool = new Map();
    this.#pool.set(s, s);
    return s;
  }

  /** Replaces, in place, each short string of a Kubernetes object by its pooled copy; returns the object. */
  internObject<T extends { metadata?: object }>(obj: T): T {
    for (const key of Object.keys(obj)) {
      if (key !== 'metadata') (obj as Record<string, unknown>)[key] = this.#deep((obj as Record<string, unknown>)[key]);
    }
    const meta = obj.metadata as Record<string, unknown> | undefined;
    if (meta) for (const key of Object.keys(meta)) if (!UNIQUE_METADATA.has(key)) meta[key] = this.#deep(meta[key]);
    return obj;
  }

  #deep(value: unknown): unknown {
    if (typeof value === 'string') return this.intern(value);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = this.#deep(value[i]);
    } else if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) record[key] = this.#deep(record[key]);
    }
    return value;
  }
}

/** The pool every informer of the process shares: the same strings recur across kinds. */
export const sharedStringPool = new StringPool();
