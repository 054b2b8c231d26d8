import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/chaman/token-bucket.ts';
import type { Clock } from '../../../src/chaman/token-bucket.ts';

/** A manual clock: sleeping advances time, so waits are exact and instant. */
function manualClock(): Clock & { t: number; slept: number[] } {
  const clock = {
    t: 0,
    slept: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.slept.push(ms);
      clock.t += ms;
    },
  };
  return clock;
}

describe('TokenBucket', () => {
  it('lets a burst through, then one call per 1/rate seconds', async () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 5, burst: 3, clock });
    for (let i = 0; i < 3; i++) await bucket.take();
    expect(clock.t).toBe(0);
    await bucket.take();
    expect(clock.t).toBe(200);
    await bucket.take();
    expect(clock.t).toBe(400);
  });

  it('refills while idle, up to the burst only', async () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 2, clock });
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    clock.t += 10_000;
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    expect(bucket.waitTimeMs()).toBe(100);
  });

  it('bounds N calls to roughly (N - burst) / rate seconds, in arrival order', async () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 4, burst: 1, clock });
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => bucket.take().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(clock.t).toBe(1000);
  });

  it('defaults the burst to the rate, and refuses a rate of 0', () => {
    expect(new TokenBucket({ ratePerSecond: 7 }).burst).toBe(7);
    expect(new TokenBucket({ ratePerSecond: 0.5 }).burst).toBe(1);
    expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(RangeError);
  });

  it('an aborted waiter does not block the ones behind it', async () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1, clock });
    await bucket.take();
    const controller = new AbortController();
    controller.abort();
    await expect(bucket.take(controller.signal)).rejects.toThrow();
    await bucket.take();
    expect(clock.t).toBe(1000);
  });

  it('a waiter aborted while queued behind others rejects at once and takes no token at its turn', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 1 });
    await bucket.take();
    const controller = new AbortController();
    const first = bucket.take();
    const aborted = bucket.take(controller.signal);
    const third = bucket.take();
    const started = performance.now();
    controller.abort(new Error('deadline'));
    await expect(aborted).rejects.toThrow('deadline');
    expect(performance.now() - started).toBeLessThan(50);
    await first;
    await third;
    // first and third waited 100 ms each; the aborted one did not take the token in between
    expect(performance.now() - started).toBeLessThan(290);
  });
});
