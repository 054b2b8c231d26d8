// An informer: list, then watch from the list's resourceVersion, keeping a cache keyed by
// namespace/name and calling add/update/delete handlers. Resilient the way client-go's reflector is:
// - bookmarks (allowWatchBookmarks) keep the resourceVersion fresh;
// - a 410 Gone (HTTP or an ERROR event) relists, and the relist emits the differences;
// - errors restart with capped, jittered exponential backoff;
// - the server closes each watch after `timeoutSeconds`, so a watch that says nothing — no event,
//   no bookmark — for longer than the stall limit is stuck, and the watchdog restarts it.
// In metadata-only mode (Secrets, ConfigMaps) the API server sends PartialObjectMetadata: the
// cache never holds a Secret's data; a reconciler GETs the one Secret it needs.
import { systemClock, type Clock } from './clock.ts';
import { Waiters } from './waiters.ts';
import { IndexedCache, NAMESPACE_INDEX, cacheKey, namespacedName, type IndexFunc } from './indexed-cache.ts';
import { sharedStringPool } from './string-pool.ts';
import type { KubeObject, ResourceType } from './client.ts';
import type { InformerOptions } from './informer-options.ts';
import { ListWatch, type ListWatchOwner } from './list-watch.ts';

export { METADATA_ACCEPT, METADATA_LIST_ACCEPT, type InformerHooks, type InformerLogger, type InformerOptions, type WatchRestartReason } from './informer-options.ts';

export type AddHandler<T> = (obj: T) => void;
export type UpdateHandler<T> = (oldObj: T, newObj: T) => void;
export type DeleteHandler<T> = (obj: T) => void;

export { cacheKey, namespacedName, NAMESPACE_INDEX, type IndexFunc } from './indexed-cache.ts';

/**
 * What a cached Secret keeps: identity, version and owners. Not its annotations — kubectl's
 * last-applied-configuration annotation holds the Secret's data — and not its labels: a label
 * selector is evaluated by the API server (a Secret relabelled out of it arrives as DELETED), and
 * nothing else reads them. Not managedFields, which nothing reads and which cost memory.
 */
export const SECRET_METADATA_FIELDS: readonly string[] = ['name', 'namespace', 'uid', 'resourceVersion', 'ownerReferences'];

const isSecrets = (rt: ResourceType) => rt.group === '' && rt.plural === 'secrets';

/**
 * kubectl's copy of the last manifest it applied (client-side apply, Argo CD's default): the whole
 * object once more, as a string, on every object so applied. Nothing in the operator reads it.
 */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

function slimMetadata(meta: KubeObject['metadata'], keep: readonly string[] | undefined): KubeObject['metadata'] {
  if (!keep) {
    if (!meta) return meta;
    // A copy without managedFields, not `delete`: deleting a property turns a V8 object into a
    // dictionary, and a cached object's metadata then costs 930 bytes instead of 580.
    const { managedFields: _managed, ...kept } = meta;
    const annotations = meta.annotations;
    if (annotations?.[LAST_APPLIED_ANNOTATION] !== undefined) {
      const { [LAST_APPLIED_ANNOTATION]: _dropped, ...others } = annotations;
      kept.annotations = others;
    }
    return kept;
  }
  const out: KubeObject['metadata'] = {};
  for (const field of keep) if (meta?.[field] !== undefined) out[field] = meta[field];
  return out;
}

export class Informer<T extends KubeObject = KubeObject> implements ListWatchOwner<T> {
  readonly resource: ResourceType;
  private readonly opts: InformerOptions<T>;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly cache: IndexedCache<T>;
  private readonly addHandlers: AddHandler<T>[] = [];
  private readonly updateHandlers: UpdateHandler<T>[] = [];
  private readonly deleteHandlers: DeleteHandler<T>[] = [];
  private readonly loops: ListWatch<T>[];
  private readonly syncWaiters = new Waiters();
  private started = false;

  constructor(opts: InformerOptions<T>) {
    this.opts = opts;
    this.resource = opts.resource;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.cache = new IndexedCache<T>((index, err) =>
      opts.logger?.warn({ err, resource: opts.resource.plural, index }, 'informer index function threw; object left out of that index'),
    );
    const scopes = opts.namespaces && opts.namespaces.length > 0 && opts.resource.namespaced ? [...new Set(opts.namespaces)] : [undefined];
    this.loops = scopes.map((ns) => new ListWatch(this, ns));
  }

  on(event: 'add', handler: AddHandler<T>): this;
  on(event: 'update', handler: UpdateHandler<T>): this;
  on(event: 'delete', handler: DeleteHandler<T>): this;
  on(event: 'add' | 'update' | 'delete', handler: AddHandler<T> | UpdateHandler<T>): this {
    if (event === 'add') this.addHandlers.push(handler as AddHandler<T>);
    else if (event === 'update') this.updateHandlers.push(handler as UpdateHandler<T>);
    else this.deleteHandlers.push(handler as DeleteHandler<T>);
    return this;
  }

