// An adaptive concurrency limit, after Netflix's concurrency-limits (its AIMD and Gradient2 limiters),
// written small. Pure: it sees request outcomes and a clock, nothing else.
//
// The API server's pace is unknown (a kind cluster on 2 shared cores, or a cloud control plane with
// API Priority and Fairness), so the number of reconciles in flight is found, not configured:
// - samples (one Kubernetes request's latency, and whether it was throttled) are judged per window
//   (at least `windowMs` and `minSamples`), so one slow request does not move the limit;
// - a window whose mean latency stays within `tolerance` (2) × the best seen, while work was waiting
//   on the limit, raises the limit by √limit (Gradient2's queue allowance: fast when small); the
//   best is a minimum, so the tolerance is wider than Gradient2's 1.5 over a long-term average;
// - a window whose mean latency rises above that multiplies it by `backoff` (0.9);
// - a 429 (APF throttling) or 503 halves it at once, at most once per window (a burst of throttled
//   answers to requests sent before the cut must not cut again);
// - the best latency is the lowest window mean (Vegas' no-load latency); at the floor, where no load is
//   left to shed, the window's mean becomes the best: a server that became slower for good is then
//   the new normal, and the limit grows again instead of staying at 1 for ever;
// - the limit stays within [min, max]: --max-concurrency is a ceiling it never passes.

export interface ConcurrencyLimitOptions {
  /** The ceiling (`--max-concurrency`). */
  max: number;
  /** The floor. Default 1. */
  min?: number;
  /** Where to start. Default 4, within [min, max]. */
  initial?: number;
  /** Monotonic milliseconds (performance.now, or a manual clock in tests). */
  now: () => number;
  /** Shortest window over which latency is judged. Default 1 s. */
  windowMs?: number;
  /** Fewest samples for a window to be judged. Default 10. */
  minSamples?: number;
  /** A window's mean latency above best × tolerance is a rise. Default 2. */
  tolerance?: number;
  /** Factor on a latency rise. Default 0.9. */
  backoff?: number;
  /** Factor on a throttled answer. Default 0.5. */
  throttleBackoff?: number;
  /** Whether work is waiting on the limit now: the limit grows only when it is in the way. Default: always. */
  saturated?: () => boolean;
}

/** What a work queue needs of a limit: its value now, and a call when it changes. */
export interface ConcurrencySource {
  readonly limit: number;
  onChange(listener: (limit: number) => void): void;
}

export class ConcurrencyLimit implements ConcurrencySource {
  readonly max: number;
  readonly min: number;
  readonly #now: () => number;
  readonly #windowMs: number;
  readonly #minSamples: number;
  readonly #tolerance: number;
  readonly #backoff: number;
  readonly #throttleBackoff: number;
  readonly #saturated: () => boolean;
  readonly #listeners: ((limit: number) => void)[] = [];
  /** The limit as a real number (decreases by factors); `limit` is its floor. */
  #value: number;
  #bestMs: number | undefined;
  #windowStart: number;
  #sumMs = 0;
  #count = 0;
  #wasSaturated = false;
  #lastCutAt = -Infinity;

  constructor(o: ConcurrencyLimitOptions) {
    const min = o.min ?? 1;
    if (!Number.isInteger(min) || min < 1) throw new RangeError(`the minimum concurrency must be an integer ≥ 1, got ${min}`);
    if (!Number.isInteger(o.max) || o.max < min) throw new RangeError(`--max-concurrency must be an integer ≥ ${min}, got ${o.max}`);
    this.min = min;
    this.max = o.max;
    this.#now = o.now;
    this.#windowMs = o.windowMs ?? 1_000;
    this.#minSamples = o.minSamples ?? 10;
    this.#tolerance = o.tolerance ?? 2;
    this.#backoff = o.backoff ?? 0.9;
    this.#throttleBackoff = o.throttleBackoff ?? 0.5;
    this.#saturated = o.saturated ?? (() => true);
    this.#value = this.#clamp(o.initial ?? 4);
    this.#windowStart = o.now();
  }

  get limit(): number {
    return Math.floor(this.#value);
  }

  /** The best window mean latency seen (ms), once a window has been judged. */
  get bestLatencyMs(): number | undefined {
    return this.#bestMs;
  }

  onChange(listener: (limit: number) => void): void {
    this.#listeners.push(listener);
  }

  /** One request's outcome: how long it took, and whether the server throttled it (429, 503). */
  record(latencyMs: number, throttled: boolean): void {
    const now = this.#now();
    if (throttled) {
      if (now - this.#lastCutAt >= this.#windowMs) {
        this.#lastCutAt = now;
        this.#set(this.#value * this.#throttleBackoff);
        this.#resetWindow(now);
      }
      return;
    }
    this.#sumMs += latencyMs;
    this.#count++;
    if (!this.#wasSaturated && this.#saturated()) this.#wasSaturated = true;
    if (now - this.#windowStart >= this.#windowMs && this.#count >= this.#minSamples) this.#judge(now);
  }

  #judge(now: number): void {
    const mean = this.#sumMs / this.#count;
    const best = this.limit === this.min ? mean : Math.min(this.#bestMs ?? mean, mean);
    if (mean > best * this.#tolerance) {
      this.#set(this.#value * this.#backoff);
    } else if (this.#wasSaturated) {
      this.#set(this.#value + Math.max(1, Math.floor(Math.sqrt(this.#value))));
    }
    this.#bestMs = best;
    this.#resetWindow(now);
  }

  #resetWindow(now: number): void {
    this.#windowStart = now;
    this.#sumMs = 0;
    this.#count = 0;
    this.#wasSaturated = false;
  }

  #set(value: number): void {
    const before = this.limit;
    let next = this.#clamp(value);
    // A cut must cut: 0.9 × 5 floors to 4, but 0.9 × 1.5 stays 1 and would never move the integer.
    if (value < this.#value && Math.floor(next) === before && before > this.min) next = before - 1;
    this.#value = next;
    if (this.limit !== before) for (const listener of this.#listeners) listener(this.limit);
  }

  #clamp(value: number): number {
    return Math.min(this.max, Math.max(this.min, value));
  }
}

/** A fixed limit (`--concurrency N`): the same interface, never changing. */
export function fixedConcurrency(limit: number): ConcurrencySource {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`--concurrency must be an integer ≥ 1, got ${limit}`);
  return { limit, onChange: () => {} };
}

/**
 * Which Kubernetes requests speak for the API server's load: the short requests of reconciles
 * (get, create, update, patch, apply, delete). Lists and watches are long by nature, and a network
 * failure (status 0) says the server is out of reach, not how busy it is. 429 is API Priority and
 * Fairness refusing; 503 and 504 an overloaded server or etcd.
 */
export function kubeLatencySample(r: { verb: string; status: number; durationMs: number }): { latencyMs: number; throttled: boolean } | undefined {
  if (r.verb === 'list' || r.verb === 'watch' || r.status === 0) return undefined;
  return { latencyMs: r.durationMs, throttled: r.status === 429 || r.status === 503 || r.status === 504 };
}

/** Feeds `limit` with the latencies and throttled answers of a Kubernetes client's requests. */
export function adaptToKubeRequests(client: { onRequest(hook: (r: { verb: string; status: number; durationMs: number }) => void): void }, limit: ConcurrencyLimit): void {
  client.onRequest((r) => {
    const sample = kubeLatencySample(r);
    if (sample) limit.record(sample.latencyMs, sample.throttled);
  });
}
