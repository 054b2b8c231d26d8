import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../../src/chaman/errors.ts';
import { SlowStart } from '../../../src/chaman/slow-start.ts';
import type { Clock } from '../../../src/chaman/token-bucket.ts';
import { ChamanTraffic } from '../../../src/chaman/traffic.ts';

/** A clock whose sleeps end only when the test moves time on. */
function heldClock() {
  let t = 0;
  let sleepers: { at: number; wake: () => void }[] = [];
  const settle = () => new Promise<void>((r) => setImmediate(r));
  const clock: Clock = {
    now: () => t,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        sleepers.push({ at: t + ms, wake: resolve });
      }),
  };
  /** Moves time on in 10 ms steps, letting woken callers run between them. */
  const advance = async (ms: number) => {
    for (const end = t + ms; t < end; ) {
      t = Math.min(end, t + 10);
      const due = sleepers.filter((s) => s.at <= t);
      sleepers = sleepers.filter((s) => s.at > t);
      for (const s of due) s.wake();
      for (let i = 0; i < 5; i++) await settle();
    }
  };
  return { clock, advance, settle };
}

/** Starts `n` admissions at once; `admitted` lists the ones let through, in order. */
function callers(traffic: ChamanTraffic, n: number, signal?: AbortSignal) {
  const admitted: number[] = [];
  const errors: unknown[] = [];
  for (let i = 0; i < n; i++) {
    traffic.admit(`Chaman call ${i}`, signal).then(
      () => admitted.push(i),
      (e: unknown) => errors.push(e),
    );
  }
  return { admitted, errors };
}

describe('Chaman slow start', () => {
  it('sends one request until Chaman has answered one, then all of them', async () => {
    const { clock, advance } = heldClock();
    const traffic = new ChamanTraffic({ clock, slowStart: {} });
    const c = callers(traffic, 5);
    await advance(100);
    expect(c.admitted).toEqual([0]);
    await advance(5_000); // Chaman is slow to answer: still one
    expect(c.admitted).toEqual([0]);
    traffic.recordAnswer();
    await advance(100);
    expect(c.admitted).toHaveLength(5);
    expect(traffic.slowStart?.open).toBe(true);
  });

  it('during an outage at start, paces attempts one per interval from the first call, before and after the breaker opens', async () => {
    const { clock, advance } = heldClock();
    const traffic = new ChamanTraffic({ clock, slowStart: { intervalMs: 1_000 }, breaker: { failureThreshold: 3, probeIntervalMs: 1_000 } });
    const c = callers(traffic, 10);
    const sentAt: number[] = [];
    for (let second = 0; second < 10; second++) {
      await advance(10);
      while (sentAt.length < c.admitted.length) {
        sentAt.push(clock.now());
        traffic.recordFailure(); // a 503
      }
      await advance(990);
    }
    // one attempt a second at most, from the very first call of the process
    for (let i = 1; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 1]!).toBeGreaterThanOrEqual(1_000);
    expect(sentAt.length).toBeLessThanOrEqual(10);
    expect(traffic.breaker?.state).toBe('open');
    // a caller arriving now is refused at once, as without the slow start
    await expect(traffic.admit('late')).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('is shared by every credential: the government API sees one client starting', async () => {
    const { clock, advance } = heldClock();
    const shared = new ChamanTraffic({ clock, slowStart: {} });
    const a = callers(shared.forCredential(), 2);
    const b = callers(shared.forCredential(), 2);
    await advance(100);
    expect(a.admitted.length + b.admitted.length).toBe(1);
    shared.forCredential().recordAnswer();
    await advance(100);
    expect(a.admitted.length + b.admitted.length).toBe(4);
  });

  it('an attempt that never reports frees its turn after staleMs; one refused before sending frees it at once', async () => {
    const { clock, advance } = heldClock();
    const gate = new SlowStart({ clock, staleMs: 2_000 });
    expect(await gate.enter()).toBe(true);
    let second = false;
    void gate.enter().then(() => (second = true));
    await advance(1_900);
    expect(second).toBe(false);
    await advance(200);
    expect(second).toBe(true);
    gate.cancel();
    expect(await gate.enter()).toBe(true);
    gate.answered();
    expect(await gate.enter()).toBe(false);
  });

  it('a caller waiting for its turn leaves when its signal aborts', async () => {
    const { clock, advance } = heldClock();
    const traffic = new ChamanTraffic({ clock, slowStart: {} });
    await traffic.admit('first');
    const controller = new AbortController();
    const c = callers(traffic, 1, controller.signal);
    await advance(100);
    controller.abort(new Error('reconcile deadline'));
    await advance(100);
    expect(c.errors).toHaveLength(1);
    expect(c.admitted).toEqual([]);
  });

  it('is off unless asked for (tests and tools keep their concurrency from the first call)', async () => {
    const { clock, settle } = heldClock();
    const traffic = new ChamanTraffic({ clock });
    const c = callers(traffic, 3);
    await settle();
    expect(c.admitted).toHaveLength(3);
  });
});
