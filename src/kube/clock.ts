// Time as a port, so the work queue, informer watchdog and leader election can be tested exactly
// and fast with a manual clock instead of real timers.

export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds since the Unix epoch (wall clock: for timestamps others read). */
  now(): number;
  /** Milliseconds on a monotonic clock (for durations and deadlines: immune to wall-clock steps). */
  elapsed(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /** Resolves after `ms`, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function sleepWith(clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clock.clearTimeout(h);
      reject(signal!.reason);
    };
    const h = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

let realIds = 0;
const realTimers = new Map<number, NodeJS.Timeout>();

export const systemClock: Clock = {
  now: () => Date.now(),
  elapsed: () => performance.now(),
  setTimeout(fn, ms) {
    const id = ++realIds;
    const t = setTimeout(() => {
      realTimers.delete(id);
      fn();
    }, Math.max(0, ms));
    // Timers never keep the process alive on their own: shutdown is explicit.
    t.unref();
    realTimers.set(id, t);
    return { id };
  },
  clearTimeout(h) {
    if (!h) return;
    const t = realTimers.get(h.id);
    if (t) clearTimeout(t);
    realTimers.delete(h.id);
  },
  sleep(ms, signal) {
    return sleepWith(systemClock, ms, signal);
  },
};

/**
 * A clock that only moves when told. `advance(ms)` fires due timers in time order, letting
 * promise continuations run between them, so async code driven by timers settles deterministically.
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  elapsed(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    // As Node does: a delay over 2^31−1 ms becomes 1 ms (with a TimeoutOverflowWarning).
    const delay = ms > 2 ** 31 - 1 ? 1 : Math.max(0, ms);
    this.timers.set(id, { at: this.t + delay, fn });
    return { id };
  }
  clearTimeout(h: TimerHandle | undefined): void {
    if (h) this.timers.delete(h.id);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }
  /** Number of timers not yet fired. */
  pendingTimers(): number {
    return this.timers.size;
  }
  /** Time of the next timer, if any. */
  nextTimerAt(): number | undefined {
    let min: number | undefined;
    for (const { at } of this.timers.values()) if (min === undefined || at < min) min = at;
    return min;
  }
  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await flushMicrotasks();
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[0] < next[0]))) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
      await flushMicrotasks();
    }
    this.t = end;
    await flushMicrotasks();
  }
}

/** Lets pending promise continuations run (a few macrotask turns, enough for chained awaits). */
export async function flushMicrotasks(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}
