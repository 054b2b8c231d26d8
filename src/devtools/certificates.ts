// Certificates and keys made on the fly for the demo, the examples and the tests. Nothing here is
// ever committed: every run makes its own. Uses @peculiar/x509 on node:crypto's WebCrypto.
import { generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;
type EcKeyGenParams = webcrypto.EcKeyGenParams;

x509.cryptoProvider.set(webcrypto as never);

export type KeyKind = 'rsa1024' | 'rsa2048' | 'rsa3072' | 'rsa4096' | 'p256' | 'p384' | 'p521' | 'ed25519';
export type HashName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

export interface Issuer {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
  algorithm: Algorithm;
}

export interface MadeCertificate {
  der: Uint8Array;
  pem: string;
  /** PKCS#8 PEM of the private key: for tls.key in a Secret, never for Chaman. */
  privateKeyPem: string;
  notBefore: Date;
  notAfter: Date;
}

export interface CertificateOptions {
  subject?: string;
  key?: KeyKind;
  hash?: HashName;
  /** Self-signed when no issuer is given. */
  issuer?: Issuer;
  notBefore?: Date;
  notAfter?: Date;
  /** Key usage bits (x509.KeyUsageFlags); default digitalSignature. `null` leaves the extension out. */
  keyUsage?: number | null;
}

function algorithmFor(key: KeyKind, hash: HashName): RsaHashedKeyGenParams | EcKeyGenParams | Algorithm {
  if (key.startsWith('rsa')) {
    return { name: 'RSASSA-PKCS1-v1_5', modulusLength: Number(key.slice(3)), publicExponent: new Uint8Array([1, 0, 1]), hash } as RsaHashedKeyGenParams;
  }
  if (key === 'ed25519') return { name: 'Ed25519' };
  return { name: 'ECDSA', namedCurve: `P-${key.slice(1)}`, hash } as EcKeyGenParams;
}

function signingAlgorithm(key: KeyKind, hash: HashName): Algorithm {
  if (key.startsWith('rsa')) return { name: 'RSASSA-PKCS1-v1_5', hash } as Algorithm;
  if (key === 'ed25519') return { name: 'Ed25519' };
  return { name: 'ECDSA', hash } as Algorithm;
}

async function generateKeys(key: KeyKind, hash: HashName): Promise<CryptoKeyPair> {
  if (key === 'rsa1024') {
    // WebCrypto refuses nothing here, but node:crypto is faster and this size exists only to be refused (R6).
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash };
    return {
      publicKey: await webcrypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), alg, true, ['verify']),
      privateKey: await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), alg, true, ['sign']),
    } as CryptoKeyPair;
  }
  return (await webcrypto.subtle.generateKey(algorithmFor(key, hash) as never, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(keys: CryptoKeyPair): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
}

const DAY = 86_400_000;

/** A CA that issues "global signed" certificates (self-signed CA, RSA 3072 / SHA-256). */
export async function makeCa(subject = 'CN=Chaman Demo Issuing CA, O=chaman-operator'): Promise<Issuer> {
  const algorithm = signingAlgorithm('rsa3072', 'SHA-256');
  const keys = await generateKeys('rsa3072', 'SHA-256');
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
    name: subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 3650 * DAY),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { certificate, keys, algorithm };
}

export async function makeCertificate(options: CertificateOptions = {}): Promise<MadeCertificate> {
  const key = options.key ?? 'rsa2048';
  const hash = options.hash ?? 'SHA-256';
  const keys = await generateKeys(key, hash);
  const now = Date.now();
  const notBefore = options.notBefore ?? new Date(now - DAY);
  const notAfter = options.notAfter ?? new Date(now + 365 * DAY);
  const extensions: x509.Extension[] = [];
  if (options.keyUsage !== null) extensions.push(new x509.KeyUsagesExtension(options.keyUsage ?? x509.KeyUsageFlags.digitalSignature, true));
  const serialNumber = randomBytes(8).toString('hex').replace(/^[89a-f]/, '1');
  const subject = options.subject ?? 'CN=chaman-operator test, O=chaman-operator';
  const certificate = options.issuer
    ? await x509.X509CertificateGenerator.create({
        serialNumber,
        subject,
        issuer: options.issuer.certificate.subject,
        notBefore,
        notAfter,
        publicKey: keys.publicKey,
        signingKey: options.issuer.keys.privateKey,
        signingAlgorithm: { ...options.issuer.algorithm, hash } as Algorithm,
        extensions,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber,
        name: subject,
        notBefore,
        notAfter,
        keys,
        signingAlgorithm: signingAlgorithm(key, hash),
        extensions,
      });
  return {
    der: new Uint8Array(certificate.rawData),
    pem: certificate.toString('pem') + '\n',
    privateKeyPem: await privateKeyPem(keys),
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
  };
}

/** An Ed25519 SSH public key in OpenSSH one-line format (the private half is thrown away). */
export function makeSshPublicKey(comment = 'chaman-operator-demo'): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const length = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n, 0);
    return b;
  };
  const blob = Buffer.concat([length(11), Buffer.from('ssh-ed25519'), length(raw.length), raw]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}

/** A password that follows R5: ≤ 10 characters, ≥ 2 that are not letters, only allowed specials. */
export function makeFtpPassword(): string {
  const letters = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz';
  const pick = (alphabet: string) => alphabet[randomBytes(1)[0]! % alphabet.length]!;
  return Array.from({ length: 6 }, () => pick(letters)).join('') + pick('23456789') + pick('23456789') + pick('#%+=') + pick(letters);
}
