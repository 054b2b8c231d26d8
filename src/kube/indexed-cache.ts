// The informer's store: objects keyed by namespace/name, plus named indexes kept up to date on every
// add, update and delete, so an event handler finds "the accounts of this sender" or "the accounts
// that use this Secret" in O(matches) instead of scanning (or copying) the whole cache. The same idea
// as client-go's cache.Indexer.
import type { KubeObject } from './client.ts';

/** The values an object is indexed under (none, one or several), e.g. `ns/secretName` per Secret it uses. */
export type IndexFunc<T> = (obj: T) => readonly string[];

/** The built-in index: every object under its namespace ('' for cluster-scoped objects). */
export const NAMESPACE_INDEX = 'namespace';

export function cacheKey(obj: KubeObject): string {
  const m = obj.metadata;
  return m.namespace ? `${m.namespace}/${m.name}` : `${m.name}`;
}

/** `namespace/name`: the usual index value for a reference to an object in the same namespace. */
export function namespacedName(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/**
 * The objects under one index value. Most values match one object (a Secret's account, a claim, a
 * sender number): that object is the bucket itself, since a Map per value cost about 250 bytes per
 * cached account (issue 19). A second object turns it into a Map of cache key → object.
 */
type Bucket<T> = T | Map<string, T>;

interface Index<T> {
  fn: IndexFunc<T>;
  /** index value → its bucket */
  buckets: Map<string, Bucket<T>>;
}

const EMPTY: readonly never[] = Object.freeze([]);

export class IndexedCache<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexes = new Map<string, Index<T>>();
  /** Reports an index function that threw; the object is then left out of that index. */
  private readonly onIndexError: (index: string, err: unknown) => void;

  constructor(onIndexError: (index: string, err: unknown) => void = () => {}) {
    this.onIndexError = onIndexError;
    this.addIndex(NAMESPACE_INDEX, (o) => [o.metadata.namespace ?? '']);
  }

  /** Adds a named index and fills it from what is already cached. Names are unique. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.indexes.has(name)) throw new Error(`informer index "${name}" is already defined`);
    const index: Index<T> = { fn, buckets: new Map() };
    this.indexes.set(name, index);
    for (const [key, obj] of this.items) this.indexInto(name, index, key, obj);
  }

  hasIndex(name: string): boolean {
    return this.indexes.has(name);
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  /** Stores obj under its key and moves it between index values; returns the object it replaced. */
  set(obj: T): T | undefined {
    const key = cacheKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, index] of this.indexes) this.indexInto(name, index, key, obj);
    return old;
  }

  /** Removes the object stored under obj's key; returns it. */
  delete(obj: KubeObject): T | undefined {
    const key = cacheKey(obj);
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  /** The objects indexed under `value`: a fresh array of the matches only (O(matches)). */
  byIndex(name: string, value: string): readonly T[] {
    const bucket = this.bucket(name, value);
    return bucket === undefined ? EMPTY : bucket instanceof Map ? [...bucket.values()] : [bucket];
  }

  /** Iterates the matches of `value` without copying. Do not change the cache while iterating. */
  indexed(name: string, value: string): IterableIterator<T> {
    const bucket = this.bucket(name, value);
    return bucket instanceof Map ? bucket.values() : (bucket === undefined ? EMPTY : [bucket]).values();
  }

  /** The index values currently in use (e.g. every namespace that holds an object). */
  indexValues(name: string): IterableIterator<string> {
    return this.index(name).buckets.keys();
  }

  /** Iterates every object without copying. Do not change the cache while iterating. */
  values(): IterableIterator<T> {
    return this.items.values();
  }

  keys(): IterableIterator<string> {
    return this.items.keys();
  }

  get size(): number {
    return this.items.size;
  }

  private index(name: string): Index<T> {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`informer index "${name}" is not defined; add it with addIndex before use`);
    return index;
  }

  private bucket(name: string, value: string): Bucket<T> | undefined {
    return this.index(name).buckets.get(value);
  }

  private valuesOf(name: string, index: Index<T>, obj: T): readonly string[] {
    try {
      return index.fn(obj);
    } catch (err) {
      this.onIndexError(name, err);
      return EMPTY;
    }
  }

  private indexInto(name: string, index: Index<T>, key: string, obj: T): void {
    for (const value of this.valuesOf(name, index, obj)) {
      const bucket = index.buckets.get(value);
      if (bucket === undefined) index.buckets.set(value, obj);
      else if (bucket instanceof Map) bucket.set(key, obj);
      // An object indexed twice under one value (an account naming one Secret twice) stays one match.
      else if (cacheKey(bucket) !== key) index.buckets.set(value, new Map([[cacheKey(bucket), bucket], [key, obj]]));
      else index.buckets.set(value, obj);
    }
  }

  private unindex(key: string, old: T): void {
    // The index functions are pure functions of the object, and cached objects are never mutated,
    // so recomputing them on the old copy finds exactly the buckets it was put in.
    for (const [name, index] of this.indexes) {
      for (const value of this.valuesOf(name, index, old)) {
        const bucket = index.buckets.get(value);
        if (bucket === undefined) continue;
        if (!(bucket instanceof Map)) {
          if (cacheKey(bucket) === key) index.buckets.delete(value);
          continue;
        }
        bucket.delete(key);
        // Back to a single object, so a value's cost does not depend on what it once held.
        if (bucket.size === 1) index.buckets.set(value, bucket.values().next().value!);
        else if (bucket.size === 0) index.buckets.delete(value);
      }
    }
  }
}
