// How the emulator makes and shows what it stores: ids, client-ID suffixes, the fingerprint of a
// request body (idempotency), password hashes (scrypt; a password is never kept), and the public
// views of stored accounts and certificates.
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { ChamanAccount, ChamanCertificate } from '../chaman/types.ts';
import type { StoredAccount, StoredCertificate } from './store.ts';

export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** 10 characters of [a-z0-9] for R16, without modulo bias. */
export function randomSuffix(): string {
  let out = '';
  while (out.length < 10) {
    for (const byte of randomBytes(16)) {
      if (byte < 252 && out.length < 10) out += ALPHABET[byte % 36];
    }
  }
  return out;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** sha256 of the body without its password (which is compared with the account's scrypt hash instead). */
export function fingerprintOf(body: object): string {
  const { password: _password, ...rest } = body as Record<string, unknown>;
  return createHash('sha256').update(JSON.stringify(canonical(rest))).digest('hex');
}

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(expected, actual);
}

export function publicCertificate(certificate: StoredCertificate): ChamanCertificate {
  const { content: _content, ...rest } = certificate;
  return rest;
}

/** The account as the API returns it: no sender number, no password material, no certificate bytes. */
export function publicAccount(account: StoredAccount): ChamanAccount {
  const out: ChamanAccount = {
    id: account.id,
    type: account.type,
    name: account.name,
    permissions: account.permissions,
    certificates: account.certificates.map(publicCertificate),
    createdAt: account.createdAt,
    updatedAt: account.updatedAt,
  };
  if (account.management !== undefined) out.management = account.management;
  if (account.username !== undefined) out.username = account.username;
  if (account.clientId !== undefined) out.clientId = account.clientId;
  if (account.sshPublicKey !== undefined) out.sshPublicKey = account.sshPublicKey;
  return out;
}
