// Certificates and keys made on the fly for the demo, the examples and the tests. Nothing here is
// ever committed: every run makes its own. Key pairs are cached per kind within one process so a
// suite does not pay for many RSA-4096 generations; certificates (and serials) are always new.
//
//   const ca = await makeCa();
//   const leaf = await makeCertificate({ ca, key: 'p384', hash: 'SHA-384' });
//   const self = await makeCertificate({ key: 'rsa2048', keyUsage: ['digitalSignature'] });
//   const pfx = makePkcs12(leaf);                       // needs the openssl command
//   const ssh = makeSshKey('ed25519');                  // { publicOpenSsh, publicRfc4716, privateOpenSsh, privatePem }
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import sshpk from 'sshpk';

// The global crypto is node:crypto's webcrypto, declared as the Crypto the x509 library is typed against.
x509.cryptoProvider.set(globalThis.crypto);

export type CertKeyKind = 'rsa1024' | 'rsa2048' | 'rsa3072' | 'rsa4096' | 'p256' | 'p384' | 'p521' | 'ed25519';
export type HashName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';
export type KeyUsageName = keyof typeof x509.KeyUsageFlags;

export interface MadeCertificate {
  der: Uint8Array;
  pem: string;
  /** PKCS#8 PEM of the certificate's private key: for tls.key, never for Chaman. */
  privateKeyPem: string;
  notBefore: Date;
  notAfter: Date;
  certificate: x509.X509Certificate;
}

export interface MadeCa extends MadeCertificate {
  kind: CertKeyKind;
  privateKey: KeyObject;
}

export interface CertificateOptions {
  /** Issued by this CA; self-signed when absent. */
  ca?: MadeCa;
  key?: CertKeyKind;
  /** The signature's hash (ignored when the signing key is Ed25519). Default SHA-256. */
  hash?: HashName;
  /** Default: one day ago. */
  notBefore?: Date;
  /** Default: in 365 days. */
  notAfter?: Date;
  /** Key usage bits to set; default ['digitalSignature']; `null` leaves the extension out. */
  keyUsage?: KeyUsageName[] | null;
  /** Distinguished name in encoding order, e.g. `C=BE, O=SMALS, CN=test`. */
  subject?: string;
  /** Hex serial; default random 8 bytes. */
  serialNumber?: string;
  /** Use a fresh key pair instead of the cached one for this kind. */
  freshKey?: boolean;
}

const DAY = 86_400_000;
const keyCache = new Map<CertKeyKind, KeyObject>();

function generate(kind: CertKeyKind): KeyObject {
  if (kind.startsWith('rsa')) return generateKeyPairSync('rsa', { modulusLength: Number(kind.slice(3)) }).privateKey;
  if (kind === 'ed25519') return generateKeyPairSync('ed25519').privateKey;
  return generateKeyPairSync('ec', { namedCurve: `P-${kind.slice(1)}` }).privateKey;
}

function privateKeyOf(kind: CertKeyKind, fresh = false): KeyObject {
  if (fresh) return generate(kind);
  let key = keyCache.get(kind);
  if (!key) {
    key = generate(kind);
    keyCache.set(kind, key);
  }
  return key;
}

function algorithm(kind: CertKeyKind, hash: HashName): webcrypto.Algorithm {
  if (kind.startsWith('rsa')) return { name: 'RSASSA-PKCS1-v1_5', hash } as webcrypto.Algorithm;
  if (kind === 'ed25519') return { name: 'Ed25519' };
  return { name: 'ECDSA', namedCurve: `P-${kind.slice(1)}`, hash } as webcrypto.Algorithm;
}

function signingAlgorithm(kind: CertKeyKind, hash: HashName): webcrypto.Algorithm {
  if (kind.startsWith('rsa')) return { name: 'RSASSA-PKCS1-v1_5', hash } as webcrypto.Algorithm;
  if (kind === 'ed25519') return { name: 'Ed25519' };
  return { name: 'ECDSA', hash } as webcrypto.Algorithm;
}

