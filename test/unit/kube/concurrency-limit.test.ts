import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit, fixedConcurrency, kubeLatencySample, type ConcurrencyLimitOptions } from '../../../src/kube/concurrency-limit.ts';

/**
 * A simulated API server, in steps of 100 ms of a manual clock: the client keeps `limit` requests in
 * flight; up to `capacity` of them are served at `baseMs`, beyond that they queue (latency grows with
 * the load, as Little's law says); past `throttleAbove` in flight, API Priority and Fairness answers 429.
 */
function simulate(opts: {
  capacity: number;
  baseMs?: number;
  throttleAbove?: number;
  seconds: number;
  limiter?: Partial<ConcurrencyLimitOptions>;
}) {
  let t = 0;
  const limiter = new ConcurrencyLimit({ max: 64, now: () => t, ...opts.limiter });
  const base = opts.baseMs ?? 40;
  const history: number[] = [];
  const changes: number[] = [];
  limiter.onChange((l) => changes.push(l));
  for (let step = 0; step < opts.seconds * 10; step++) {
    const inFlight = limiter.limit;
    const latency = base * Math.max(1, inFlight / opts.capacity);
    const answers = Math.max(1, Math.round((inFlight * 100) / latency));
    for (let i = 0; i < answers; i++) {
      t += 100 / answers;
      limiter.record(latency, opts.throttleAbove !== undefined && inFlight > opts.throttleAbove);
    }
    history.push(limiter.limit);
  }
  return { limiter, history, changes, last: history.slice(-100) };
}

