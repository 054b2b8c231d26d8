// R6–R10: X.509 certificate inspection, with @peculiar/x509 on node:crypto's WebCrypto; the format
// sniffer is certificate-format.ts, the rules certificate-rules.ts.
//
// Inputs are untrusted bytes (a Secret's content, a request body). The format is told apart first,
// so that a PKCS#12 file or a private key is recognised and refused with a safe message: no message
// here ever contains the input's bytes.
import { createHash, createPublicKey } from 'node:crypto';
import type * as x509 from '@peculiar/x509';
import { CertificateFormatError, formatProblem, sniff } from './certificate-format.ts';
import { TAG, children, decodeOid, readTlv, readWhole } from './der.ts';
import type { CertificateDetails } from './types.ts';
import { rfc3339 } from './time.ts';

let x509Library: Promise<typeof x509> | undefined;

/**
 * @peculiar/x509 (with its ASN.1 schemas and DI container) costs about 18 MB of RSS: it is loaded on
 * the first certificate read, so a process that reads none (an operator of FTP and SFTP accounts,
 * `status`) never pays for it. It needs reflect-metadata first (NOTES.md).
 */
function loadX509(): Promise<typeof x509> {
  x509Library ??= (async () => {
    await import('reflect-metadata');
    const library = await import('@peculiar/x509');
    // The global crypto is node:crypto's webcrypto, declared as the Crypto the library is typed against.
    library.cryptoProvider.set(globalThis.crypto);
    return library;
  })();
  return x509Library;
}


export type KeyType = 'RSA' | 'EC' | 'Ed25519' | 'Ed448' | 'other';

export interface InspectedCertificate {
  /** The DER bytes of the certificate (the leaf, for a bundle): what is sent to Chaman. */
  der: Uint8Array;
  details: Omit<CertificateDetails, 'name' | 'fileName'>;
  notBefore: Date;
  notAfter: Date;
  keyType: KeyType;
  /** RSA modulus bits, or the EC curve's size */
  keySize?: number;
  /** `P-256`, `P-384`, `P-521`, or the curve's name or OID */
  curve?: string;
  /** `SHA-256`, `SHA-1`, …, or the signature algorithm's name when it has no separate hash (`Ed25519`) */
  signatureHash: string;
  selfSigned: boolean;
  /** undefined when the certificate has no key usage extension */
  keyUsageDigitalSignature: boolean | undefined;
  /** what the input was */
  format: 'DER' | 'PEM' | 'PEM_BUNDLE';
  /** how many certificates the input held (a bundle: more than one; only the first is used) */
  certificateCount: number;
  /** the PEM input also held a private key: it was ignored, and is never sent anywhere */
  containsPrivateKey: boolean;
}

// Inspection

const SIGNATURE_OIDS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'MD5',
  '1.2.840.113549.1.1.5': 'SHA-1',
  '1.2.840.113549.1.1.14': 'SHA-224',
  '1.2.840.113549.1.1.11': 'SHA-256',
  '1.2.840.113549.1.1.12': 'SHA-384',
  '1.2.840.113549.1.1.13': 'SHA-512',
  '1.2.840.10045.4.1': 'SHA-1',
  '1.2.840.10045.4.3.1': 'SHA-224',
  '1.2.840.10045.4.3.2': 'SHA-256',
  '1.2.840.10045.4.3.3': 'SHA-384',
  '1.2.840.10045.4.3.4': 'SHA-512',
  '1.2.840.10040.4.3': 'SHA-1',
  '2.16.840.1.101.3.4.3.2': 'SHA-256',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