async function cryptoKeys(privateKey: KeyObject, kind: CertKeyKind, hash: HashName): Promise<webcrypto.CryptoKeyPair> {
  const alg = algorithm(kind, hash);
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return {
    privateKey: await webcrypto.subtle.importKey('pkcs8', pkcs8, alg, true, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', spki, alg, true, ['verify']),
  } as webcrypto.CryptoKeyPair;
}

function serial(): string {
  return randomBytes(8).toString('hex').replace(/^[89a-f]/, '1');
}

function usageBits(names: KeyUsageName[]): number {
  return names.reduce((bits, n) => bits | x509.KeyUsageFlags[n], 0);
}

function made(certificate: x509.X509Certificate, privateKey: KeyObject): MadeCertificate {
  return {
    der: new Uint8Array(certificate.rawData),
    pem: certificate.toString('pem') + '\n',
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    certificate,
  };
}

/** A CA for "global signed" certificates: self-signed, keyCertSign, RSA-3072 / SHA-256 by default. */
export async function makeCa(options: { key?: CertKeyKind; subject?: string; notBefore?: Date; notAfter?: Date } = {}): Promise<MadeCa> {
  const kind = options.key ?? 'rsa3072';
  const privateKey = privateKeyOf(kind, true);
  const keys = await cryptoKeys(privateKey, kind, 'SHA-256');
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: options.subject ?? 'C=BE, O=chaman-operator tests, CN=Test Issuing CA',
    notBefore: options.notBefore ?? new Date(now - 10 * DAY),
    notAfter: options.notAfter ?? new Date(now + 3650 * DAY),
    keys,
    signingAlgorithm: signingAlgorithm(kind, 'SHA-256'),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { ...made(certificate, privateKey), kind, privateKey };
}

/** A leaf certificate, self-signed or issued by `ca`, with the key, hash, validity and key usage asked for. */
export async function makeCertificate(options: CertificateOptions = {}): Promise<MadeCertificate> {
  const kind = options.key ?? 'rsa2048';
  const hash = options.hash ?? 'SHA-256';
  const privateKey = privateKeyOf(kind, options.freshKey);
  const keys = await cryptoKeys(privateKey, kind, hash);
  const now = Date.now();
  const notBefore = options.notBefore ?? new Date(now - DAY);
  const notAfter = options.notAfter ?? new Date(now + 365 * DAY);
  const extensions: x509.Extension[] = [];
  if (options.keyUsage !== null) {
    extensions.push(new x509.KeyUsagesExtension(usageBits(options.keyUsage ?? ['digitalSignature']), true));
  }
  const subject = options.subject ?? 'C=BE, O=chaman-operator tests, CN=test certificate';
  const serialNumber = options.serialNumber ?? serial();
  let certificate: x509.X509Certificate;
  if (options.ca) {
    const caKeys = await cryptoKeys(options.ca.privateKey, options.ca.kind, hash);
    certificate = await x509.X509CertificateGenerator.create({
      serialNumber,
      subject,
      issuer: options.ca.certificate.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: signingAlgorithm(options.ca.kind, hash),
      extensions,
    });
  } else {
    certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber,
      name: subject,
      notBefore,
      notAfter,
      keys,
      signingAlgorithm: signingAlgorithm(kind, hash),
      extensions,
    });
  }
  return made(certificate, privateKey);
}

/** A PKCS#12 (.pfx) file holding the certificate and its key, made by the `openssl` command. */
export function makePkcs12(certificate: Pick<MadeCertificate, 'pem' | 'privateKeyPem'>, password = 'test'): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'chaman-pfx-'));
  try {
    writeFileSync(join(dir, 'cert.pem'), certificate.pem);
    writeFileSync(join(dir, 'key.pem'), certificate.privateKeyPem, { mode: 0o600 });
    execFileSync('openssl', ['pkcs12', '-export', '-in', join(dir, 'cert.pem'), '-inkey', join(dir, 'key.pem'), '-out', join(dir, 'file.pfx'), '-passout', `pass:${password}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return new Uint8Array(readFileSync(join(dir, 'file.pfx')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export type SshKeyKind = 'rsa1024' | 'rsa2048' | 'rsa4096' | 'ecdsa256' | 'ecdsa384' | 'ecdsa521' | 'ed25519' | 'dsa';

export interface MadeSshKey {
  /** `ssh-ed25519 AAAA… comment` */
  publicOpenSsh: string;
  /** `---- BEGIN SSH2 PUBLIC KEY ----` with a Comment header, as `ssh-keygen -e` writes it */
  publicRfc4716: string;
  /** `-----BEGIN OPENSSH PRIVATE KEY-----` … */
  privateOpenSsh: string;
  /** PKCS#8 PEM of the private key */
  privatePem: string;
}

function sshPrivateKey(kind: SshKeyKind): KeyObject {
  if (kind.startsWith('rsa')) return generateKeyPairSync('rsa', { modulusLength: Number(kind.slice(3)) }).privateKey;
  if (kind.startsWith('ecdsa')) return generateKeyPairSync('ec', { namedCurve: `P-${kind.slice(5)}` }).privateKey;
  if (kind === 'dsa') return generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).privateKey;
  return generateKeyPairSync('ed25519').privateKey;
}

/** An SSH key pair of the given kind, in the formats a user may paste. */
export function makeSshKey(kind: SshKeyKind, comment = `test-${kind}@chaman-operator`): MadeSshKey {
  const privatePem = sshPrivateKey(kind).export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = sshpk.parsePrivateKey(privatePem, 'pem');
  key.comment = comment;
  const publicKey = key.toPublic();
  const blob = publicKey.toBuffer('rfc4253').toString('base64');
  const lines = blob.match(/.{1,70}/g)!;
  return {
    publicOpenSsh: publicKey.toString('ssh'),
    publicRfc4716: ['---- BEGIN SSH2 PUBLIC KEY ----', `Comment: "${comment}"`, ...lines, '---- END SSH2 PUBLIC KEY ----', ''].join('\n'),
    privateOpenSsh: key.toString('openssh'),
    privatePem,
  };
}

/** Every 16-character run of a PEM/OpenSSH private key's base64 body: none may appear in a message. */
export function secretRuns(privateText: string, length = 16): string[] {
  const body = privateText
    .split(/\r?\n/)
    .filter((l) => l !== '' && !l.startsWith('-----'))
    .join('');
  const runs: string[] = [];
  for (let i = 0; i + length <= body.length; i++) runs.push(body.slice(i, i + length));
  return runs;
}

/** A password that follows R5: at most 10 characters, at least 2 that are not letters, allowed specials only. */
export function makeFtpPassword(): string {
  const letters = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz';
  const pick = (alphabet: string) => alphabet[randomBytes(1)[0]! % alphabet.length]!;
  return Array.from({ length: 6 }, () => pick(letters)).join('') + pick('23456789') + pick('23456789') + pick('#%+=') + pick(letters);
}
