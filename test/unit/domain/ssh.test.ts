import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SshKeyFormatError, checkSshPublicKey, sameSshPublicKey, toRfc4716 } from '../../../src/domain/index.ts';
import { makeSshKey, secretRuns } from '../../support/certs.ts';

const field = 'spec.sftp.publicKey';

function hasSshKeygen(): boolean {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as { status?: number }).status !== undefined && (e as { code?: string }).code !== 'ENOENT';
  }
}

describe('R17 SSH public keys', () => {
  it.each([
    ['rsa2048', 'rsa', 2048],
    ['rsa4096', 'rsa', 4096],
    ['ecdsa256', 'ecdsa', 256],
    ['ecdsa384', 'ecdsa', 384],
    ['ecdsa521', 'ecdsa', 521],
    ['ed25519', 'ed25519', 256],
  ] as const)('accepts %s in OpenSSH and RFC 4716 format', (kind, type, size) => {
    const key = makeSshKey(kind);
    for (const input of [key.publicOpenSsh, key.publicRfc4716, `  ${key.publicOpenSsh}\n`]) {
      const checked = checkSshPublicKey(input, field);
      expect(checked.findings).toEqual([]);
      expect(checked.key).toMatchObject({ type, size });
      expect(checked.key!.fingerprint).toMatch(/^SHA256:/);
      expect(checked.key!.rfc4716).toMatch(/^---- BEGIN SSH2 PUBLIC KEY ----\n[A-Za-z0-9+/=\n]+---- END SSH2 PUBLIC KEY ----\n$/);
      expect(checked.key!.openssh).toBe(key.publicOpenSsh.split(' ').slice(0, 2).join(' '));
    }
  });

  it('refuses RSA 1024 and accepts RSA 2048 (the boundary)', () => {
    const [f] = checkSshPublicKey(makeSshKey('rsa1024').publicOpenSsh, field).findings;
    expect(f).toMatchObject({ rule: 'R17', field, severity: 'error', reason: 'InvalidSSHKey' });
    expect(f!.message).toMatch(/1024 bits.*at least 2048/);
    expect(checkSshPublicKey(makeSshKey('rsa2048').publicOpenSsh, field).findings).toEqual([]);
  });

  it('refuses DSA', () => {
    const checked = checkSshPublicKey(makeSshKey('dsa').publicOpenSsh, field);
    expect(checked.key).toBeUndefined();
    expect(checked.findings[0]!.message).toMatch(/DSA/);
  });

  it.each(['ed25519', 'rsa2048', 'ecdsa384'] as const)('refuses a %s private key (OpenSSH and PEM) and never echoes it', (kind) => {
    const key = makeSshKey(kind);
    for (const secret of [key.privateOpenSsh, key.privatePem]) {
      const checked = checkSshPublicKey(secret, field);
      expect(checked.key).toBeUndefined();
      expect(checked.findings).toHaveLength(1);
      expect(checked.findings[0]).toMatchObject({ rule: 'R17', severity: 'error', reason: 'InvalidSSHKey' });
      expect(checked.findings[0]!.message).toMatch(/private key/);
      for (const run of secretRuns(secret)) expect(checked.findings[0]!.message).not.toContain(run);
      expect(() => toRfc4716(secret)).toThrow(SshKeyFormatError);
      try {
        toRfc4716(secret);
      } catch (e) {
        for (const run of secretRuns(secret)) expect((e as Error).message).not.toContain(run);
      }
    }
  });

  it.each([
    ['empty', ''],
    ['garbage', 'hello world'],
    ['a type without a key', 'ssh-ed25519'],
    ['a broken base64 body', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI x'],
    ['two keys on two lines', null],
    ['an RFC 4716 block without a body', '---- BEGIN SSH2 PUBLIC KEY ----\n---- END SSH2 PUBLIC KEY ----\n'],
    ['a PEM public key', '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n'],
  ])('refuses %s', (_what, input) => {
    const text = input ?? `${makeSshKey('ed25519').publicOpenSsh}\n${makeSshKey('ed25519').publicOpenSsh}`;
    const checked = checkSshPublicKey(text, field);
    expect(checked.key).toBeUndefined();
    expect(checked.findings).toHaveLength(1);
    expect(checked.findings[0]).toMatchObject({ rule: 'R17', field, severity: 'error', reason: 'InvalidSSHKey' });
  });

  it('refuses a missing key', () => {
    expect(checkSshPublicKey(undefined, field).findings).toHaveLength(1);
  });

  it('RFC 4716 with multi-line headers', () => {
    const key = makeSshKey('ed25519');
    const body = key.publicRfc4716.split('\n').slice(2).join('\n');
    const input = `---- BEGIN SSH2 PUBLIC KEY ----\nSubject: jane\nComment: "a very long comment \\\ncontinued here"\n${body}`;
    expect(checkSshPublicKey(input, field).findings).toEqual([]);
  });

  it('converts to the SSH-2 format Chaman shows, whatever the input format', () => {
    const key = makeSshKey('rsa4096');
    const a = toRfc4716(key.publicOpenSsh);
    const b = toRfc4716(key.publicRfc4716);
    expect(a).toBe(b);
    expect(a.split('\n').every((l) => l.length <= 72)).toBe(true);
    expect(toRfc4716(a)).toBe(a);
  });

  it.runIf(hasSshKeygen())('matches ssh-keygen: what ssh-keygen writes is accepted, and the conversion agrees with ssh-keygen -e', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaman-ssh-'));
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'jane@example', '-f', join(dir, 'id')]);
      const pub = readFileSync(join(dir, 'id.pub'), 'utf8');
      const exported = execFileSync('ssh-keygen', ['-e', '-f', join(dir, 'id.pub')]).toString();
      expect(checkSshPublicKey(pub, field).findings).toEqual([]);
      expect(checkSshPublicKey(exported, field).findings).toEqual([]);
      const body = (s: string) => s.split('\n').filter((l) => l && !l.startsWith('----') && !l.includes(':')).join('');
      expect(body(toRfc4716(pub))).toBe(body(exported));
      expect(checkSshPublicKey(readFileSync(join(dir, 'id'), 'utf8'), field).findings[0]!.message).toMatch(/private key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('compares keys regardless of format and comment', () => {
    const key = makeSshKey('ecdsa384');
    const other = makeSshKey('ecdsa384');
    const [type, blob] = key.publicOpenSsh.split(' ');
    expect(sameSshPublicKey(key.publicOpenSsh, key.publicRfc4716)).toBe(true);
    expect(sameSshPublicKey(`${type} ${blob} another comment`, toRfc4716(key.publicOpenSsh))).toBe(true);
    expect(sameSshPublicKey(key.publicOpenSsh, other.publicOpenSsh)).toBe(false);
    expect(sameSshPublicKey('', '')).toBe(true);
    expect(sameSshPublicKey('', key.publicOpenSsh)).toBe(false);
  });
});
