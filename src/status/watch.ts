// `status --watch`: read every interval, print when what is shown changed (not when only the time of the
// reading did), until the signal aborts. A failed read is reported and retried at the next tick, so a
// watch outlives an API server restart. Polling, not a watch stream: `status` is a person's or a
// pipeline's tool, and a read every few seconds costs the API server less than five watches held open.
import type { StatusView } from './view.ts';

export interface WatchOptions {
  read(signal: AbortSignal): Promise<StatusView>;
  print(view: StatusView): void;
  printError(err: unknown): void;
  intervalMs: number;
  signal: AbortSignal;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Runs until `signal` aborts; resolves with the last view printed (undefined if no read succeeded). */
export async function watchStatus(opts: WatchOptions): Promise<StatusView | undefined> {
  const sleep = opts.sleep ?? abortableSleep;
  let last: StatusView | undefined;
  let lastKey = '';
  while (!opts.signal.aborted) {
    try {
      const view = await opts.read(opts.signal);
      const key = changeKey(view);
      if (key !== lastKey) {
        opts.print(view);
        lastKey = key;
      }
      last = view;
    } catch (err) {
      if (opts.signal.aborted) break;
      opts.printError(err);
      lastKey = ''; // print the next good view even if unchanged, so the error is not the last word
    }
    await sleep(opts.intervalMs, opts.signal);
  }
  return last;
}

/** The view without the time it was read: two readings of an unchanged cluster have the same key. */
export function changeKey(view: StatusView): string {
  return JSON.stringify({ ...view, observedAt: undefined });
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
