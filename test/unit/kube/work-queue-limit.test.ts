import { describe, expect, it } from 'vitest';
import { ManualClock, flushMicrotasks } from '../../../src/kube/clock.ts';
import { ConcurrencyLimit, type ConcurrencySource } from '../../../src/kube/concurrency-limit.ts';
import { WorkQueue } from '../../../src/kube/work-queue.ts';

/** A limit the test sets by hand, told to the queue as an adaptive limiter would. */
class HandLimit implements ConcurrencySource {
  limit: number;
  readonly #listeners: ((l: number) => void)[] = [];
  constructor(limit: number) {
    this.limit = limit;
  }
  onChange(listener: (l: number) => void): void {
    this.#listeners.push(listener);
  }
  set(limit: number): void {
    this.limit = limit;
    for (const l of this.#listeners) l(limit);
  }
}

/** A queue whose runs the test ends by hand, recording the most keys ever in flight. */
function queueWith(concurrency: ConcurrencySource) {
  const running = new Map<string, () => void>();
  let peak = 0;
  const q = new WorkQueue({
    name: 'limit',
    clock: new ManualClock(),
    concurrency,
    handler: (key) =>
      new Promise<void>((resolve) => {
        running.set(key, resolve);
        peak = Math.max(peak, running.size);
      }),
  });
  const finish = async (n: number) => {
    for (const [key, done] of [...running].slice(0, n)) {
      running.delete(key);
      done();
    }
    await flushMicrotasks();
  };
  return { q, running, finish, peak: () => peak, resetPeak: () => (peak = running.size) };
}

describe('WorkQueue under a changing concurrency limit', () => {
  it('starts workers as the limit rises, and lets those past it stop after their key as it falls', async () => {
    const limit = new HandLimit(2);
    const t = queueWith(limit);
    for (let i = 0; i < 40; i++) t.q.add(`k${i}`);
    t.q.start();
    await flushMicrotasks();
    expect(t.running.size).toBe(2);

    limit.set(6);
    await flushMicrotasks();
    expect(t.running.size).toBe(6);
    expect(t.peak()).toBe(6);

    limit.set(3);
    await flushMicrotasks();
    expect(t.running.size).toBe(6); // nothing is cut short
    await t.finish(6);
    expect(t.running.size).toBe(3);
    t.resetPeak();
    for (let i = 0; i < 5; i++) await t.finish(3);
    expect(t.peak()).toBe(3);

    limit.set(1);
    await t.finish(3);
    expect(t.running.size).toBe(1);
    await t.finish(1);
    expect(t.running.size).toBe(1);
    await t.q.shutdown({ drain: false });
  });

  it('follows an adaptive limit fed by latencies: more keys in flight while they stay fast', async () => {
    let now = 0;
    const limit = new ConcurrencyLimit({ max: 8, initial: 2, now: () => now, windowMs: 100, minSamples: 2 });
    const t = queueWith(limit);
    for (let i = 0; i < 200; i++) t.q.add(`k${i}`);
    t.q.start();
    await flushMicrotasks();
    expect(t.running.size).toBe(2);
    for (let i = 0; i < 20; i++) {
      now += 60;
      limit.record(20, false);
      await t.finish(t.running.size);
      expect(t.running.size).toBe(limit.limit);
    }
    expect(limit.limit).toBe(8);
    limit.record(20, true); // a 429: halved at once
    await t.finish(t.running.size);
    expect(t.running.size).toBe(4);
    await t.q.shutdown({ drain: false });
  });

  it('never runs more keys than the limit before start either', async () => {
    const limit = new HandLimit(3);
    const t = queueWith(limit);
    for (let i = 0; i < 10; i++) t.q.add(`k${i}`);
    limit.set(1);
    t.q.start();
    await flushMicrotasks();
    expect(t.running.size).toBe(1);
    await t.q.shutdown({ drain: false });
  });

  it('cancelAfter drops a delayed add, so a key woken early does not run again when it falls due', async () => {
    const clock = new ManualClock();
    const started: string[] = [];
    const q = new WorkQueue({ name: 'cancel', clock, handler: async (key) => void started.push(key) });
    q.start();
    q.addAfter('a', 2_000);
    q.addAfter('b', 2_000);
    q.cancelAfter('a');
    expect(q.scheduledAt('a')).toBeUndefined();
    await clock.advance(2_500);
    expect(started).toEqual(['b']);
    await q.shutdown();
  });
});
