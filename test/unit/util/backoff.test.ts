import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../../src/util/backoff.ts';

const policy = { baseMs: 100, capMs: 1000, jitter: 0.5 };

describe('backoffDelayMs', () => {
  it('doubles per failure up to the cap when the draw takes nothing off', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, policy, () => 0))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('takes off at most `jitter` of the delay', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, policy, () => 1))).toEqual([50, 100, 200, 400, 500]);
    expect(backoffDelayMs(1, { ...policy, jitter: 0.2 }, () => 0.5)).toBe(90);
    expect(backoffDelayMs(1, { ...policy, jitter: 0 }, () => 0.9)).toBe(100);
  });

  it('stays finite and capped for very long failure runs, and treats n < 1 as the first failure', () => {
    expect(backoffDelayMs(10_000, policy, () => 0)).toBe(1000);
    expect(backoffDelayMs(0, policy, () => 0)).toBe(100);
  });

  it('clamps a jitter outside [0, 1]', () => {
    expect(backoffDelayMs(1, { ...policy, jitter: 3 }, () => 1)).toBe(0);
    expect(backoffDelayMs(1, { ...policy, jitter: -1 }, () => 1)).toBe(100);
  });
});
