// An informer: list, then watch from the list's resourceVersion, keeping a cache keyed by
// namespace/name and calling add/update/delete handlers. Resilient the way client-go's reflector is:
// - bookmarks (allowWatchBookmarks) keep the resourceVersion fresh;
// - a 410 Gone (HTTP or an ERROR event) relists, and the relist emits the differences;
// - errors restart with capped, jittered exponential backoff;
// - the server closes each watch after `timeoutSeconds`, so a watch that says nothing — no event,
//   no bookmark — for longer than the stall limit is stuck, and the watchdog restarts it.
// In metadata-only mode (Secrets, ConfigMaps) the API server sends PartialObjectMetadata: the
// cache never holds a Secret's data; a reconciler GETs the one Secret it needs.
import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import { describeWatchFailure, isNoAnswer } from './watch-failure.ts';
import { Waiters } from './waiters.ts';
import { IndexedCache, NAMESPACE_INDEX, cacheKey, namespacedName, type IndexFunc } from './indexed-cache.ts';
import { sharedStringPool } from './string-pool.ts';
import { backoffDelayMs } from '../util/backoff.ts';
import {
  KubeApiError,
  isGone,
  resourcePath,
  type KubeClient,
  type KubeList,
  type KubeObject,
  type ResourceType,
} from './client.ts';

export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
export const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** Why a watch was restarted: the `reason` label of chaman_watch_restarts_total. */
export type WatchRestartReason = 'closed' | 'expired' | 'error' | 'stalled';

export interface InformerLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface InformerHooks {
  onRestart?(reason: WatchRestartReason, error?: unknown): void;
  /** Every list after the first (after a 410, or after an error before a watch could resume). */
  onRelist?(): void;
}

export interface InformerOptions<T extends KubeObject> {
  client: KubeClient;
  resource: ResourceType;
  /** Namespaces to watch; empty or omitted = all namespaces (one cluster-wide watch). */
  namespaces?: readonly string[];
  labelSelector?: string;
  fieldSelector?: string;
  /** Cache metadata only (PartialObjectMetadata). Use for Secrets and ConfigMaps. */
  metadataOnly?: boolean;
  /** Page size of lists. Default 500. */
  pageSize?: number;
  /** Server-side timeout of each watch. Default 300 s. */
  watchTimeoutSeconds?: number;
  /** Watchdog: restart a watch silent for longer than this. Default watchTimeoutSeconds + 30 s. */
  stallTimeoutMs?: number;
  /** Backoff of restarts after errors. Default 500 ms doubling to 30 s, 20 % jitter. */
  backoff?: { baseMs?: number; capMs?: number; jitter?: number };
  /**
   * The metadata fields to cache; the rest is dropped as objects arrive. Default: all but
   * managedFields and kubectl's last-applied-configuration, and for Secrets SECRET_METADATA_FIELDS only.
   */
  keepMetadata?: readonly string[];
  /** Applied to every object before it is cached, after keepMetadata (managedFields and last-applied are already gone). */
  transform?: (obj: T) => T;
  clock?: Clock;
  random?: () => number;
  hooks?: InformerHooks;
  logger?: InformerLogger;
}

export type AddHandler<T> = (obj: T) => void;
export type UpdateHandler<T> = (oldObj: T, newObj: T) => void;
export type DeleteHandler<T> = (obj: T) => void;

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

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
    if (meta?.managedFields) delete meta.managedFields;
    const annotations = meta?.annotations;
    if (annotations?.[LAST_APPLIED_ANNOTATION] !== undefined) {
      const { [LAST_APPLIED_ANNOTATION]: _dropped, ...others } = annotations;
      meta.annotations = others;
    }
    return meta;
  }
  const out: KubeObject['metadata'] = {};
  for (const field of keep) if (meta?.[field] !== undefined) out[field] = meta[field];
  return out;
}

class Stalled extends Error {}
class Stopped extends Error {}
class RestartRequested extends Error {}

export class Informer<T extends KubeObject = KubeObject> {
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

