import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../../src/chaman/errors.ts';
import type { Clock } from '../../../src/chaman/token-bucket.ts';
import { ChamanTraffic } from '../../../src/chaman/traffic.ts';

/** A manual clock: sleeping advances time, so waits are exact and instant. */
function manualClock(): Clock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

describe('ChamanTraffic', () => {
  it('admits at the rate limit while Chaman answers', async () => {
    const clock = manualClock();
    const traffic = new ChamanTraffic({ rateLimit: { ratePerSecond: 2, burst: 1 }, clock });
    for (let i = 0; i < 5; i++) {
      await traffic.admit('Chaman x');
      traffic.recordAnswer();
    }
    expect(clock.t).toBe(2000);
  });

  it('an open circuit refuses at once, without waiting for a token, and names the call and the wait', async () => {
    const clock = manualClock();
    const traffic = new ChamanTraffic({ rateLimit: { ratePerSecond: 0.001, burst: 1 }, breaker: { failureThreshold: 2 }, clock });
    traffic.recordFailure();
    traffic.recordFailure();
    const error = await traffic.admit('Chaman listAccounts (sender 300010)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ code: 'CIRCUIT_OPEN', status: 503, retryable: true, retryAfterMs: 1000 });
    expect((error as Error).message).toMatch(/^Chaman listAccounts \(sender 300010\): not sent/);
    expect(clock.t).toBe(0);
  });

  it('lets the probe through after the interval, and everything once it is answered', async () => {
    const clock = manualClock();
    const traffic = new ChamanTraffic({ breaker: { failureThreshold: 1, probeIntervalMs: 1000 }, clock });
    traffic.recordFailure();
    clock.t += 1000;
    await traffic.admit('probe');
    await expect(traffic.admit('second')).rejects.toBeInstanceOf(CircuitOpenError);
    traffic.recordAnswer();
    await traffic.admit('third');
    await traffic.admit('fourth');
  });

  it('with breaker: false, failures never refuse anything', async () => {
    const traffic = new ChamanTraffic({ breaker: false });
    for (let i = 0; i < 100; i++) traffic.recordFailure();
    await traffic.admit('x');
    expect(traffic.breaker).toBeUndefined();
  });

  it('an aborted signal is refused before anything else', async () => {
    const controller = new AbortController();
    controller.abort(new Error('deadline'));
    await expect(new ChamanTraffic().admit('x', controller.signal)).rejects.toThrow('deadline');
  });
});

describe('ChamanTraffic per credential (issue 16 item 5)', () => {
  const YEAR_MS = 365 * 86_400_000;

  it("five 429s asking for a year on credential A do not stop credential B's calls; A probes again within the 5-minute cap", async () => {
    const clock = manualClock();
    const shared = new ChamanTraffic({ rateLimit: { ratePerSecond: 100, burst: 10 }, clock });
    const a = shared.forCredential();
    const b = shared.forCredential();
    for (let i = 0; i < 5; i++) {
      await a.admit('Chaman listAccounts (sender 300010)');
      a.recordFailure(YEAR_MS);
    }
    const refused = await a.admit('Chaman listAccounts (sender 300010)').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect((refused as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(300_000);
    await b.admit('Chaman listAccounts (sender 399999)');
    b.recordAnswer();
    clock.t += 300_000;
    await a.admit('probe');
  });

  it('every credential takes its tokens from the one bucket (Chaman sees one client)', async () => {
    const clock = manualClock();
    const shared = new ChamanTraffic({ rateLimit: { ratePerSecond: 2, burst: 1 }, clock });
    const a = shared.forCredential();
    const b = shared.forCredential();
    expect(a.bucket).toBe(shared.bucket);
    expect(b.bucket).toBe(shared.bucket);
    expect(a.breaker).not.toBe(b.breaker);
    for (let i = 0; i < 4; i++) await (i % 2 ? a : b).admit('x');
    expect(clock.t).toBe(1500);
  });
});
