// `--decrypt-with sops`: the sops binary on PATH decrypts a file into memory. The plaintext goes to the
// rules only; errors carry sops's first line of stderr, which names the key problem, never a value.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Decrypter } from './load.ts';

/** The first `name` on PATH that can be executed, if any. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * A decrypter running `<binary> --decrypt -- FILE`; at most `maxBytes` of output are taken. The `--`
 * ends sops's options: a file named `-x.yaml` or `--output=...` is a file, not an option.
 */
export function sopsDecrypter(binary: string, maxBytes: number): Decrypter {
  return (file) =>
    new Promise((resolve, reject) => {
      execFile(binary, ['--decrypt', '--', file], { encoding: 'buffer', maxBuffer: maxBytes, env: process.env }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const why = stderr.toString('utf8').trim().split('\n')[0]?.slice(0, 300) || (err as Error).message.split('\n')[0];
        reject(new Error(`sops --decrypt -- ${file} failed: ${why}`));
      });
    });
}