  /** @internal */ prepare(raw: KubeObject): T {
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

/** The list+watch loop of one namespace (or of all namespaces). */
class ListWatch<T extends KubeObject> {
  synced = false;
  private readonly inf: Informer<T>;
  private readonly namespace: string | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private sleepAbort: AbortController | undefined;
  private resourceVersion: string | undefined;
  private pendingRestartRv: string | undefined;
  private lists = 0;
  /** Set when a watch delivers an event: the line and the server worked since the last failure. */
  private delivered = false;

  constructor(inf: Informer<T>, namespace: string | undefined) {
    this.inf = inf;
    this.namespace = namespace;
  }

  run(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort(new Stopped('stopped'));
    this.sleepAbort?.abort(new Stopped('stopped'));
    await this.running;
  }

  restart(fromResourceVersion?: string): void {
    this.pendingRestartRv = fromResourceVersion;
    this.abort?.abort(new RestartRequested('restart requested'));
  }

  private get o(): InformerOptions<T> {
    return this.inf.options;
  }

  private async loop(): Promise<void> {
    let needList = true;
    let failures = 0;
    const hooks = this.o.hooks ?? {};
    while (!this.stopped) {
      try {
        if (needList) {
          await this.list();
          needList = false;
        }
        const { reason, events, requested } = await this.watchOnce();
        if (this.stopped) break;
        if (reason === 'expired') needList = true;
        hooks.onRestart?.(reason);
        this.o.logger?.debug({ resource: this.inf.resource.plural, namespace: this.namespace, reason, events }, 'watch restarting');
        if (reason === 'closed' && events === 0 && !requested) {
          // A watch that ends at once with nothing to say should not turn into a hot loop.
          failures++;
          await this.backoff(this.backoffMs(failures));
        } else {
          failures = 0;
        }
      } catch (err) {
        if (this.stopped) break;
        const gone = isGone(err);
        if (gone) needList = true;
        // A watch that delivered events was healthy: this failure starts a new run of backoff.
        if (this.delivered) failures = 0;
        this.delivered = false;
        failures++;
        const reason: WatchRestartReason = gone ? 'expired' : 'error';
        hooks.onRestart?.(reason, err);
        const wait = gone && failures === 1 ? 0 : this.backoffMs(failures);
        const failure = describeWatchFailure(this.inf.resource, err, this.namespace, wait);
        this.o.logger?.warn(
          { resource: failure.resource, namespace: this.namespace, verb: failure.verb, status: failure.status, reason: failure.reason, failures, retryInMs: wait, err },
          failure.message,
        );
        if (wait > 0) await this.backoff(wait, isNoAnswer(err));
      }
    }
  }

  private backoffMs(failures: number): number {
    const { baseMs = 500, capMs = 30_000, jitter = 0.2 } = this.o.backoff ?? {};
    return backoffDelayMs(failures, { baseMs, capMs, jitter }, this.inf.randomRef);
  }

  /**
   * Sleeps `ms`. After a request got no answer at all, the sleep also ends once the API server
   * answers again (KubeClient.whenReachable probes it every 2 s while it is unreachable), so a watch
   * deep in backoff resumes within seconds of the end of an outage, not up to the cap later.
   */
  private async backoff(ms: number, noAnswer = false): Promise<void> {
    const clock = this.inf.clockRef;
    const sleep = new AbortController();
    this.sleepAbort = sleep;
    try {
      if (!noAnswer) return await clock.sleep(ms, sleep.signal);
      await Promise.race([clock.sleep(ms, sleep.signal), this.o.client.whenReachable(sleep.signal)]);
    } catch {
      // stopped
    } finally {
      // End whichever of the two waits is still pending (its timer or its place among the waiters).
      sleep.abort(new Stopped('backoff over'));
      if (this.sleepAbort === sleep) this.sleepAbort = undefined;
    }
  }

  private baseQuery(): Record<string, string | undefined> {
    return { labelSelector: this.o.labelSelector, fieldSelector: this.o.fieldSelector };
  }

  private async list(): Promise<void> {
    const client = this.o.client;
    const items: T[] = [];
    let cont: string | undefined;
    let rv: string | undefined;
    this.abort = new AbortController();
    do {
      const page: KubeList = await client.request<KubeList>({
        verb: 'list',
        resource: this.inf.resource.plural,
        method: 'GET',
        path: resourcePath(this.inf.resource, this.namespace),
        query: { ...this.baseQuery(), limit: this.o.pageSize ?? 500, continue: cont },
        accept: this.o.metadataOnly ? METADATA_LIST_ACCEPT : undefined,
        signal: this.abort.signal,
      });
      for (const raw of page.items ?? []) {
        // Items of a list carry no kind; give them one so handlers see complete objects.
        const withKind = { apiVersion: raw.apiVersion ?? page.apiVersion, kind: raw.kind ?? (page.kind ?? '').replace(/List$/, ''), ...raw };
        items.push(this.inf.prepare(withKind as KubeObject));
      }
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion;
    } while (cont && !this.stopped);
    if (this.stopped) return;
    this.lists++;
    if (this.lists > 1) this.o.hooks?.onRelist?.();
    this.inf.replace(this.namespace, items);
    this.resourceVersion = rv;
    if (!this.synced) {
      this.synced = true;
      this.inf.loopSynced();
    }
  }

  /** One watch, until the server closes it, a 410, the watchdog, or stop. */
  private async watchOnce(): Promise<{ reason: WatchRestartReason; events: number; requested?: boolean }> {
    if (this.pendingRestartRv !== undefined) {
      this.resourceVersion = this.pendingRestartRv;
      this.pendingRestartRv = undefined;
    }
    const clock = this.inf.clockRef;
    const timeoutSeconds = this.o.watchTimeoutSeconds ?? 300;
    const stallMs = this.o.stallTimeoutMs ?? (timeoutSeconds + 30) * 1000;
    const abort = new AbortController();
    this.abort = abort;
    let timer: TimerHandle | undefined;
    const pet = () => {
      clock.clearTimeout(timer);
      timer = clock.setTimeout(() => abort.abort(new Stalled(`no event or bookmark for ${stallMs} ms`)), stallMs);
    };
    pet();
    let events = 0;
    let stream: Awaited<ReturnType<KubeClient['watch']>> | undefined;
    const onAbort = () => stream?.cancel();
    abort.signal.addEventListener('abort', onAbort, { once: true });
    try {
      stream = await this.o.client.watch({
        verb: 'watch',
        resource: this.inf.resource.plural,
        method: 'GET',
        path: resourcePath(this.inf.resource, this.namespace),
        query: {
          ...this.baseQuery(),
          watch: 1,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds,
        },
        accept: this.o.metadataOnly ? METADATA_ACCEPT : undefined,
        signal: abort.signal,
      });
      if (abort.signal.aborted) stream.cancel();
      for await (const line of stream.lines) {
        pet();
        let ev: WatchEvent;
        try {
          ev = JSON.parse(line) as WatchEvent;
        } catch {
          throw new KubeApiError({ message: 'watch: malformed event', status: 0, reason: 'MalformedEvent', verb: 'watch', resource: this.inf.resource.plural });
        }
        events++;
        if (ev.type !== 'ERROR') this.delivered = true;
        if (ev.type === 'ERROR') {
          const s = ev.object;
          if (s.code === 410 || s.reason === 'Expired' || s.reason === 'Gone') return { reason: 'expired', events };
          throw new KubeApiError({
            message: `watch ${this.inf.resource.plural}: ${s.message ?? 'error event'}`,
            status: s.code ?? 500,
            reason: s.reason ?? 'InternalError',
            verb: 'watch',
            resource: this.inf.resource.plural,
          });
        }
        const rv = ev.object?.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        if (ev.type === 'BOOKMARK') continue;
        const obj = this.inf.prepare(ev.object);
        if (ev.type === 'DELETED') this.inf.remove(obj);
        else this.inf.upsert(obj);
        if (abort.signal.aborted) break;
      }
      if (abort.signal.aborted) return this.abortOutcome(abort.signal, events);
      return { reason: 'closed', events };
    } catch (err) {
      if (abort.signal.aborted) return this.abortOutcome(abort.signal, events);
      throw err;
    } finally {
      clock.clearTimeout(timer);
      abort.signal.removeEventListener('abort', onAbort);
      stream?.cancel();
    }
  }

  private abortOutcome(signal: AbortSignal, events: number): { reason: WatchRestartReason; events: number; requested?: boolean } {
    if (signal.reason instanceof RestartRequested) return { reason: 'closed', events, requested: true };
    if (signal.reason instanceof Stopped || this.stopped) return { reason: 'closed', events };
    return { reason: 'stalled', events };
  }
}
