import { describe, expect, it } from 'vitest';
import { ManualClock, flushMicrotasks } from '../../../src/kube/clock.ts';
import { WorkQueue, objectKey, parseObjectKey, retryAfterHint, type WorkResult } from '../../../src/kube/work-queue.ts';

/** A handler whose runs the test completes one by one. */
function controlledHandler() {
  const runs: { key: string; resolve: (r?: WorkResult) => void; reject: (e: unknown) => void }[] = [];
  const started: string[] = [];
  const handler = (key: string) =>
    new Promise<WorkResult>((resolve, reject) => {
      started.push(key);
      runs.push({ key, resolve, reject });
    });
  const finish = async (key: string, r?: WorkResult) => {
    const i = runs.findIndex((x) => x.key === key);
    if (i < 0) throw new Error(`${key} is not running`);
    runs.splice(i, 1)[0]!.resolve(r);
    await flushMicrotasks();
  };
  const fail = async (key: string, e: unknown) => {
    const i = runs.findIndex((x) => x.key === key);
    if (i < 0) throw new Error(`${key} is not running`);
    runs.splice(i, 1)[0]!.reject(e);
    await flushMicrotasks();
  };
  return { handler, runs, started, finish, fail };
}

function setup(opts: { concurrency?: number; jitter?: number; random?: () => number; baseMs?: number; capMs?: number } = {}) {
  const clock = new ManualClock();
  const h = controlledHandler();
  const depths: number[] = [];
  const retries: [string, number][] = [];
  const q = new WorkQueue({
    name: 'test',
    handler: h.handler,
    concurrency: opts.concurrency ?? 2,
    clock,
    random: opts.random ?? (() => 0),
    backoff: { baseMs: opts.baseMs ?? 100, capMs: opts.capMs ?? 1_000, jitter: opts.jitter ?? 0 },
    hooks: { onDepth: (d) => depths.push(d), onRetry: (k, d) => retries.push([k, d]) },
  });
  return { clock, q, depths, retries, ...h };
}

