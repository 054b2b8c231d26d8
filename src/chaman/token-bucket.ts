// A token bucket that bounds calls per second to Chaman (a government API: be gentle).
// `ratePerSecond` tokens are added continuously up to `burst`; each call takes one token and
// waits, in arrival order, when none is left. The clock and the sleep are injectable for tests.
import { sleep, unlessAborted } from './abort.ts';
import { systemClock, type Clock } from './clock.ts';

export { systemClock, type Clock };

export interface TokenBucketOptions {
  /** tokens added per second; must be > 0 */
  ratePerSecond: number;
  /** bucket size: how many calls may go at once after a quiet period; default max(1, ratePerSecond) */
  burst?: number;
  clock?: Clock;
}

export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;
  /** Tail of the wait chain: callers are served in arrival order. */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be > 0');
    this.ratePerSecond = options.ratePerSecond;
    this.burst = Math.max(1, Math.floor(options.burst ?? Math.max(1, options.ratePerSecond)));
    this.#clock = options.clock ?? systemClock;
    this.#tokens = this.burst;
    this.#last = this.#clock.now();
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
  }

  /** Takes a token now if one is available; never waits. */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    return false;
  }

  /** Milliseconds until a token is available (0 when one is). */
  waitTimeMs(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.ratePerSecond);
  }

  /**
   * Resolves when the caller may make its call. Callers are served first come, first served. With a
   * signal, rejects with its reason as soon as it aborts, even while waiting behind other callers;
   * an aborted caller takes no token when its turn comes.
   */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(async () => {
      for (;;) {
        signal?.throwIfAborted();
        if (this.tryTake()) return;
        await sleep(this.#clock, this.waitTimeMs(), signal);
      }
    });
    // The chain must survive a caller that aborted.
    this.#queue = turn.catch(() => undefined);
    return unlessAborted(turn, signal);
  }
}
