import { describe, expect, it } from 'vitest';
import { KeyedMutex } from '../../../src/emulator/keyed-mutex.ts';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('KeyedMutex', () => {
  it('runs work for one key one at a time, in arrival order, across awaits', async () => {
    const mutex = new KeyedMutex();
    const trace: string[] = [];
    const step = (name: string) => async () => {
      trace.push(`${name}:start`);
      await tick();
      await tick();
      trace.push(`${name}:end`);
      return name;
    };
    const results = await Promise.all([mutex.run('s1', step('a')), mutex.run('s1', step('b')), mutex.run('s1', step('c'))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(trace).toEqual(['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end']);
  });

  it('lets different keys run at the same time', async () => {
    const mutex = new KeyedMutex();
    let release!: () => void;
    const blocked = mutex.run('s1', () => new Promise<void>((resolve) => (release = resolve)));
    const other = await mutex.run('s2', async () => 'done while s1 is busy');
    expect(other).toBe('done while s1 is busy');
    release();
    await blocked;
  });

  it('a failed piece of work rejects its caller only; the next one still runs', async () => {
    const mutex = new KeyedMutex();
    const failed = mutex.run('s1', async () => {
      throw new Error('409');
    });
    const next = mutex.run('s1', async () => 'next');
    await expect(failed).rejects.toThrow('409');
    await expect(next).resolves.toBe('next');
  });

  it('forgets a key once its work is done', async () => {
    const mutex = new KeyedMutex();
    await Promise.all([mutex.run('s1', async () => 1), mutex.run('s2', async () => 2)]);
    await tick();
    expect(mutex.busyKeys).toBe(0);
  });
});