describe('WorkQueue', () => {
  it('runs a key added twice while waiting once', async () => {
    const t = setup();
    t.q.add('ns/a');
    t.q.add('ns/a');
    t.q.add('ns/b');
    expect(t.q.depth).toBe(2);
    t.q.start();
    await flushMicrotasks();
    expect(t.started).toEqual(['ns/a', 'ns/b']);
    await t.finish('ns/a');
    await t.finish('ns/b');
    await t.q.onIdle();
    expect(t.started).toEqual(['ns/a', 'ns/b']);
  });

  it('does not start keys before start()', async () => {
    const t = setup();
    t.q.add('ns/a');
    await flushMicrotasks();
    expect(t.started).toEqual([]);
    t.q.start();
    await flushMicrotasks();
    expect(t.started).toEqual(['ns/a']);
  });

  it('never processes one key twice at once, and runs it once more when re-added while processing', async () => {
    const t = setup({ concurrency: 4 });
    t.q.start();
    t.q.add('ns/a');
    await flushMicrotasks();
    expect(t.q.isProcessing('ns/a')).toBe(true);
    t.q.add('ns/a');
    t.q.add('ns/a');
    t.q.add('ns/a');
    await flushMicrotasks();
    expect(t.started).toEqual(['ns/a']);
    expect(t.q.depth).toBe(1);
    await t.finish('ns/a');
    expect(t.started).toEqual(['ns/a', 'ns/a']);
    await t.finish('ns/a');
    await t.q.onIdle();
    expect(t.started).toEqual(['ns/a', 'ns/a']);
  });

  it('respects the concurrency limit', async () => {
    const t = setup({ concurrency: 2 });
    t.q.start();
    for (const k of ['a', 'b', 'c', 'd']) t.q.add(k);
    await flushMicrotasks();
    expect(t.started).toEqual(['a', 'b']);
    expect(t.q.processingCount).toBe(2);
    await t.finish('b');
    expect(t.started).toEqual(['a', 'b', 'c']);
    await t.finish('a');
    await t.finish('c');
    await t.finish('d');
    await t.q.onIdle();
  });

  it('reports depth through the hook', async () => {
    const t = setup();
    t.q.add('a');
    t.q.add('b');
    t.q.add('a');
    t.q.start();
    await flushMicrotasks();
    await t.finish('a');
    await t.finish('b');
    expect(t.depths).toEqual([1, 2, 1, 0]);
  });

  it('backs off exponentially per key, capped, and forgets on success', async () => {
    const t = setup({ baseMs: 100, capMs: 500 });
    t.q.start();
    t.q.add('a');
    await flushMicrotasks();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      await t.fail('a', new Error('boom'));
      expect(t.q.numRequeues('a')).toBe(i + 1);
      const at = t.q.scheduledAt('a')!;
      delays.push(at - t.clock.now());
      await t.clock.advance(at - t.clock.now() - 1);
      expect(t.runs).toHaveLength(0); // not a millisecond early
      await t.clock.advance(1);
      expect(t.runs.map((r) => r.key)).toEqual(['a']);
    }
    expect(delays).toEqual([100, 200, 400, 500, 500]);
    expect(t.retries.map(([, d]) => d)).toEqual(delays);
    await t.finish('a');
    expect(t.q.numRequeues('a')).toBe(0);
    t.q.add('a');
    await flushMicrotasks();
    await t.fail('a', new Error('again'));
    expect(t.q.scheduledAt('a')! - t.clock.now()).toBe(100);
  });

  it('keeps backoff per key: one failing key does not slow another', async () => {
    const t = setup();
    t.q.start();
    t.q.add('a');
    await flushMicrotasks();
    await t.fail('a', new Error('x'));
    await t.clock.advance(100);
    await t.fail('a', new Error('x'));
    t.q.add('b');
    await flushMicrotasks();
    await t.fail('b', new Error('x'));
    expect(t.q.numRequeues('a')).toBe(2);
    expect(t.q.numRequeues('b')).toBe(1);
    expect(t.q.scheduledAt('b')! - t.clock.now()).toBe(100);
  });

  it('jitters the delay within [d·(1−jitter), d]', () => {
    const lo = setup({ jitter: 0.5, random: () => 0.999999, baseMs: 1000, capMs: 60_000 });
    const hi = setup({ jitter: 0.5, random: () => 0, baseMs: 1000, capMs: 60_000 });
    expect(lo.q.backoffDelay(1)).toBe(500);
    expect(hi.q.backoffDelay(1)).toBe(1000);
    expect(hi.q.backoffDelay(3)).toBe(4000);
    expect(hi.q.backoffDelay(30)).toBe(60_000);
    const mid = setup({ jitter: 0.2, random: () => 0.5, baseMs: 1000 });
    expect(mid.q.backoffDelay(1)).toBe(900);
  });

  it("nextBackoff: the delay after a key's failures so far plus the current one, never below a hint", () => {
    const t = setup({ baseMs: 100, capMs: 10_000 });
    expect(t.q.nextBackoff('a')).toBe(100);
    t.q.addRateLimited('a');
    t.q.addRateLimited('a');
    expect(t.q.nextBackoff('a')).toBe(400);
    expect(t.q.nextBackoff('a', 5_000)).toBe(5_000);
    t.q.forget('a');
    expect(t.q.nextBackoff('a')).toBe(100);
  });

  it('honours a retryAfterMs hint from the error', async () => {
    const t = setup({ baseMs: 100 });
    t.q.start();
    t.q.add('a');
    await flushMicrotasks();
    await t.fail('a', Object.assign(new Error('429'), { retryAfterMs: 30_000 }));
    expect(t.q.scheduledAt('a')! - t.clock.now()).toBe(30_000);
    await t.clock.advance(29_999);
    expect(t.runs).toHaveLength(0);
    await t.clock.advance(1);
    expect(t.runs).toHaveLength(1);
    // A hint shorter than the backoff does not shorten it.
    await t.fail('a', Object.assign(new Error('503'), { retryAfterMs: 1 }));
    expect(t.q.scheduledAt('a')! - t.clock.now()).toBe(200);
  });

  it('requeues after success when the handler asks', async () => {
    const t = setup();
    t.q.start();
    t.q.add('a');
    await flushMicrotasks();
    await t.finish('a', { requeueAfterMs: 5_000 });
    expect(t.q.scheduledAt('a')! - t.clock.now()).toBe(5_000);
    await t.clock.advance(5_000);
    expect(t.started).toEqual(['a', 'a']);
  });

  it('a failure the handler handled itself (failed: true) counts for the backoff, and success forgets it', async () => {
    const t = setup();
    t.q.start();
    t.q.add('a');
    await flushMicrotasks();
    await t.finish('a', { requeueAfterMs: t.q.backoffDelay(t.q.numRequeues('a') + 1), failed: true });
    expect(t.q.numRequeues('a')).toBe(1);
    expect(t.q.scheduledAt('a')! - t.clock.now()).toBe(100);
    await t.clock.advance(100);
    await t.finish('a', { requeueAfterMs: t.q.backoffDelay(t.q.numRequeues('a') + 1), failed: true });
    expect(t.q.numRequeues('a')).toBe(2);
    expect(t.q.scheduledAt('a')! - t.clock.now()).toBe(200);
    await t.clock.advance(200);
    await t.finish('a');
    expect(t.q.numRequeues('a')).toBe(0);
  });

  it('addAfter beyond the 2^31 ms a Node timer holds fires at the right time (a certificate a year away)', async () => {
    const t = setup();
    t.q.start();
    const year = 365 * 86_400_000;
    t.q.addAfter('a', year);
    expect(t.clock.pendingTimers()).toBe(1);
    await t.clock.advance(year - 1);
    expect(t.started).toEqual([]);
    await t.clock.advance(1);
    expect(t.started).toEqual(['a']);
  });

  it('addAfter keeps only the earliest pending time per key, never duplicates', async () => {
    const t = setup();
    t.q.start();
    t.q.addAfter('a', 10_000);
    t.q.addAfter('a', 20_000); // later: ignored
    t.q.addAfter('a', 3_000); // earlier: replaces
    t.q.addAfter('a', 3_000); // same: ignored
    expect(t.q.scheduledCount).toBe(1);
    expect(t.q.scheduledAt('a')! - t.clock.now()).toBe(3_000);
    await t.clock.advance(2_999);
    expect(t.started).toEqual([]);
    await t.clock.advance(1);
    expect(t.started).toEqual(['a']);
    await t.finish('a');
    await t.clock.advance(60_000);
    expect(t.started).toEqual(['a']); // the superseded 10 s and 20 s entries never fire
    expect(t.clock.pendingTimers()).toBe(0);
  });

  it('does not lose a precise requeue when the key runs for another reason in between', async () => {
    const t = setup();
    t.q.start();
    t.q.addAfter('a', 86_400_000); // e.g. notAfter − window
    t.q.add('a'); // an event
    await flushMicrotasks();
    await t.finish('a');
    expect(t.q.scheduledAt('a')! - t.clock.now()).toBe(86_400_000);
    // the reconcile states the same requeue again: still one pending entry
    t.q.addAfter('a', 86_400_000 - 1);
    expect(t.q.scheduledCount).toBe(1);
    await t.clock.advance(86_400_000);
    expect(t.started).toEqual(['a', 'a']);
  });

  it('a delayed add that falls due while the key waits is de-duplicated', async () => {
    const t = setup();
    t.q.addAfter('a', 100);
    t.q.add('a');
    await t.clock.advance(100);
    t.q.start();
    await flushMicrotasks();
    await t.finish('a');
    await t.q.onIdle();
    expect(t.started).toEqual(['a']);
  });

  it('a delayed add that falls due while the key is processing runs once after', async () => {
    const t = setup();
    t.q.start();
    t.q.add('a');
    t.q.addAfter('a', 100);
    await flushMicrotasks();
    await t.clock.advance(100);
    expect(t.started).toEqual(['a']);
    await t.finish('a');
    expect(t.started).toEqual(['a', 'a']);
  });

  it('fires delayed keys in time order', async () => {
    const t = setup({ concurrency: 1 });
    t.q.start();
    t.q.addAfter('c', 300);
    t.q.addAfter('a', 100);
    t.q.addAfter('b', 200);
    await t.clock.advance(1_000);
    await t.finish('a');
    await t.finish('b');
    await t.finish('c');
    expect(t.started).toEqual(['a', 'b', 'c']);
  });

  it('shutdown with drain waits for in-flight items and drops waiting and delayed ones', async () => {
    const t = setup({ concurrency: 1 });
    t.q.start();
    t.q.add('a');
    t.q.add('b');
    t.q.addAfter('c', 100);
    await flushMicrotasks();
    let finished = false;
    const stopped = t.q.shutdown({ drain: true }).then(() => (finished = true));
    await flushMicrotasks();
    expect(finished).toBe(false);
    t.q.add('d'); // ignored after shutdown
    await t.finish('a');
    await stopped;
    expect(finished).toBe(true);
    await t.clock.advance(1_000);
    expect(t.started).toEqual(['a']);
    expect(t.q.depth).toBe(0);
    expect(t.clock.pendingTimers()).toBe(0);
  });

  it('shutdown does not schedule retries for items failing while draining', async () => {
    const t = setup();
    t.q.start();
    t.q.add('a');
    await flushMicrotasks();
    const stopped = t.q.shutdown();
    await t.fail('a', new Error('x'));
    await stopped;
    expect(t.q.scheduledCount).toBe(0);
    expect(t.clock.pendingTimers()).toBe(0);
  });

  it('shutdown with a timeout gives up waiting', async () => {
    const t = setup();
    t.q.start();
    t.q.add('a');
    await flushMicrotasks();
    let finished = false;
    const stopped = t.q.shutdown({ timeoutMs: 1_000 }).then(() => (finished = true));
    await t.clock.advance(999);
    expect(finished).toBe(false);
    await t.clock.advance(1);
    await stopped;
    expect(finished).toBe(true);
  });

  it('shutdown without drain returns at once', async () => {
    const t = setup();
    t.q.start();
    t.q.add('a');
    await flushMicrotasks();
    await t.q.shutdown({ drain: false });
    expect(t.q.isProcessing('a')).toBe(true);
  });

  it('works with the system clock and real concurrency', async () => {
    let active = 0;
    let maxActive = 0;
    const perKey = new Map<string, number>();
    const q = new WorkQueue({
      name: 'real',
      concurrency: 8,
      handler: async (key) => {
        active++;
        maxActive = Math.max(maxActive, active);
        perKey.set(key, (perKey.get(key) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 1));
        active--;
      },
    });
    for (let i = 0; i < 200; i++) q.add(`k${i % 50}`);
    q.start();
    await q.onIdle();
    expect(perKey.size).toBe(50);
    expect([...perKey.values()].every((n) => n === 1)).toBe(true);
    expect(maxActive).toBeLessThanOrEqual(8);
    await q.shutdown();
  });

  it('rejects a bad concurrency', () => {
    expect(() => new WorkQueue({ name: 'x', handler: async () => {}, concurrency: 0 })).toThrow(/concurrency/);
  });
});

describe('keys', () => {
  it('builds and parses namespace/name keys with an optional kind', () => {
    expect(objectKey('ns', 'a')).toBe('ns/a');
    expect(objectKey('ns', 'a', 'ChannelAccount')).toBe('ChannelAccount:ns/a');
    expect(parseObjectKey('ChannelAccount:ns/a')).toEqual({ kind: 'ChannelAccount', namespace: 'ns', name: 'a' });
    expect(parseObjectKey('ns/a')).toEqual({ kind: undefined, namespace: 'ns', name: 'a' });
    expect(parseObjectKey('cluster-scoped')).toEqual({ kind: undefined, name: 'cluster-scoped' });
  });
  it('reads retryAfterMs hints', () => {
    expect(retryAfterHint({ retryAfterMs: 5 })).toBe(5);
    expect(retryAfterHint(new Error('x'))).toBeUndefined();
    expect(retryAfterHint({ retryAfterMs: -1 })).toBeUndefined();
    expect(retryAfterHint(null)).toBeUndefined();
  });
});
