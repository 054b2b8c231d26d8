// Slow start for Chaman (issue 19 item 1): a process that has just started sends one request at a
// time until Chaman has answered one. Without it, each restart during an outage sent its first calls
// at once (every worker's), before the circuit breaker had seen enough failures to open: the chaos
// benchmark's 60 s outage drew 1.78 calls/s against a goal of 1.
// - before the first answer, one attempt is out at a time; after a failure (no answer, 5xx, 429) the
//   next waits `intervalMs` (the breaker's probe interval), so an outage met at start sees a trickle;
// - an attempt that never reports (its caller gave up) frees its turn after `staleMs`;
// - after the first answer, the gate is open for good: the token bucket and the breakers take over.
// One per process, shared by every credential's traffic: the government API sees one client.
import { sleep } from './abort.ts';
import { systemClock, type Clock } from './clock.ts';

export interface SlowStartOptions {
  /** after a failure before the first answer, the wait before the next attempt; default 1000 ms */
  intervalMs?: number;
  /** an admitted attempt that has reported nothing after this long frees its turn; default 30 s */
  staleMs?: number;
  /** how often a waiting caller looks again; default 50 ms */
  pollMs?: number;
  clock?: Clock;
}

export class SlowStart {
  readonly #intervalMs: number;
  readonly #staleMs: number;
  readonly #pollMs: number;
  readonly #clock: Clock;
  #answered = false;
  /** When the attempt now out was admitted (undefined: none is out). */
  #outSince: number | undefined;
  /** The earliest the next attempt may go (after a failure). */
  #nextAt = -Infinity;

  constructor(options: SlowStartOptions = {}) {
    this.#intervalMs = options.intervalMs ?? 1_000;
    this.#staleMs = options.staleMs ?? 30_000;
    this.#pollMs = options.pollMs ?? 50;
    this.#clock = options.clock ?? systemClock;
  }

  /** Whether Chaman has answered once (the gate no longer holds anyone). */
  get open(): boolean {
    return this.#answered;
  }

  /**
   * Waits for this attempt's turn; at once once Chaman has answered. True when the attempt holds the
   * one turn (then `cancel` it if it is not sent). Rejects when the signal aborts.
   */
  async enter(signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (this.#answered) return false;
      const now = this.#clock.now();
      const free = this.#outSince === undefined || now - this.#outSince >= this.#staleMs;
      if (free && now >= this.#nextAt) {
        this.#outSince = now;
        return true;
      }
      const until = free ? this.#nextAt - now : this.#pollMs;
      await sleep(this.#clock, Math.max(1, Math.min(this.#pollMs, until)), signal);
    }
  }

  /** The attempt let in was not sent after all (refused by the breaker, aborted while waiting for a token). */
  cancel(): void {
    this.#outSince = undefined;
  }

  /** Chaman answered (not a failure): the gate opens for good. */
  answered(): void {
    this.#answered = true;
    this.#outSince = undefined;
  }

  /** No answer, a 5xx or a 429: the next attempt waits its interval. */
  failed(): void {
    if (this.#answered) return;
    this.#outSince = undefined;
    this.#nextAt = this.#clock.now() + this.#intervalMs;
  }
}