describe('ConcurrencyLimit on a simulated API server', () => {
  it('rises while latency stays flat, up to its ceiling and never past it', () => {
    const { history, changes } = simulate({ capacity: 1_000, seconds: 60, limiter: { max: 32 } });
    expect(Math.max(...history)).toBe(32);
    expect(history.at(-1)).toBe(32);
    // it only ever went up
    expect(changes).toEqual([...changes].sort((a, b) => a - b));
    expect(changes[0]).toBeGreaterThan(4);
  });

  it('settles near the server capacity when latency rises with the load', () => {
    const { last, history } = simulate({ capacity: 8, seconds: 120 });
    expect(Math.max(...history)).toBeLessThanOrEqual(64);
    // around the capacity: latency reads as rising past 2 × 8 = 16 in flight (twice the best latency)
    expect(Math.min(...last)).toBeGreaterThanOrEqual(12);
    expect(Math.max(...last)).toBeLessThanOrEqual(21);
  });

  it('halves on a 429 and stays below the throttling point', () => {
    const { last, history } = simulate({ capacity: 1_000, throttleAbove: 10, seconds: 120 });
    expect(Math.max(...history)).toBeLessThanOrEqual(10 + 4); // one rise past 10 at most, then cut
    expect(Math.max(...last)).toBeLessThanOrEqual(14);
    expect(Math.min(...last)).toBeGreaterThanOrEqual(5);
  });

  it('never goes below its floor, however long the server throttles or slows down', () => {
    let t = 0;
    const limiter = new ConcurrencyLimit({ max: 16, initial: 16, now: () => t });
    for (let i = 0; i < 1_000; i++) {
      t += 100;
      limiter.record(50, true);
    }
    expect(limiter.limit).toBe(1);
    const slowing = new ConcurrencyLimit({ max: 16, initial: 16, now: () => t, minSamples: 1 });
    let latency = 10;
    const history: number[] = [];
    for (let i = 0; i < 300; i++) {
      t += 1_000;
      latency *= 2.5;
      slowing.record(latency, false);
      history.push(slowing.limit);
    }
    // at the floor, one window's latency is the new best: it grows to 2, and the next rise cuts it back
    expect(Math.min(...history)).toBe(1);
    expect(Math.max(...history.slice(100))).toBe(2);
  });

  it('rises through noise that does not grow with its load (a shared API server)', () => {
    let t = 0;
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const limiter = new ConcurrencyLimit({ max: 32, now: () => t });
    for (let i = 0; i < 3_000; i++) {
      t += 20;
      limiter.record(40 * (0.5 + random()), false); // 20 to 60 ms whatever the limit
    }
    expect(limiter.limit).toBe(32);
  });

  it('cuts once per window on a burst of 429s, not once per answer', () => {
    let t = 0;
    const limiter = new ConcurrencyLimit({ max: 64, initial: 32, now: () => t });
    for (let i = 0; i < 20; i++) limiter.record(50, true);
    expect(limiter.limit).toBe(16);
    t += 1_000;
    limiter.record(50, true);
    expect(limiter.limit).toBe(8);
  });

  it('falls when latency rises, by 10 % a window and at least by one', () => {
    let t = 0;
    const limiter = new ConcurrencyLimit({ max: 64, initial: 5, now: () => t, saturated: () => false });
    const windowOf = (ms: number) => {
      for (let i = 0; i < 10; i++) {
        t += 100;
        limiter.record(ms, false);
      }
    };
    windowOf(40);
    expect(limiter.limit).toBe(5);
    windowOf(100);
    expect(limiter.limit).toBe(4);
    windowOf(100);
    expect(limiter.limit).toBe(3);
  });

  it('does not rise when no work waits on it', () => {
    const { history } = simulate({ capacity: 1_000, seconds: 30, limiter: { saturated: () => false } });
    expect(new Set(history)).toEqual(new Set([4]));
  });

  it('takes a server that became slower for good as the new normal, and grows again', () => {
    let t = 0;
    let saturated = true;
    const limiter = new ConcurrencyLimit({ max: 64, initial: 8, now: () => t, saturated: () => saturated });
    const windowOf = (ms: number) => {
      for (let i = 0; i < 10; i++) {
        t += 100;
        limiter.record(ms, false);
      }
    };
    saturated = false;
    windowOf(20);
    saturated = true;
    const limits: number[] = [];
    for (let i = 0; i < 60; i++) {
      windowOf(100); // five times slower, whatever the load
      limits.push(limiter.limit);
    }
    expect(limits).toContain(1); // cut to the floor first: the limit cannot tell a slower server from an overloaded one
    expect(limits.at(-1)).toBeGreaterThan(8); // then the floor's latency is the new normal
    expect(limiter.bestLatencyMs).toBe(100);
  });

  it('refuses a ceiling below its floor, and clamps its start', () => {
    expect(() => new ConcurrencyLimit({ max: 0, now: () => 0 })).toThrow(/--max-concurrency must be an integer ≥ 1, got 0/);
    expect(new ConcurrencyLimit({ max: 2, now: () => 0 }).limit).toBe(2);
    expect(() => fixedConcurrency(0)).toThrow(/--concurrency/);
    expect(fixedConcurrency(3).limit).toBe(3);
  });
});

describe('kubeLatencySample', () => {
  it('keeps the short requests of reconciles, and marks 429, 503 and 504 as throttled', () => {
    expect(kubeLatencySample({ verb: 'patch', status: 200, durationMs: 12 })).toEqual({ latencyMs: 12, throttled: false });
    expect(kubeLatencySample({ verb: 'apply', status: 429, durationMs: 3 })).toEqual({ latencyMs: 3, throttled: true });
    expect(kubeLatencySample({ verb: 'create', status: 503, durationMs: 3 })?.throttled).toBe(true);
    expect(kubeLatencySample({ verb: 'get', status: 409, durationMs: 3 })?.throttled).toBe(false);
    expect(kubeLatencySample({ verb: 'list', status: 200, durationMs: 900 })).toBeUndefined();
    expect(kubeLatencySample({ verb: 'watch', status: 200, durationMs: 5 })).toBeUndefined();
    expect(kubeLatencySample({ verb: 'get', status: 0, durationMs: 30_000 })).toBeUndefined();
  });
});