  /** Starts listing and watching (in the background). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const l of this.loops) l.run();
  }

  /** Stops every watch and waits for the loops to end. The cache is kept. */
  async stop(): Promise<void> {
    await Promise.all(this.loops.map((l) => l.stop()));
  }

  /** True once every namespace has been listed once. */
  hasSynced(): boolean {
    return this.loops.every((l) => l.synced);
  }

  /** Resolves once synced; rejects if the signal aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.hasSynced()) return Promise.resolve();
    return this.syncWaiters.wait(signal);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespacedName(namespace, name));
  }

  /**
   * A copy of the cached objects, optionally of one namespace (O(that namespace) through the
   * namespace index). On a hot path prefer byIndex, forEach or values, which copy nothing or little.
   */
  list(namespace?: string): T[] {
    return namespace === undefined ? [...this.cache.values()] : [...this.cache.indexed(NAMESPACE_INDEX, namespace)];
  }

  /** Every cached object, without copying. Do not await between steps: the cache moves on. */
  values(): IterableIterator<T> {
    return this.cache.values();
  }

  /** Calls fn for every cached object (of one namespace if given), without copying the cache. */
  forEach(fn: (obj: T) => void, namespace?: string): void {
    for (const obj of namespace === undefined ? this.cache.values() : this.cache.indexed(NAMESPACE_INDEX, namespace)) fn(obj);
  }

  /**
   * Adds a named index, kept up to date on every add, update, delete and relist. May be called
   * before or after start (an index added late is filled from the cache). `fn` must be a pure
   * function of the object: the index values an object had are recomputed to move it on update.
   */
  addIndex(name: string, fn: IndexFunc<T>): this {
    this.cache.addIndex(name, fn);
    return this;
  }

  /** The cached objects whose index `name` yields `value`, e.g. byIndex('bySecret', 'ns/tls-a'). */
  byIndex(name: string, value: string): readonly T[] {
    return this.cache.byIndex(name, value);
  }

  keys(): string[] {
    return [...this.cache.keys()];
  }

  get size(): number {
    return this.cache.size;
  }

  /**
   * Restarts the watches, optionally from a given resourceVersion (a stale one forces the 410 →
   * relist path). For diagnostics and tests.
   */
  restartWatch(fromResourceVersion?: string): void {
    for (const l of this.loops) l.restart(fromResourceVersion);
  }

  // ---- internals used by ListWatch ----

  /** @internal */ get options(): InformerOptions<T> {
    return this.opts;
  }
  /** @internal */ get clockRef(): Clock {
    return this.clock;
  }
  /** @internal */ get randomRef(): () => number {
    return this.random;
  }

  /** @internal */ prepare(raw: KubeObject): T | undefined {
    // First, so an object the informer does not keep costs nothing more than its parse.
    if (this.opts.keep && !this.opts.keep(raw)) return undefined;
    let obj = raw as T;
    if (this.opts.metadataOnly) {
      // Whatever the server sent, keep nothing but identity and metadata.
      obj = { apiVersion: raw.apiVersion, kind: raw.kind, metadata: raw.metadata } as T;
    }
    obj.metadata = slimMetadata(obj.metadata, this.keepMetadata);
    sharedStringPool.internObject(obj); // one copy of each repeated string across the cache
    return this.opts.transform ? this.opts.transform(obj) : obj;
  }

  private get keepMetadata(): readonly string[] | undefined {
    return this.opts.keepMetadata ?? (isSecrets(this.resource) ? SECRET_METADATA_FIELDS : undefined);
  }

  /** @internal */ upsert(obj: T): void {
    const old = this.cache.set(obj);
    if (!old) this.emit(this.addHandlers, obj);
    else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) {
      for (const h of this.updateHandlers) this.safely(() => h(old, obj));
    }
  }

  /** @internal */ remove(obj: T): void {
    // The DELETED event carries the object's last state; that is what handlers get.
    this.cache.delete(obj);
    this.emit(this.deleteHandlers, obj);
  }

  /** @internal An object no longer kept (its labels changed, say) is gone for the handlers: they get its cached state. */
  discard(raw: KubeObject): void {
    const cached = this.cache.get(cacheKey(raw));
    if (cached) this.remove(cached);
  }

  /** @internal Replaces the part of the cache a loop owns with a fresh list, emitting the differences. */
  replace(namespace: string | undefined, items: T[]): void {
    const fresh = new Set(items.map(cacheKey));
    const owned = namespace === undefined ? this.cache.values() : this.cache.indexed(NAMESPACE_INDEX, namespace);
    const gone = [...owned].filter((obj) => !fresh.has(cacheKey(obj)));
    for (const obj of gone) {
      this.cache.delete(obj);
      this.emit(this.deleteHandlers, obj);
    }
    for (const obj of items) this.upsert(obj);
  }

  /** @internal */ loopSynced(): void {
    if (this.hasSynced()) this.syncWaiters.releaseAll();
  }

  private emit(handlers: ((obj: T) => void)[], obj: T): void {
    for (const h of handlers) this.safely(() => h(obj));
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.logger?.warn({ err, resource: this.resource.plural }, 'informer event handler threw');
    }
  }
}
