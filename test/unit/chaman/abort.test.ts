import { describe, expect, it } from 'vitest';
import { sleep, unlessAborted } from '../../../src/chaman/abort.ts';
import { systemClock } from '../../../src/chaman/token-bucket.ts';

describe('unlessAborted', () => {
  it('settles as the work does when nothing aborts', async () => {
    await expect(unlessAborted(Promise.resolve(1), new AbortController().signal)).resolves.toBe(1);
    await expect(unlessAborted(Promise.reject(new Error('no')), undefined)).rejects.toThrow('no');
  });

  it('rejects with the reason as soon as the signal aborts, before the work settles', async () => {
    const controller = new AbortController();
    const never = new Promise<void>(() => undefined);
    const pending = unlessAborted(never, controller.signal);
    controller.abort(new Error('deadline'));
    await expect(pending).rejects.toThrow('deadline');
  });

  it('rejects at once for a signal already aborted', async () => {
    await expect(unlessAborted(Promise.resolve(1), AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });
});

describe('sleep', () => {
  it('ends a long system-clock sleep when the signal aborts', async () => {
    const started = performance.now();
    await expect(sleep(systemClock, 60_000, AbortSignal.timeout(50))).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('ends a sleep of a clock that ignores signals', async () => {
    const deaf = { now: () => 0, sleep: () => new Promise<void>(() => undefined) };
    const controller = new AbortController();
    const pending = sleep(deaf, 1000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});
