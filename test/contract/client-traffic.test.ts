// What the whole operator's Chaman traffic looks like, counted by the emulator (its request log):
// - during a total outage, the circuit breaker turns every worker's retries into one probe per
//   second, and traffic flows again as soon as a probe gets an answer (issue 9 item 13);
// - clients built by one clientFactory, whatever their credentials, share one rate limit (issue 10 item 6).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChamanError } from '../../src/chaman/errors.ts';
import type { ChamanClient } from '../../src/chaman/types.ts';
import { clientFactory } from '../../src/controller/chaman-clients.ts';
import { RESTRICTED_SENDER, freshSender, startContractEnv } from './env.ts';
import type { ContractEnv } from './env.ts';

let env: ContractEnv;
beforeAll(async () => {
  env = await startContractEnv({ requestLogSize: 10_000 });
});
afterEach(() => {
  env.emulator.setFaults({ errorRate: 0 });
});
afterAll(async () => {
  await env.stop();
});

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `workers` loops calling Chaman for `ms`, pausing 50 ms after a failure (a busy work queue); returns the error codes. */
async function hammer(client: ChamanClient, sender: string, workers: number, ms: number): Promise<string[]> {
  const codes: string[] = [];
  const until = performance.now() + ms;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < until) {
        try {
          await client.listAccounts(sender);
        } catch (error) {
          codes.push((error as ChamanError).code);
          await pause(50);
        }
      }
    }),
  );
  return codes;
}

/** Requests the emulator saw for `sender` (after `since`). */
const requestsFor = (sender: string, since = 0): number => env.emulator.requests(since).recent.filter((r) => r.path.includes(`/senders/${sender}/`)).length;

describe('circuit breaker', () => {
  it('a 3 s total outage draws ≤ 1 probe per second once the breaker opens; a probe that succeeds lets traffic flow at once', async () => {
    const sender = freshSender();
    const client = env.client({ retry: { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 100 } });
    env.emulator.setFaults({ errorRate: 1 });
    const codes = await hammer(client, sender, 10, 3000);
    const during = requestsFor(sender);
    // 5 failures open it, a few more were already on the wire (at most one per worker), then 1 probe per second.
    expect(during).toBeGreaterThanOrEqual(5);
    expect(during).toBeLessThanOrEqual(5 + 10 + 3);
    expect(codes).toContain('CIRCUIT_OPEN');

    env.emulator.setFaults({ errorRate: 0 });
    const recovered = performance.now();
    for (;;) {
      try {
        await client.listAccounts(sender);
        break;
      } catch (error) {
        expect((error as ChamanError).code).toBe('CIRCUIT_OPEN');
        await pause(Math.min(200, (error as { retryAfterMs?: number }).retryAfterMs ?? 50));
      }
    }
    // the next probe is at most 1 s away
    expect(performance.now() - recovered).toBeLessThan(1500);
    const after = await Promise.all(Array.from({ length: 20 }, () => client.listAccounts(sender)));
    expect(after).toHaveLength(20);
  });

  it('without the breaker, the same outage draws far more traffic (what the breaker saves)', async () => {
    const sender = freshSender();
    const client = env.client({ retry: { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 100 }, breaker: false });
    env.emulator.setFaults({ errorRate: 1 });
    const codes = await hammer(client, sender, 10, 3000);
    expect(codes).not.toContain('CIRCUIT_OPEN');
    expect(requestsFor(sender)).toBeGreaterThan(100);
  });
});

describe('one rate limit for the whole operator', () => {
  /** The most requests for these senders the emulator answered within any 1 s window. */
  function busiestSecond(senders: string[], since: number): { total: number; peak: number } {
    const times = env.emulator
      .requests(since)
      .recent.filter((r) => senders.some((s) => r.path.includes(`/senders/${s}/`)))
      .map((r) => Date.parse(r.at))
      .sort((a, b) => a - b);
    let peak = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      peak = Math.max(peak, i - j + 1);
    }
    return { total: times.length, peak };
  }

  async function burst(a: ChamanClient, b: ChamanClient, sender: string): Promise<void> {
    await Promise.all([
      ...Array.from({ length: 20 }, () => a.listAccounts(sender)),
      ...Array.from({ length: 20 }, () => b.listAccounts(RESTRICTED_SENDER)),
    ]);
  }

  const options = () => ({ baseUrl: env.url, rateLimit: { ratePerSecond: 10, burst: 1 }, breaker: false as const });

  it('two clients with different tokens from one clientFactory never exceed the rate together', async () => {
    const factory = clientFactory(options());
    const a = factory({ kind: 'token', token: env.token });
    const b = factory({ kind: 'token', token: env.restrictedToken });
    const sender = freshSender();
    const since = env.emulator.requests().recent.at(-1)?.seq ?? 0;
    await burst(a, b, sender);
    const { total, peak } = busiestSecond([sender, RESTRICTED_SENDER], since);
    expect(total).toBe(40);
    // 10 per second and a burst of 1; a little slack for answers bunching up on a busy machine
    expect(peak).toBeLessThanOrEqual(12);
    await Promise.all([a.close(), b.close()]);
  });

  it('clients from two factories do not share it (what one factory per operator prevents)', async () => {
    const a = clientFactory(options())({ kind: 'token', token: env.token });
    const b = clientFactory(options())({ kind: 'token', token: env.restrictedToken });
    const sender = freshSender();
    const since = env.emulator.requests().recent.at(-1)?.seq ?? 0;
    await burst(a, b, sender);
    expect(busiestSecond([sender, RESTRICTED_SENDER], since).peak).toBeGreaterThanOrEqual(16);
    await Promise.all([a.close(), b.close()]);
  });
});
