import { describe, expect, it } from 'vitest';
import { parseCredential, parseEmulatorArgs } from '../../../src/emulator/cli.ts';
import { NO_FAULTS, decideFault, mergeFaults } from '../../../src/emulator/faults.ts';

describe('faults', () => {
  it('validates updates', () => {
    expect(mergeFaults(NO_FAULTS, { errorRate: 0.5, latencyMs: 10 }).faults).toMatchObject({ errorRate: 0.5, latencyMs: 10, rate429: 0 });
    expect(mergeFaults(NO_FAULTS, { errorRate: 2 }).errors[0]?.field).toBe('errorRate');
    expect(mergeFaults(NO_FAULTS, { bogus: 1 }).errors[0]?.field).toBe('bogus');
    expect(mergeFaults(NO_FAULTS, [1]).faults).toBeUndefined();
  });

  it('dropAfterCommitRate is a rate, and its former name dropResponseRate still sets it', () => {
    expect(mergeFaults(NO_FAULTS, { dropAfterCommitRate: 0.05 }).faults?.dropAfterCommitRate).toBe(0.05);
    expect(mergeFaults(NO_FAULTS, { dropAfterCommitRate: 1.5 }).errors[0]?.field).toBe('dropAfterCommitRate');
    expect(mergeFaults(NO_FAULTS, { dropResponseRate: 0.2 }).faults?.dropAfterCommitRate).toBe(0.2);
  });

  it('decides in a fixed order so rates add up', () => {
    const faults = { ...NO_FAULTS, dropRate: 0.1, rate429: 0.2, errorRate: 0.3, dropAfterCommitRate: 0.1 };
    expect(decideFault(faults, () => 0.05)).toBe('drop');
    expect(decideFault(faults, () => 0.15)).toBe('rateLimit');
    expect(decideFault(faults, () => 0.45)).toBe('error');
    expect(decideFault(faults, () => 0.65)).toBe('dropAfterCommit');
    expect(decideFault(faults, () => 0.75)).toBe('none');
    expect(decideFault(NO_FAULTS, () => 0)).toBe('none');
  });
});

describe('emulator command line', () => {
  it('parses NAME:SENDERS', () => {
    expect(parseCredential('dev:*', '--token')).toEqual(['dev', '*']);
    expect(parseCredential('ci:300010,300011', '--token')).toEqual(['ci', ['300010', '300011']]);
    expect(() => parseCredential('dev', '--token')).toThrow(/NAME:SENDERS/);
    expect(() => parseCredential('dev:abc', '--token')).toThrow(/digits/);
  });

  it('parses the flags of issue 4', () => {
    const options = parseEmulatorArgs(['--port', '18443', '--data-dir', '/tmp/emu', '--token', 'dev:*', '--error-rate', '0.1', '--latency-ms', '5']);
    expect(options).toMatchObject({ port: 18443, host: '127.0.0.1', dataDir: '/tmp/emu', tokens: { dev: '*' }, faults: { errorRate: 0.1, latencyMs: 5 } });
  });

  it('parses --drop-after-commit-rate like the other rates', () => {
    const options = parseEmulatorArgs(['--port', '0', '--data-dir', 'd', '--token', 'dev:*', '--drop-after-commit-rate', '0.05']);
    expect(options.faults).toEqual({ dropAfterCommitRate: 0.05 });
    expect(() => parseEmulatorArgs(['--port', '0', '--data-dir', 'd', '--token', 'dev:*', '--drop-after-commit-rate', '2'])).toThrow(/--drop-after-commit-rate expects a number between 0 and 1/);
  });

  it('reads tokens from a file, so they stay out of the process list', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const file = join(mkdtempSync(join(tmpdir(), 'tokens-')), 'tokens');
    writeFileSync(file, '# comment\nsecret-a:*\n\nsecret-b:300010,300011\n');
    expect(parseEmulatorArgs(['--port', '0', '--data-dir', 'd', '--token-file', file]).tokens).toEqual({ 'secret-a': '*', 'secret-b': ['300010', '300011'] });
  });

  it('refuses plain HTTP on a non-loopback address, and a missing credential', () => {
    expect(() => parseEmulatorArgs(['--port', '1', '--data-dir', 'd', '--token', 'a:*', '--host', '0.0.0.0'])).toThrow(/loopback/);
    expect(() => parseEmulatorArgs(['--port', '1', '--data-dir', 'd'])).toThrow(/credential/);
    expect(() => parseEmulatorArgs(['--port', '1', '--data-dir', 'd', '--client', 'cn:*'])).toThrow(/client-ca/);
  });
});
