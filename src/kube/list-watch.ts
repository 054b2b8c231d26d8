// The list+watch loop of one namespace (or of all namespaces), after client-go's reflector: list,
// watch from the list's resourceVersion, relist on 410, restart with backoff after errors, and a
// watchdog for a watch that says nothing. It feeds the cache through its owner (the Informer).
import { type Clock, type TimerHandle } from './clock.ts';
import { KubeApiError, isGone, resourcePath, type KubeClient, type KubeList, type KubeObject, type ResourceType } from './client.ts';
import { METADATA_ACCEPT, METADATA_LIST_ACCEPT, type InformerOptions, type WatchRestartReason } from './informer-options.ts';
import { describeWatchFailure, isNoAnswer } from './watch-failure.ts';
import { backoffDelayMs } from '../util/backoff.ts';

/** What a loop needs from the informer that owns it. */
export interface ListWatchOwner<T extends KubeObject> {
  readonly resource: ResourceType;
  readonly options: InformerOptions<T>;
  readonly clockRef: Clock;
  readonly randomRef: () => number;
  /** The object as cached, or undefined when the informer does not keep it. */
  prepare(raw: KubeObject): T | undefined;
  /** An object the informer does not keep arrived: if it was cached, it leaves. */
  discard(raw: KubeObject): void;
  upsert(obj: T): void;
  remove(obj: T): void;
  /** Replaces the part of the cache a loop owns with a fresh list, emitting the differences. */
  replace(namespace: string | undefined, items: T[]): void;
  loopSynced(): void;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

class Stalled extends Error {}
class Stopped extends Error {}
class RestartRequested extends Error {}

/** The list+watch loop of one namespace (or of all namespaces). */
export class ListWatch<T extends KubeObject> {
  synced = false;
  private readonly inf: ListWatchOwner<T>;
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

  constructor(inf: ListWatchOwner<T>, namespace: string | undefined) {
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
        const obj = this.inf.prepare(withKind as KubeObject);
        if (obj) items.push(obj);
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
        if (!obj) this.inf.discard(ev.object);
        else if (ev.type === 'DELETED') this.inf.remove(obj);
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
