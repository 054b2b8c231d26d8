// Time for the Chaman client's waits (retries, the token bucket, the slow start), injectable in tests.
import { setTimeout as setTimeoutPromise } from 'node:timers/promises';

export interface Clock {
  /** milliseconds, monotonic */
  now(): number;
  /** May reject early when `signal` aborts (callers use `sleep` from abort.ts, which makes sure it does). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  // with a signal, timers/promises clears its timer on abort, so an abandoned wait holds nothing
  sleep: (ms, signal) => (signal ? setTimeoutPromise(ms, undefined, { signal }) : setTimeoutPromise(ms)),
};
