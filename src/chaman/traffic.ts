// ChamanTraffic: how the Chaman clients of one operator pace their calls. The token bucket is one
// for all credentials (the configured calls per second, for the whole operator: the government API
// sees one client). The circuit breaker is one per credential (`forCredential`): a 429 is Chaman
// throttling that credential, so it must not stop the others (issue 16 item 5); an outage still
// opens every credential's breaker after a few failures, so it draws a trickle either way.
// Create it once, pass it to every ChamanHttpClient (clientFactory does): each takes its own breaker.
// `slowStart` (run turns it on) is one per process too: one request until Chaman has answered one.
import { CircuitBreaker } from './circuit-breaker.ts';
import type { CircuitBreakerOptions } from './circuit-breaker.ts';
import { CircuitOpenError } from './errors.ts';
import { SlowStart } from './slow-start.ts';
import type { SlowStartOptions } from './slow-start.ts';
import { systemClock, type Clock } from './clock.ts';
import { TokenBucket } from './token-bucket.ts';

/** `undefined` means the default, so a client's own options can be passed through as they are. */
export interface ChamanTrafficOptions {
  /** calls per second for all clients together (each attempt takes a token), or a bucket; default: no limit */
  rateLimit?: { ratePerSecond: number; burst?: number } | TokenBucket | undefined;
  /** circuit breaker settings, or false for none; default: on, 5 failures, 1 probe per second */
  breaker?: CircuitBreakerOptions | false | undefined;
  clock?: Clock | undefined;
  /** one request at a time until Chaman has answered one (src/chaman/slow-start.ts), or a gate to share; default: none */
  slowStart?: SlowStartOptions | SlowStart | undefined;
}

export class ChamanTraffic {
  readonly bucket: TokenBucket | undefined;
  readonly breaker: CircuitBreaker | undefined;
  readonly slowStart: SlowStart | undefined;
  readonly #breakerOptions: CircuitBreakerOptions | false | undefined;
  readonly #clock: Clock;

  constructor(options: ChamanTrafficOptions = {}) {
    const clock = (this.#clock = options.clock ?? systemClock);
    const limit = options.rateLimit;
    this.bucket = limit === undefined ? undefined : limit instanceof TokenBucket ? limit : new TokenBucket({ ...limit, clock });
    this.#breakerOptions = options.breaker;
    this.breaker = options.breaker === false ? undefined : new CircuitBreaker(options.breaker ?? {}, () => clock.now());
    const slow = options.slowStart;
    this.slowStart = slow === undefined || slow instanceof SlowStart ? slow : new SlowStart({ clock, ...slow });
  }

  /** The traffic of one more credential: this token bucket, and a circuit breaker of its own. */
  forCredential(): ChamanTraffic {
    return new ChamanTraffic({ rateLimit: this.bucket, breaker: this.#breakerOptions, clock: this.#clock, slowStart: this.slowStart });
  }

  /**
   * Waits until one attempt may be sent: refused at once (CircuitOpenError) while the circuit is open
   * and this is not the probe's turn, else a token from the bucket. Rejects with the signal's reason
   * when it aborts. `what` names the call in the error.
   */
  async admit(what: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    // Fail fast before queueing for a token: an open circuit must not make callers wait.
    const wait = this.breaker?.waitMs() ?? 0;
    if (wait > 0) throw new CircuitOpenError(what, wait);
    const turn = await this.slowStart?.enter(signal);
    try {
      if (this.bucket) await this.bucket.take(signal);
      const admission = this.breaker?.admit();
      if (admission && !admission.admitted) throw new CircuitOpenError(what, admission.retryAfterMs);
    } catch (err) {
      if (turn) this.slowStart?.cancel();
      throw err;
    }
  }

  /** Chaman answered with something other than a 5xx or 429 (it is up, even if it said no). */
  recordAnswer(): void {
    this.slowStart?.answered();
    this.breaker?.recordSuccess();
  }

  /** No answer (connection failed, timed out), a 5xx or a 429. */
  recordFailure(retryAfterMs?: number): void {
    this.slowStart?.failed();
    this.breaker?.recordFailure(retryAfterMs);
  }
}
