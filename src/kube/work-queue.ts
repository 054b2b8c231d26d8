// A keyed work queue with client-go workqueue semantics, running its workers on p-queue:
// - keys, not objects: a key added while it waits runs once;
// - a key is never processed by two workers at once: re-added while processing, it runs once more after;
// - failures back off per key, exponentially, capped and jittered; success forgets the key's failures;
// - addAfter keeps only the EARLIEST pending time per key (a precise requeue is neither lost nor doubled);
// - an error carrying `retryAfterMs` (e.g. from a 429 Retry-After) is never retried sooner than that;
// - shutdown({drain: true}) stops taking work and waits for the reconciles in flight;
// - the number of workers follows a limit that may change (src/kube/concurrency-limit.ts).
import PQueue from 'p-queue';
import { backoffDelayMs } from '../util/backoff.ts';
import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import { fixedConcurrency, type ConcurrencySource } from './concurrency-limit.ts';
import { DelayHeap } from './delay-heap.ts';

export { objectKey, parseObjectKey } from './object-key.ts';

/**
 * What a handler may return: nothing, or when to run the key again. `failed` says the run failed
 * and was handled (its status written): the key's failure count grows, so its backoff does too.
 */
export type WorkResult = void | undefined | { requeueAfterMs?: number; failed?: boolean };

export interface BackoffOptions {
  /** Delay after the first failure. Default 1 s. */
  baseMs?: number;
  /** Upper bound of the exponential delay. Default 5 min. */
  capMs?: number;
  /** Fraction in [0, 1]: the delay is drawn uniformly from [d·(1−jitter), d]. Default 0.2. */
  jitter?: number;
}

export interface WorkQueueHooks {
  /** Called whenever the number of keys waiting to be processed changes. */
  onDepth?(depth: number): void;
  /** Called when a failed key is scheduled again. */
  onRetry?(key: string, delayMs: number, error: unknown): void;
  /** Called when a handler throws (before the retry is scheduled). */
  onError?(key: string, error: unknown, failures: number): void;
  /** Called when a worker takes a key, with how long it waited since it was queued (controller-runtime's queue duration). */
  onStart?(key: string, waitedMs: number): void;
  /** Called when the handler of a key returns or throws, with how long it ran (controller-runtime's work duration). */
  onDone?(key: string, durationMs: number): void;
}

export interface WorkQueueOptions {
  /** Name for metrics and logs (the `queue` label). */
  name: string;
  handler: (key: string) => Promise<WorkResult>;
  /**
   * Keys processed in parallel (never the same key twice): a number, or a limit that changes (an
   * adaptive ConcurrencyLimit). Workers start as it rises; as it falls, each worker past it stops
   * after its key. Default 4.
   */
  concurrency?: number | ConcurrencySource;
  backoff?: BackoffOptions;
  clock?: Clock;
  /** Source of randomness for the jitter; injectable for exact tests. */
  random?: () => number;
  hooks?: WorkQueueHooks;
}

