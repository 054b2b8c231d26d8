// withSignal: the caller's AbortSignal reaches undici and every wait of the client, so a reconcile
// deadline bounds the time spent on Chaman (issue 9 item 4). Against the emulator over HTTP.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/chaman/errors.ts';
import { freshSender, startContractEnv } from './env.ts';
import type { ContractEnv } from './env.ts';

let env: ContractEnv;
beforeAll(async () => {
  env = await startContractEnv();
});
afterEach(() => {
  env.emulator.setFaults({ latencyMs: 0, errorRate: 0, rate429: 0, retryAfterSeconds: 1 });
});
afterAll(async () => {
  await env.stop();
});

/** API requests the emulator has seen so far whose path contains `part` (a request of an earlier test may still be finishing). */
const seen = (part: string): number => env.emulator.requests().recent.filter((r) => r.path.includes(part)).length;

async function timed<T>(work: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - started };
}

describe('withSignal', () => {
  it('aborts a request in flight: the signal reaches undici', async () => {
    env.emulator.setFaults({ latencyMs: 3000 });
    const { error, ms } = await timed(env.client().withSignal(AbortSignal.timeout(150)).listAccounts(freshSender()));
    expect(error).toBeInstanceOf(AbortedError);
    expect(error).toMatchObject({ code: 'ABORTED', retryable: false });
    expect((error as Error).message).toMatch(/listAccounts .*deadline passed/);
    expect(ms).toBeLessThan(1000);
  });

  it('stops retrying at once: the backoff wait ends on abort and no attempt follows', async () => {
    env.emulator.setFaults({ errorRate: 1 });
    const client = env.client({ retry: { maxAttempts: 10, baseDelayMs: 5000, maxDelayMs: 5000 } });
    const sender = freshSender();
    const { error, ms } = await timed(client.withSignal(AbortSignal.timeout(300)).listAccounts(sender));
    expect(error).toBeInstanceOf(AbortedError);
    expect(ms).toBeLessThan(1500);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen(sender)).toBe(1);
  });

  it('a Retry-After wait ends on abort', async () => {
    env.emulator.setFaults({ rate429: 1, retryAfterSeconds: 20 });
    const sender = freshSender();
    const { error, ms } = await timed(env.client().withSignal(AbortSignal.timeout(300)).getSender(sender));
    expect(error).toBeInstanceOf(AbortedError);
    expect(ms).toBeLessThan(1500);
    expect(seen(sender)).toBe(1);
  });

  it('a wait for a rate-limit token ends on abort, and sends nothing', async () => {
    const client = env.client({ rateLimit: { ratePerSecond: 0.2, burst: 1 } });
    const sender = freshSender();
    await client.getSender(sender);
    const { error, ms } = await timed(client.withSignal(AbortSignal.timeout(200)).getSender(sender));
    expect(error).toBeInstanceOf(AbortedError);
    expect(ms).toBeLessThan(1000);
    expect(seen(sender)).toBe(1);
  });

  it('an aborted signal sends nothing; the reason names a cancellation', async () => {
    const controller = new AbortController();
    controller.abort();
    const sender = freshSender();
    const { error } = await timed(env.client().withSignal(controller.signal).getSender(sender));
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as Error).message).toMatch(/cancelled/);
    expect(seen(sender)).toBe(0);
  });

  it('a view of a view obeys both signals', async () => {
    env.emulator.setFaults({ latencyMs: 3000 });
    const outer = new AbortController();
    const view = env.client().withSignal(AbortSignal.timeout(60_000)).withSignal(outer.signal);
    setTimeout(() => outer.abort(), 100);
    const { error, ms } = await timed(view.listAccounts(freshSender()));
    expect(error).toBeInstanceOf(AbortedError);
    expect(ms).toBeLessThan(1000);
  });

  it('views share the client: it works after a view aborted, and closing a view closes nothing', async () => {
    const client = env.client();
    const controller = new AbortController();
    const view = client.withSignal(controller.signal);
    expect(await view.listPermissions('FTP')).toHaveLength(1);
    controller.abort();
    await expect(view.listPermissions('FTP')).rejects.toBeInstanceOf(AbortedError);
    await view.close();
    expect(await client.listPermissions('FTP')).toHaveLength(1);
    expect(await client.withSignal(new AbortController().signal).listPermissions('FTP')).toHaveLength(1);
  });
});
