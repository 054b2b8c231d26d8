// Waits that end early when an AbortSignal fires. The Chaman client waits in three places (the
// token bucket, the backoff between attempts, a Retry-After); each must stop at once on abort.
import type { Clock } from './clock.ts';

/** Settles as `work` does, or rejects with the signal's reason as soon as it aborts. */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** `clock.sleep(ms)` that rejects with the signal's reason when it aborts (the clock may also free its timer). */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return unlessAborted(clock.sleep(ms, signal), signal);
}
