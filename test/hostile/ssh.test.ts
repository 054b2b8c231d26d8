// SSH public keys are user input (spec.sftp.publicKey, or a Secret): every shape below must cost about
// what a normal key of the same size costs, end in the right R17 finding, and never quote the input.
import { describe, expect, it } from 'vitest';
import { MAX_SSH_PUBLIC_KEY_BYTES, checkSshPublicKey, sameSshPublicKey } from '../../src/domain/index.ts';
import { makeSshKey, secretRuns } from '../support/certs.ts';
import { KiB, MiB, expectBoundedRatio } from './timing.ts';

const FIELD = 'spec.sftp.publicKey';
const key = makeSshKey('rsa4096');
/** A normal public key of `size` characters: a real RSA 4096 key with a long comment. */
const normalOfSize = (size: number) => `${key.publicOpenSsh.split(' ').slice(0, 2).join(' ')} ${'c'.repeat(Math.max(1, size - 800))}`;
const check = (text: string) => checkSshPublicKey(text, FIELD);

function expectRefused(text: string, message: RegExp): void {
  const { key: parsed, findings } = check(text);
  expect(parsed).toBeUndefined();
  expect(findings).toHaveLength(1);
  expect(findings[0]).toMatchObject({ rule: 'R17', field: FIELD, severity: 'error', reason: 'InvalidSSHKey' });
  expect(findings[0]!.message).toMatch(message);
}

describe('hostile SSH public keys, at the cap', () => {
  const size = MAX_SSH_PUBLIC_KEY_BYTES;
  const body = (n: number) => 'A'.repeat(n);
  it.each([
    ['"-----BEGIN " then dashes', () => `-----BEGIN ${'-'.repeat(size - 11)}`, /not an SSH public key/],
    ['"-----BEGIN " and a PUBLIC KEY label then dashes', () => `-----BEGIN PUBLIC KEY${'-'.repeat(size - 21)}`, /not an SSH public key/],
    ['dashes then spaces', () => `${'-'.repeat(size / 2)}${' '.repeat(size / 2 - 1)}x`, /not an SSH public key/],
    ['an OpenSSH line of base64', () => `ssh-rsa ${body(size - 8)}`, /could not be read/],
    ['an OpenSSH line of blanks', () => `ssh-rsa A${' \t'.repeat((size - 10) / 2)}x`, /could not be read/],
    ['an RFC 4716 key of one long line', () => `---- BEGIN SSH2 PUBLIC KEY ----\n${body(size - 64)}\n---- END SSH2 PUBLIC KEY ----`, /could not be read|malformed/],
    ['RFC 4716 header continuations', () => `---- BEGIN SSH2 PUBLIC KEY ----\n${'Comment: x\\\n'.repeat((size - 64) / 12)}AAAA\n---- END SSH2 PUBLIC KEY ----`, /could not be read|malformed/],
    ['a DNSSEC private key', () => `Private-key-format: v1.3\nAlgorithm: 8 (RSASHA256)\n${'Modulus: AAAA\n'.repeat((size - 64) / 14)}`, /private key/],
    ['many lines', () => 'ssh-rsa AAAA\n'.repeat(size / 13), /one line/],
  ] as const)('%s: linear, R17', (label, make, message) => {
    const hostile = make();
    expect(hostile.length).toBeLessThanOrEqual(size);
    return expectBoundedRatio(label, () => check(hostile), () => check(normalOfSize(hostile.length))).then(() => expectRefused(hostile, message));
  });

  it.each([64 * KiB, MiB])('%i bytes: refused by size before any parsing, with the cap in the message', async (size) => {
    const hostile = `-----BEGIN ${'-'.repeat(size - 11)}`;
    await expectBoundedRatio(`ssh ${size / KiB} KiB`, () => check(hostile), () => check(normalOfSize(size)));
    expectRefused(hostile, /^R17: the SSH public key is [\d,]+ bytes; the limit is 8,192 bytes \(8 KiB\)/);
    // Comparing a key read back from Chaman with a hostile one is capped the same way.
    await expectBoundedRatio(`ssh compare ${size / KiB} KiB`, () => sameSshPublicKey(key.publicOpenSsh, hostile), () => sameSshPublicKey(key.publicOpenSsh, normalOfSize(size)));
  });

  it('a private key padded to the cap and over it: R17 "private key", and no run of it in the message', () => {
    for (const size of [4 * KiB, 64 * KiB]) {
      const text = `${key.privateOpenSsh}${'\n'.repeat(size - key.privateOpenSsh.length)}`;
      const { findings } = check(text);
      expect(findings.map((f) => f.rule)).toEqual(['R17']);
      const shown = JSON.stringify(findings);
      for (const run of secretRuns(key.privateOpenSsh)) expect(shown).not.toContain(run);
    }
  });
});