/** Reads a `retryAfterMs` hint from an error (e.g. RateLimitedError, UnavailableError, KubeApiError). */
export function retryAfterHint(error: unknown): number | undefined {
  const v = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class WorkQueue {
  readonly name: string;
  private readonly handler: (key: string) => Promise<WorkResult>;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly hooks: WorkQueueHooks;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly jitter: number;
  private readonly pq: PQueue;

  /** Keys waiting (membership) and their FIFO order (array + head index: O(1) pops). */
  private readonly queued = new Set<string>();
  private fifo: string[] = [];
  private head = 0;
  private readonly concurrency: ConcurrencySource;
  /** Worker tasks handed to p-queue, and how many of them have started. */
  private workers = 0;
  private startedWorkers = 0;
  /** Keys a worker is processing now. */
  private readonly processing = new Set<string>();
  /** Keys added while processing: they run once more when the current run ends. */
  private readonly dirty = new Set<string>();
  /** When each waiting key (queued or dirty) was added, for onStart's wait time. */
  private readonly addedAt = new Map<string, number>();
  /** Earliest pending delayed add per key. */
  private readonly waiting = new Map<string, number>();
  private readonly heap = new DelayHeap();
  private heapSeq = 0;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;

  private readonly failures = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private idleWaiters: (() => void)[] = [];
  private lastDepth = -1;
  private stopping = false;

  constructor(opts: WorkQueueOptions) {
    this.name = opts.name;
    this.handler = opts.handler;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.hooks = opts.hooks ?? {};
    this.baseMs = opts.backoff?.baseMs ?? 1_000;
    this.capMs = opts.backoff?.capMs ?? 300_000;
    this.jitter = Math.min(1, Math.max(0, opts.backoff?.jitter ?? 0.2));
    const concurrency = opts.concurrency ?? 4;
    this.concurrency = typeof concurrency === 'number' ? fixedConcurrency(concurrency) : concurrency;
    // p-queue only holds the workers until start(); how many run is this.concurrency's to say.
    this.pq = new PQueue({ autoStart: false });
    this.concurrency.onChange(() => this.pump());
  }

  /** Starts the workers. Keys added before start wait (e.g. until the informers have synced). */
  start(): void {
    if (!this.stopping) this.pq.start();
  }

  /** Queues a key now. A no-op if it already waits; deferred if it is being processed. */
  add(key: string): void {
    if (this.stopping) return;
    if (this.queued.has(key)) return;
    if (this.processing.has(key)) {
      if (!this.dirty.has(key)) {
        this.dirty.add(key);
        this.addedAt.set(key, this.clock.now());
        this.reportDepth();
      }
      return;
    }
    this.enqueue(key);
  }

  /**
   * Queues a key after `ms`. If the key already has a delayed add pending, only the earlier of the
   * two is kept. `ms <= 0` adds now.
   */
  addAfter(key: string, ms: number): void {
    if (this.stopping) return;
    if (!(ms > 0)) return this.add(key);
    const at = this.clock.now() + ms;
    const current = this.waiting.get(key);
    if (current !== undefined && current <= at) return;
    this.waiting.set(key, at);
    this.heap.push({ at, seq: ++this.heapSeq, key });
    this.arm();
  }

  /** Drops the key's pending delayed add, if any: it was woken for a better reason. */
  cancelAfter(key: string): void {
    this.waiting.delete(key); // its heap entry is skipped when it falls due
  }

  /**
   * Schedules a retry of a failed key with per-key exponential backoff; never sooner than
   * `retryAfterMs` when given. Returns the delay chosen.
   */
  addRateLimited(key: string, retryAfterMs?: number): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const delay = this.backoffDelay(n, retryAfterMs);
    this.addAfter(key, delay);
    return delay;
  }

  /** The delay before the next try of a key that is failing now: its failures so far, plus this one. */
  nextBackoff(key: string, retryAfterMs?: number): number {
    return this.backoffDelay((this.failures.get(key) ?? 0) + 1, retryAfterMs);
  }

  /** The delay used after the n-th consecutive failure (n ≥ 1). */
  backoffDelay(n: number, retryAfterMs?: number): number {
    const jittered = backoffDelayMs(n, { baseMs: this.baseMs, capMs: this.capMs, jitter: this.jitter }, this.random);
    return retryAfterMs !== undefined ? Math.max(retryAfterMs, jittered) : jittered;
  }

  /** Clears a key's failure count (called after a successful run). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Consecutive failures of a key so far. */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Keys waiting to run (queued, or re-added while being processed); not counting delayed ones. */
  get depth(): number {
    return this.queued.size + this.dirty.size;
  }
  get processingCount(): number {
    return this.processing.size;
  }
  /** Keys with a delayed add pending. */
  get scheduledCount(): number {
    return this.waiting.size;
  }
  /** When the key's delayed add is due (ms since epoch), if one is pending. */
  scheduledAt(key: string): number | undefined {
    return this.waiting.get(key);
  }
  isQueued(key: string): boolean {
    return this.queued.has(key) || this.dirty.has(key);
  }
  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }
  get shuttingDown(): boolean {
    return this.stopping;
  }

  /** Resolves when nothing waits and nothing is processing (delayed adds do not count). */
  onIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /**
   * Stops accepting keys and drops those waiting and delayed. With `drain` (the default) it waits
   * for the reconciles in flight to finish, at most `timeoutMs` when given.
   */
  async shutdown(opts: { drain?: boolean; timeoutMs?: number } = {}): Promise<void> {
    this.stopping = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.waiting.clear();
    this.heap.clear();
    this.pq.clear();
    this.queued.clear();
    this.fifo = [];
    this.head = 0;
    this.dirty.clear();
    this.addedAt.clear();
    this.reportDepth();
    this.checkIdle();
    if (opts.drain === false) return;
    const all = Promise.all([...this.inFlight]).then(() => undefined);
    if (opts.timeoutMs === undefined) return all;
    await Promise.race([all, this.clock.sleep(opts.timeoutMs)]);
  }

  private enqueue(key: string): void {
    this.queued.add(key);
    if (!this.addedAt.has(key)) this.addedAt.set(key, this.clock.now());
    this.fifo.push(key);
    this.reportDepth();
    this.pump();
  }

  /**
   * At most `concurrency.limit` worker tasks run; each pulls keys from the FIFO until it is empty
   * (or the limit fell below the workers running). Handing p-queue one task per key would cost a promise and closures per waiting key
   * (about 1.5 KB each: 150 MB for 100k keys).
   */
  private pump(): void {
    while (!this.stopping && this.workers < this.concurrency.limit && this.workers - this.startedWorkers < this.queued.size) {
      this.workers++;
      this.pq.add(() => this.work()).catch(() => {});
    }
  }

  private async work(): Promise<void> {
    this.startedWorkers++;
    try {
      for (;;) {
        // The limit fell: this worker is one too many, and stops between keys.
        if (this.stopping || this.workers > this.concurrency.limit) return;
        const key = this.dequeue();
        if (key === undefined) return;
        await this.run(key);
      }
    } finally {
      this.startedWorkers--;
      this.workers--;
      this.pump();
    }
  }

  private dequeue(): string | undefined {
    while (this.head < this.fifo.length) {
      const key = this.fifo[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.fifo.length) {
        this.fifo = this.fifo.slice(this.head);
        this.head = 0;
      }
      if (this.queued.delete(key)) return key;
    }
    return undefined;
  }

  private async run(key: string): Promise<void> {
    this.processing.add(key);
    this.reportDepth();
    let done!: () => void;
    const tracked = new Promise<void>((r) => (done = r));
    this.inFlight.add(tracked);
    const started = this.clock.now();
    this.hooks.onStart?.(key, started - (this.addedAt.get(key) ?? started));
    this.addedAt.delete(key);
    try {
      let result: WorkResult;
      try {
        result = await this.handler(key);
      } catch (err) {
        this.hooks.onDone?.(key, this.clock.now() - started);
        const n = (this.failures.get(key) ?? 0) + 1;
        this.hooks.onError?.(key, err, n);
        if (!this.stopping) {
          const delay = this.addRateLimited(key, retryAfterHint(err));
          this.hooks.onRetry?.(key, delay, err);
        }
        return;
      }
      this.hooks.onDone?.(key, this.clock.now() - started);
      if (result?.failed) this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
      else this.forget(key);
      const after = result?.requeueAfterMs;
      if (after !== undefined && Number.isFinite(after)) this.addAfter(key, Math.max(0, after));
    } finally {
      this.processing.delete(key);
      this.inFlight.delete(tracked);
      done();
      if (this.dirty.delete(key) && !this.stopping) this.enqueue(key);
      this.reportDepth();
      this.checkIdle();
    }
  }

  private arm(): void {
    const top = this.heap.peek();
    if (!top) return;
    if (top.at >= this.timerAt && this.timer) return;
    this.clock.clearTimeout(this.timer);
    // Node timers hold at most 2^31−1 ms (~24.8 days): a later key (a certificate expiring in a
    // year) wakes the timer early, which finds nothing due and arms it again.
    const delay = Math.min(top.at - this.clock.now(), MAX_TIMER_MS);
    this.timerAt = this.clock.now() + delay;
    this.timer = this.clock.setTimeout(() => this.fire(), delay);
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    for (let top = this.heap.peek(); top && top.at <= now; top = this.heap.peek()) {
      this.heap.pop();
      if (this.waiting.get(top.key) !== top.at) continue; // superseded by an earlier time
      this.waiting.delete(top.key);
      this.add(top.key);
    }
    this.arm();
  }

  private reportDepth(): void {
    const d = this.depth;
    if (d !== this.lastDepth) {
      this.lastDepth = d;
      this.hooks.onDepth?.(d);
    }
  }

  private isIdle(): boolean {
    return this.queued.size === 0 && this.processing.size === 0 && this.dirty.size === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const r of w) r();
  }
}
