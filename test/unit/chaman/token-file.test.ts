// The operator's bearer token comes from a file that the kubelet rotates in place: a Secret volume
// swaps the `..data` symlink to a new directory. The client must use the new token from its next
// request on (issue 16 item 8), and a file caught mid-change must not blank the token.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tokenFromFile } from '../../../src/chaman/token-file.ts';

/** A directory laid out as a Secret volume: token -> ..data/token, ..data -> ..<version>. */
function secretVolume() {
  const dir = mkdtempSync(join(tmpdir(), 'token-volume-'));
  let version = 0;
  const publish = (token: string) => {
    version++;
    const versionDir = join(dir, `..2026_12_07_${version}`);
    mkdirSync(versionDir);
    writeFileSync(join(versionDir, 'token'), `${token}\n`);
    symlinkSync(`..2026_12_07_${version}`, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data')); // the atomic swap the kubelet does
  };
  return { dir, file: join(dir, 'token'), publish, init: (token: string) => (publish(token), symlinkSync('..data/token', join(dir, 'token'))) };
}

describe('tokenFromFile', () => {
  it('reads the token at once, trimmed, and reads it again after the kubelet swaps the volume', () => {
    const volume = secretVolume();
    volume.init('token-1');
    const token = tokenFromFile(volume.file);
    expect(token()).toBe('token-1');
    volume.publish('token-2');
    expect(token()).toBe('token-2');
    expect(token()).toBe('token-2');
  });

  it('reads a file rewritten in place', () => {
    const dir = mkdtempSync(join(tmpdir(), 'token-file-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'aaaaaaa');
    const token = tokenFromFile(file);
    expect(token()).toBe('aaaaaaa');
    writeFileSync(file, 'bbbbbbbbbb');
    expect(token()).toBe('bbbbbbbbbb');
  });

  it('keeps the last token while the file is missing or empty (caught mid-change)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'token-file-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'token-1');
    const token = tokenFromFile(file);
    rmSync(file);
    expect(token()).toBe('token-1');
    writeFileSync(file, '  \n');
    expect(token()).toBe('token-1');
    writeFileSync(file, 'token-3');
    expect(token()).toBe('token-3');
  });

  it('a missing or empty file at start is an error that names the file and not a token', () => {
    const dir = mkdtempSync(join(tmpdir(), 'token-file-'));
    expect(() => tokenFromFile(join(dir, 'absent'))).toThrow(/ENOENT/);
    writeFileSync(join(dir, 'empty'), '\n');
    expect(() => tokenFromFile(join(dir, 'empty'))).toThrow(`--chaman-token-file ${join(dir, 'empty')} is empty`);
  });
});