const CURVE_NAMES: Record<string, string> = {
  prime256v1: 'P-256',
  secp256r1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

const CURVE_SIZES: Record<string, number> = { 'P-256': 256, 'P-384': 384, 'P-521': 521 };

interface KeyInfo {
  keyType: KeyType;
  keySize?: number;
  curve?: string;
  label: string;
}

function keyInfo(cert: x509.X509Certificate): KeyInfo {
  try {
    const alg = cert.publicKey.algorithm as { name?: string; modulusLength?: number; namedCurve?: string };
    if (alg.name === 'RSASSA-PKCS1-v1_5' || alg.name === 'RSA-PSS' || alg.name === 'RSA-OAEP') {
      if (alg.modulusLength) return { keyType: 'RSA', keySize: alg.modulusLength, label: `RSA-${alg.modulusLength}` };
    } else if ((alg.name === 'ECDSA' || alg.name === 'ECDH') && alg.namedCurve) {
      const size = CURVE_SIZES[alg.namedCurve];
      return { keyType: 'EC', curve: alg.namedCurve, ...(size ? { keySize: size } : {}), label: `EC-${alg.namedCurve.replace('-', '')}` };
    } else if (alg.name === 'Ed25519' || alg.name === 'Ed448') {
      return { keyType: alg.name, keySize: alg.name === 'Ed25519' ? 256 : 456, label: alg.name };
    }
  } catch {
    // fall through to node:crypto
  }
  try {
    const key = createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' });
    const d = key.asymmetricKeyDetails ?? {};
    switch (key.asymmetricKeyType) {
      case 'rsa':
      case 'rsa-pss':
        return { keyType: 'RSA', keySize: d.modulusLength!, label: `RSA-${d.modulusLength}` };
      case 'ec': {
        const curve = CURVE_NAMES[d.namedCurve ?? ''] ?? d.namedCurve ?? 'unknown';
        const size = CURVE_SIZES[curve];
        return { keyType: 'EC', curve, ...(size ? { keySize: size } : {}), label: `EC-${curve.replace('-', '')}` };
      }
      case 'ed25519':
        return { keyType: 'Ed25519', keySize: 256, label: 'Ed25519' };
      case 'ed448':
        return { keyType: 'Ed448', keySize: 456, label: 'Ed448' };
      case 'dsa':
        return { keyType: 'other', keySize: d.modulusLength!, label: `DSA-${d.modulusLength}` };
      default:
        return { keyType: 'other', label: key.asymmetricKeyType ?? 'unknown' };
    }
  } catch {
    return { keyType: 'other', label: 'unknown' };
  }
}

function signatureHash(cert: x509.X509Certificate, der: Uint8Array): string {
  try {
    const alg = cert.signatureAlgorithm as { name?: string; hash?: { name?: string } | string };
    const hash = typeof alg.hash === 'string' ? alg.hash : alg.hash?.name;
    if (hash) return hash.toUpperCase();
    if (alg.name === 'Ed25519' || alg.name === 'Ed448') return alg.name;
  } catch {
    // fall through to the OID
  }
  // Certificate ::= SEQUENCE { tbs, AlgorithmIdentifier SEQUENCE { OID, ... }, BIT STRING }
  const top = readWhole(der);
  const items = top && children(der, top);
  const algId = items?.[1];
  const oid = algId ? readTlv(der, algId.start, algId.end) : undefined;
  if (oid?.tag === TAG.OID) {
    const dotted = decodeOid(der, oid);
    return SIGNATURE_OIDS[dotted] ?? `unknown (${dotted})`;
  }
  return 'unknown';
}

function escapeRdnValue(value: string): string {
  let out = value.replace(/[\\"+,;<>]/g, (c) => `\\${c}`);
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

type NameJson = Array<Record<string, string[]>>;

/** RFC 4514 style: most specific RDN first (`CN=…, O=…, C=BE`), as Chaman (Java) shows it. */
function formatName(json: NameJson): string {
  return [...json]
    .reverse()
    .map((rdn) =>
      Object.entries(rdn)
        .flatMap(([type, values]) => values.map((v) => `${type}=${escapeRdnValue(String(v))}`))
        .join('+'),
    )
    .join(', ');
}

function firstAttribute(json: NameJson, type: string): string | undefined {
  // The most specific one (the last in encoding order), as for the display string.
  for (const rdn of [...json].reverse()) {
    const values = rdn[type];
    if (values && values.length > 0) return String(values[0]);
  }
  return undefined;
}


function fingerprint(der: Uint8Array): string {
  return createHash('sha256')
    .update(der)
    .digest('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
}

function decimalSerial(hex: string): string {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '');
  return clean === '' ? '0' : BigInt(`0x${clean}`).toString(10);
}

function sameBytes(a: ArrayBuffer, b: ArrayBuffer): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

async function isSelfSigned(cert: x509.X509Certificate): Promise<boolean> {
  if (!sameBytes(cert.subjectName.toArrayBuffer(), cert.issuerName.toArrayBuffer())) return false;
  try {
    return await cert.isSelfSigned();
  } catch {
    // An algorithm WebCrypto cannot verify: subject = issuer is the best we can say.
    return true;
  }
}

function digitalSignature(library: typeof x509, cert: x509.X509Certificate): boolean | undefined {
  try {
    const ext = cert.getExtension(library.KeyUsagesExtension);
    if (!ext) return undefined;
    return (ext.usages & library.KeyUsageFlags.digitalSignature) !== 0;
  } catch {
    return undefined;
  }
}

/**
 * Reads one certificate (DER, PEM, or the first of a PEM bundle). Throws CertificateFormatError,
 * with a message safe to show, for a PKCS#12 file, a private key, or anything else.
 */
export async function inspectCertificate(bytes: Uint8Array): Promise<InspectedCertificate> {
  const sniffed = sniff(bytes);
  const problem = formatProblem(sniffed.format, bytes.length);
  if (problem !== undefined) throw new CertificateFormatError(sniffed.format, problem);
  const der = sniffed.leaf!;
  const library = await loadX509();
  let cert: x509.X509Certificate;
  let subject: NameJson;
  let issuer: NameJson;
  try {
    cert = new library.X509Certificate(der);
    subject = cert.subjectName.toJSON() as NameJson;
    issuer = cert.issuerName.toJSON() as NameJson;
  } catch {
    throw new CertificateFormatError(
      'UNKNOWN',
      `R9: the ${sniffed.format === 'DER' ? 'DER data' : 'PEM certificate'} could not be read as an X.509 certificate; give one valid certificate as a .cer file, DER or PEM`,
    );
  }
  const key = keyInfo(cert);
  const hash = signatureHash(cert, der);
  const selfSigned = await isSelfSigned(cert);
  const details: Omit<CertificateDetails, 'name' | 'fileName'> = {
    subject: formatName(subject),
    organization: firstAttribute(subject, 'O') ?? '',
    issuer: firstAttribute(issuer, 'CN') ?? formatName(issuer),
    serialNumber: decimalSerial(cert.serialNumber),
    notBefore: rfc3339(cert.notBefore),
    notAfter: rfc3339(cert.notAfter),
    sha256Fingerprint: fingerprint(der),
    keyAlgorithm: key.label,
    signatureAlgorithm: hash,
    selfSigned,
  };
  return {
    der: new Uint8Array(der),
    details,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    keyType: key.keyType,
    ...(key.keySize !== undefined ? { keySize: key.keySize } : {}),
    ...(key.curve !== undefined ? { curve: key.curve } : {}),
    signatureHash: hash,
    selfSigned,
    keyUsageDigitalSignature: digitalSignature(library, cert),
    format: sniffed.format as InspectedCertificate['format'],
    certificateCount: sniffed.certificateCount,
    containsPrivateKey: sniffed.containsPrivateKey,
  };
}

/** The DER bytes of the certificate (the leaf of a bundle); throws CertificateFormatError otherwise. */
export function toDer(bytes: Uint8Array): Uint8Array {
  const sniffed = sniff(bytes);
  const problem = formatProblem(sniffed.format, bytes.length);
  if (problem !== undefined) throw new CertificateFormatError(sniffed.format, problem);
  return new Uint8Array(sniffed.leaf!);
}

export function certificateDetails(inspected: InspectedCertificate, name: string, fileName: string): CertificateDetails {
  return { name, fileName, ...inspected.details };
}
