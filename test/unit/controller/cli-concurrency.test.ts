// `chaman-operator run --concurrency / --max-concurrency` (issue 19 item 1).
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../src/controller/cli.ts';

describe('--concurrency and --max-concurrency', () => {
  it('adapts by default, up to a ceiling of 32', () => {
    const config = readConfig([], {});
    expect(config.concurrency).toBeUndefined();
    expect(config.maxConcurrency).toBe(32);
  });

  it('--concurrency N fixes the limit; --max-concurrency moves the ceiling (flags or environment)', () => {
    expect(readConfig(['--concurrency', '4'], {}).concurrency).toBe(4);
    expect(readConfig([], { CHAMAN_CONCURRENCY: '6' }).concurrency).toBe(6);
    expect(readConfig(['--max-concurrency', '8'], {}).maxConcurrency).toBe(8);
    expect(readConfig([], { CHAMAN_MAX_CONCURRENCY: '12' }).maxConcurrency).toBe(12);
  });

  it('refuses what is not a whole number ≥ 1, naming the flag', () => {
    expect(() => readConfig(['--concurrency', '2.5'], {})).toThrow('--concurrency must be a whole number ≥ 1, not "2.5"');
    expect(() => readConfig(['--max-concurrency', '0'], {})).toThrow('--max-concurrency must be a whole number ≥ 1, not "0"');
  });
});
