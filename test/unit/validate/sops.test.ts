// `--decrypt-with sops` runs the sops binary on each file: a file whose name starts with a dash must
// reach sops as a file, never as one of its options (issue 16 item 8).
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sopsDecrypter } from '../../../src/validate/sops.ts';

/**
 * A `sops` that parses its arguments as sops does (Go flags: options until `--` or the first operand),
 * records them one per line, refuses an option it does not know, and prints FILE.plain.
 */
function fakeSops(dir: string): string {
  const bin = join(dir, 'sops');
  writeFileSync(
    bin,
    [
      '#!/bin/sh',
      `printf '%s\\n' "$@" > "${dir}/argv"`,
      'while [ $# -gt 0 ]; do',
      '  case "$1" in',
      '    --decrypt) shift ;;',
      '    --) shift; break ;;',
      '    -*) echo "flag provided but not defined: $1" >&2; exit 64 ;;',
      '    *) break ;;',
      '  esac',
      'done',
      'cat -- "$1.plain"',
    ].join('\n'),
  );
  chmodSync(bin, 0o755);
  return bin;
}

describe('sopsDecrypter', () => {
  it('passes the file after `--`, so a file named like an option is decrypted as a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sops-args-'));
    const file = join(dir, '--output=x.sops.yaml');
    writeFileSync(`${file}.plain`, 'kind: Secret\n');
    const decrypt = sopsDecrypter(fakeSops(dir), 1024);
    const relative = '--output=x.sops.yaml';
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect((await decrypt(relative)).toString()).toBe('kind: Secret\n');
    } finally {
      process.chdir(cwd);
    }
    expect(readFileSync(join(dir, 'argv'), 'utf8').trim().split('\n')).toEqual(['--decrypt', '--', relative]);
  });
});
