import { describe, expect, it } from 'vitest';
import { CircuitBreaker, MAX_RETRY_AFTER_HINT_MS } from '../../../src/chaman/circuit-breaker.ts';
import type { CircuitBreakerOptions, CircuitState } from '../../../src/chaman/circuit-breaker.ts';

function setup(options: CircuitBreakerOptions = {}) {
  let now = 10_000;
  const changes: CircuitState[] = [];
  const breaker = new CircuitBreaker({ failureThreshold: 3, probeIntervalMs: 1000, onStateChange: (s) => changes.push(s), ...options }, () => now);
  return {
    breaker,
    changes,
    advance(ms: number) {
      now += ms;
    },
    fail(n: number, retryAfterMs?: number) {
      for (let i = 0; i < n; i++) breaker.recordFailure(retryAfterMs);
    },
  };
}

describe('CircuitBreaker', () => {
  it('starts closed and admits everything', () => {
    const t = setup();
    expect(t.breaker.state).toBe('closed');
    for (let i = 0; i < 100; i++) expect(t.breaker.admit()).toEqual({ admitted: true, probe: false });
    expect(t.breaker.waitMs()).toBe(0);
  });

  it('stays closed below the threshold, and a success resets the count', () => {
    const t = setup();
    t.fail(2);
    expect(t.breaker.state).toBe('closed');
    t.breaker.recordSuccess();
    expect(t.breaker.consecutiveFailures).toBe(0);
    t.fail(2);
    expect(t.breaker.state).toBe('closed');
    expect(t.changes).toEqual([]);
  });

  it('opens after `failureThreshold` failures in a row and refuses with the time to the next probe', () => {
    const t = setup();
    t.fail(3);
    expect(t.breaker.state).toBe('open');
    expect(t.changes).toEqual(['open']);
    expect(t.breaker.admit()).toEqual({ admitted: false, retryAfterMs: 1000 });
    t.advance(400);
    expect(t.breaker.waitMs()).toBe(600);
    expect(t.breaker.admit()).toEqual({ admitted: false, retryAfterMs: 600 });
  });

  it('admits one probe per interval while open, however many ask', () => {
    const t = setup();
    t.fail(3);
    let probes = 0;
    // 10 s of requests every 10 ms, with every probe failing: one probe per second, the first 1 s
    // after opening (at 1, 2, ... 9 s).
    for (let ms = 0; ms < 10_000; ms += 10) {
      const admission = t.breaker.admit();
      if (admission.admitted) {
        expect(admission.probe).toBe(true);
        probes++;
        t.breaker.recordFailure();
      }
      t.advance(10);
    }
    expect(probes).toBe(9);
    expect(t.breaker.state).toBe('open');
  });

  it('a probe that never reports does not wedge it: the next interval has its own probe', () => {
    const t = setup();
    t.fail(3);
    t.advance(1000);
    expect(t.breaker.admit()).toEqual({ admitted: true, probe: true });
    expect(t.breaker.admit().admitted).toBe(false);
    t.advance(1000);
    expect(t.breaker.admit()).toEqual({ admitted: true, probe: true });
  });

  it('closes when a probe succeeds; traffic then flows and failures count from zero', () => {
    const t = setup();
    t.fail(3);
    t.advance(1000);
    expect(t.breaker.admit()).toEqual({ admitted: true, probe: true });
    t.breaker.recordSuccess();
    expect(t.breaker.state).toBe('closed');
    expect(t.changes).toEqual(['open', 'closed']);
    expect(t.breaker.admit()).toEqual({ admitted: true, probe: false });
    t.fail(2);
    expect(t.breaker.state).toBe('closed');
    t.fail(1);
    expect(t.breaker.state).toBe('open');
  });

  it('a success of a request sent before it opened also closes it (Chaman answered)', () => {
    const t = setup();
    t.fail(3);
    t.breaker.recordSuccess();
    expect(t.breaker.state).toBe('closed');
  });

  it('Retry-After pushes the next probe back, when opening and while open', () => {
    const t = setup();
    t.fail(2);
    t.breaker.recordFailure(5000);
    expect(t.breaker.waitMs()).toBe(5000);
    t.advance(5000);
    expect(t.breaker.admit().admitted).toBe(true);
    t.breaker.recordFailure(3000);
    expect(t.breaker.waitMs()).toBe(3000);
    // a shorter hint never brings the probe forward
    t.breaker.recordFailure(10);
    expect(t.breaker.waitMs()).toBe(3000);
  });

  it('a Retry-After below the interval keeps the interval', () => {
    const t = setup();
    t.fail(3, 200);
    expect(t.breaker.waitMs()).toBe(1000);
  });

  it('defaults to 5 failures and 1 probe per second', () => {
    const breaker = new CircuitBreaker();
    expect([breaker.failureThreshold, breaker.probeIntervalMs]).toEqual([5, 1000]);
  });

  it('refuses nonsense settings', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(/failureThreshold/);
    expect(() => new CircuitBreaker({ failureThreshold: 1.5 })).toThrow(/failureThreshold/);
    expect(() => new CircuitBreaker({ probeIntervalMs: 0 })).toThrow(/probeIntervalMs/);
  });

  it('an observer that throws breaks nothing', () => {
    const t = setup({
      onStateChange: () => {
        throw new Error('observer');
      },
    });
    t.fail(3);
    expect(t.breaker.state).toBe('open');
  });
});

describe('CircuitBreaker: the Retry-After hint is capped (issue 16 item 5)', () => {
  const YEAR_MS = 365 * 86_400_000;

  it('five 429s asking for a year keep it open for at most MAX_RETRY_AFTER_HINT_MS (5 minutes), then it probes', () => {
    const t = setup({ failureThreshold: 5 });
    t.fail(5, YEAR_MS);
    expect(t.breaker.state).toBe('open');
    expect(MAX_RETRY_AFTER_HINT_MS).toBe(300_000);
    expect(t.breaker.waitMs()).toBe(MAX_RETRY_AFTER_HINT_MS);
    t.advance(MAX_RETRY_AFTER_HINT_MS - 1);
    expect(t.breaker.admit().admitted).toBe(false);
    t.advance(1);
    expect(t.breaker.admit()).toEqual({ admitted: true, probe: true });
  });

  it('a failed probe asking for a year again pushes the next probe by the cap, not by a year', () => {
    const t = setup({ failureThreshold: 1 });
    t.fail(1, YEAR_MS);
    t.advance(MAX_RETRY_AFTER_HINT_MS);
    expect(t.breaker.admit().admitted).toBe(true);
    t.fail(1, YEAR_MS);
    expect(t.breaker.waitMs()).toBe(MAX_RETRY_AFTER_HINT_MS);
  });

  it('the cap is an option', () => {
    const t = setup({ failureThreshold: 1, maxRetryAfterHintMs: 10_000 });
    t.fail(1, YEAR_MS);
    expect(t.breaker.waitMs()).toBe(10_000);
    expect(() => new CircuitBreaker({ maxRetryAfterHintMs: 0 })).toThrow(/maxRetryAfterHintMs/);
  });
});
