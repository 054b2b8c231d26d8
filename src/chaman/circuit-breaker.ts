// A circuit breaker for calls to Chaman, as a pure state machine on an injected monotonic clock.
//
// A government API that is down should see a trickle, not every reconcile's retries (issue 9 item 13):
// - closed: every request goes; `failureThreshold` failures in a row (no answer, 5xx, 429) open it;
// - open: one request per `probeIntervalMs` goes through as a probe; every other request is refused
//   at once with the time until the next probe, instead of waiting or adding load;
// - any answer that is not a failure (2xx, and also 4xx: Chaman is up and said no) closes it, and
//   traffic flows again at the rate limit.
// A probe is a slot in time, not a request in flight: a probe that never reports (its caller gave
// up) cannot wedge the breaker, and there is still at most one probe per interval.
// Retry-After pushes the next probe back, but never by more than `maxRetryAfterHintMs` (5 minutes):
// an answer asking for a year must not silence a credential for a year (issue 16 item 5).

export type CircuitState = 'closed' | 'open';

export type Admission = { admitted: true; probe: boolean } | { admitted: false; retryAfterMs: number };

export interface CircuitBreakerOptions {
  /** consecutive failures that open the circuit; default 5 */
  failureThreshold?: number;
  /** while open, at most one probe per this many ms; default 1000 */
  probeIntervalMs?: number;
  /** the longest a Retry-After may push the next probe back; default 5 minutes */
  maxRetryAfterHintMs?: number;
  /** told on every change of state (for a metric or a log line) */
  onStateChange?: (state: CircuitState) => void;
}

export const DEFAULT_FAILURE_THRESHOLD = 5;
export const DEFAULT_PROBE_INTERVAL_MS = 1_000;
export const MAX_RETRY_AFTER_HINT_MS = 300_000;

export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly probeIntervalMs: number;
  readonly maxRetryAfterHintMs: number;
  readonly #now: () => number;
  readonly #onStateChange: ((state: CircuitState) => void) | undefined;
  #state: CircuitState = 'closed';
  #consecutiveFailures = 0;
  /** open only: when the next probe may go */
  #nextProbeAt = 0;

  /** `now`: monotonic milliseconds (performance.now, or a fake clock in tests). */
  constructor(options: CircuitBreakerOptions = {}, now: () => number = () => performance.now()) {
    const threshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    const interval = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError('failureThreshold must be an integer ≥ 1');
    const hintCap = options.maxRetryAfterHintMs ?? MAX_RETRY_AFTER_HINT_MS;
    if (!(interval > 0)) throw new RangeError('probeIntervalMs must be > 0');
    if (!(hintCap > 0)) throw new RangeError('maxRetryAfterHintMs must be > 0');
    this.failureThreshold = threshold;
    this.probeIntervalMs = interval;
    this.maxRetryAfterHintMs = hintCap;
    this.#now = now;
    this.#onStateChange = options.onStateChange;
  }

  get state(): CircuitState {
    return this.#state;
  }

  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  /** Milliseconds until a request would be admitted (0: now). Takes nothing. */
  waitMs(): number {
    return this.#state === 'closed' ? 0 : Math.max(0, Math.ceil(this.#nextProbeAt - this.#now()));
  }

  /** Asks to send one request now. When open, admits it as the probe of this interval, or refuses it. */
  admit(): Admission {
    if (this.#state === 'closed') return { admitted: true, probe: false };
    const now = this.#now();
    if (now < this.#nextProbeAt) return { admitted: false, retryAfterMs: Math.ceil(this.#nextProbeAt - now) };
    this.#nextProbeAt = now + this.probeIntervalMs;
    return { admitted: true, probe: true };
  }

  /** Chaman answered, and not with a failure: it is up. */
  recordSuccess(): void {
    this.#consecutiveFailures = 0;
    this.#set('closed');
  }

  /**
   * No answer, a 5xx or a 429. `retryAfterMs` (from Retry-After) pushes the next probe back when the
   * circuit is or becomes open: Chaman said when to come back (within `maxRetryAfterHintMs`).
   */
  recordFailure(retryAfterMs?: number): void {
    this.#consecutiveFailures++;
    const now = this.#now();
    const hint = retryAfterMs !== undefined && retryAfterMs > 0 ? now + Math.min(retryAfterMs, this.maxRetryAfterHintMs) : 0;
    if (this.#state === 'open') {
      this.#nextProbeAt = Math.max(this.#nextProbeAt, hint);
      return;
    }
    if (this.#consecutiveFailures >= this.failureThreshold) {
      this.#nextProbeAt = Math.max(now + this.probeIntervalMs, hint);
      this.#set('open');
    }
  }

  #set(state: CircuitState): void {
    if (this.#state === state) return;
    this.#state = state;
    try {
      this.#onStateChange?.(state);
    } catch {
      // an observer must never break a call
    }
  }
}
