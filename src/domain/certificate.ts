// R6–R10: X.509 certificate inspection and rules, with @peculiar/x509 on node:crypto's WebCrypto.
//
// Inputs are untrusted bytes (a Secret's content, a request body). The format is told apart with a
// small DER/PEM sniffer first, so that a PKCS#12 file or a private key is recognised and refused
// with a safe message: no message here ever contains the input's bytes.
import { createHash, createPublicKey, webcrypto } from 'node:crypto';
import type * as x509 from '@peculiar/x509';
import { TAG, children, decodeOid, readTlv, readWhole, smallInteger } from './der.ts';
import { error, warning } from './findings.ts';
import { MAX_PEM_BLOCKS, scanPem } from './pem.ts';
import type { CertificateDetails, ChannelType, Finding, RulePolicy } from './types.ts';
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
    library.cryptoProvider.set(webcrypto as never);
    return library;
  })();
  return x509Library;
}

export type CertificateFormat = 'DER' | 'PEM' | 'PEM_BUNDLE' | 'PKCS12' | 'PRIVATE_KEY' | 'UNKNOWN' | 'TOO_LARGE' | 'TOO_MANY_BLOCKS';

/**
 * The largest certificate file read (R9): a certificate is 1 to 3 kB, a cert-manager tls.crt with its
 * chain under 10 kB. Anything larger is refused by its size alone, before a byte of it is parsed.
 */
export const MAX_CERTIFICATE_FILE_BYTES = 64 * 1024;
export { MAX_PEM_BLOCKS };
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

/** Thrown by inspectCertificate for input that is not one usable certificate; the message is safe to show. */
export class CertificateFormatError extends Error {
  readonly format: CertificateFormat;
  constructor(format: CertificateFormat, message: string) {
    super(message);
    this.name = 'CertificateFormatError';
    this.format = format;
  }
}

// ---------------------------------------------------------------------------------------------
// Format detection

const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);
const OID_PKCS7_PREFIX = '1.2.840.113549.1.7.';

function asText(bytes: Uint8Array): string | undefined {
  // PEM is ASCII; allow a UTF-8 BOM and stray non-ASCII in explanatory text around the blocks.
  const sample = bytes.subarray(0, Math.min(bytes.length, 4096));
  let printable = 0;
  for (const b of sample) if (b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127)) printable++;
  if (sample.length === 0 || printable / sample.length < 0.9) return undefined;
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

function looksLikePrivateKeyText(text: string): boolean {
  return /PRIVATE KEY-----/.test(text) || /^PuTTY-User-Key-File-/m.test(text);
}

function pemBodyToDer(body: string): Uint8Array {
  // RFC 7468: headers (Proc-Type and the like) may precede the base64; drop them.
  const lines = body.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.includes(':'));
  return new Uint8Array(Buffer.from(lines.join(''), 'base64'));
}

function derShape(bytes: Uint8Array): CertificateFormat {
  if (bytes.length < 2 || bytes[0] !== TAG.SEQUENCE) return 'UNKNOWN';
  const top = readWhole(bytes);
  if (!top) return berPfxShape(bytes) ? 'PKCS12' : 'UNKNOWN';
  const items = children(bytes, top);
  if (!items || items.length === 0) return 'UNKNOWN';
  const [a, b, c] = items;
  const version = a ? smallInteger(bytes, a) : undefined;
  // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE, signature BIT STRING }
  if (items.length === 3 && a!.tag === TAG.SEQUENCE && b!.tag === TAG.SEQUENCE && c!.tag === TAG.BIT_STRING) return 'DER';
  // PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo (SEQUENCE { OID pkcs7-*, ... }), macData? }
  if (version === 3 && b?.tag === TAG.SEQUENCE) {
    const contentType = readTlv(bytes, b.start, b.end);
    if (contentType?.tag === TAG.OID && decodeOid(bytes, contentType).startsWith(OID_PKCS7_PREFIX)) return 'PKCS12';
  }
  // PKCS#8 PrivateKeyInfo / OneAsymmetricKey ::= SEQUENCE { version (0|1), algorithm SEQUENCE, privateKey OCTET STRING, ... }
  if ((version === 0 || version === 1) && b?.tag === TAG.SEQUENCE && c?.tag === TAG.OCTET_STRING) return 'PRIVATE_KEY';
  // EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm SEQUENCE, encryptedData OCTET STRING }
  if (items.length === 2 && a!.tag === TAG.SEQUENCE && b!.tag === TAG.OCTET_STRING) return 'PRIVATE_KEY';
  // PKCS#1 RSAPrivateKey (version 0 and 8 INTEGERs) or DSA private key (version 0 and 5 INTEGERs)
  if (version === 0 && (items.length === 9 || items.length === 6) && items.every((t) => t.tag === TAG.INTEGER)) return 'PRIVATE_KEY';
  // SEC 1 ECPrivateKey ::= SEQUENCE { version (1), privateKey OCTET STRING, [0] params, [1] publicKey }
  if (version === 1 && b?.tag === TAG.OCTET_STRING) return 'PRIVATE_KEY';
  return 'UNKNOWN';
}

/** PKCS#12 written in BER with indefinite lengths (some Windows and Java tools): SEQUENCE, INTEGER 3, SEQUENCE. */
function berPfxShape(bytes: Uint8Array): boolean {
  let pos = 1;
  const len = bytes[pos++];
  if (len === undefined) return false;
  if (len > 0x80) pos += len & 0x7f;
  return bytes[pos] === TAG.INTEGER && bytes[pos + 1] === 1 && bytes[pos + 2] === 3 && bytes[pos + 3] === TAG.SEQUENCE;
}

interface Sniffed {
  format: CertificateFormat;
  /** the DER of the first certificate (the leaf): the only one decoded */
  leaf?: Uint8Array;
  certificateCount: number;
  containsPrivateKey: boolean;
}

/** The format of untrusted bytes: refused by size first, then read with linear scans only. */
function sniff(bytes: Uint8Array): Sniffed {
  if (bytes.length > MAX_CERTIFICATE_FILE_BYTES) return { format: 'TOO_LARGE', certificateCount: 0, containsPrivateKey: false };
  const text = asText(bytes);
  if (text !== undefined && (text.includes('-----BEGIN ') || looksLikePrivateKeyText(text))) {
    const containsPrivateKey = looksLikePrivateKeyText(text);
    const { blocks, tooManyBlocks } = scanPem(text);
    if (tooManyBlocks) return { format: 'TOO_MANY_BLOCKS', certificateCount: 0, containsPrivateKey };
    const certificates = blocks.filter((b) => CERTIFICATE_LABELS.has(b.label));
    const found = { certificateCount: certificates.length, containsPrivateKey };
    if (certificates.length > 0) return { format: certificates.length > 1 ? 'PEM_BUNDLE' : 'PEM', leaf: pemBodyToDer(certificates[0]!.body), ...found };
    if (containsPrivateKey) return { format: 'PRIVATE_KEY', ...found };
    if (blocks.some((b) => b.label === 'PKCS12')) return { format: 'PKCS12', ...found };
    return { format: 'UNKNOWN', ...found };
  }
  const format = derShape(bytes);
  return { format, ...(format === 'DER' ? { leaf: bytes } : {}), certificateCount: format === 'DER' ? 1 : 0, containsPrivateKey: format === 'PRIVATE_KEY' };
}

/** What the bytes are, without parsing the certificate itself. */
export function detectCertificateFormat(bytes: Uint8Array): CertificateFormat {
  return sniff(bytes).format;
}

/** True when the input holds private key material (alone, or next to a certificate in a PEM file). */
export function containsPrivateKey(bytes: Uint8Array): boolean {
  const s = sniff(bytes);
  return s.containsPrivateKey || s.format === 'PRIVATE_KEY';
}

// ---------------------------------------------------------------------------------------------
// Messages for what is not one certificate (R9). Safe: they never quote the input.

const EXPORT_HINT = 'export the certificate alone as a .cer file (DER or PEM), e.g. `openssl pkcs12 -in file.pfx -nokeys -clcerts -out certificate.cer`';

const bytesText = (n: number) => `${n.toLocaleString('en-US')} bytes`;

/** R9 for a file over MAX_CERTIFICATE_FILE_BYTES; it was measured, not read. */
export function sizeProblem(size: number): string {
  return (
    `R9: the certificate file is ${bytesText(size)}; the limit is ${bytesText(MAX_CERTIFICATE_FILE_BYTES)} (64 KiB), and a larger file is not read: ` +
    'give the certificate alone (the leaf, e.g. tls.crt as cert-manager writes it, or a .cer file), not a CA bundle or another file'
  );
}

export function formatProblem(format: CertificateFormat, size = 0): string | undefined {
  switch (format) {
    case 'TOO_LARGE':
      return sizeProblem(size);
    case 'TOO_MANY_BLOCKS':
      return `R9: the file holds more than ${MAX_PEM_BLOCKS} PEM blocks (-----BEGIN lines), and was not read further; give one certificate, or a chain whose first certificate is the leaf (a few blocks)`;
    case 'PKCS12':
      return `R9: this is a PKCS#12 (.pfx/.p12) file, which Chaman refuses; ${EXPORT_HINT}`;
    case 'PRIVATE_KEY':
      return 'R9: this is a private key, not a certificate; never give a private key (it stays with the workload, e.g. in tls.key): give only the certificate, as a .cer file (DER or PEM, e.g. tls.crt)';
    case 'UNKNOWN':
      return 'R9: this is not an X.509 certificate; give one certificate as a .cer file, DER or PEM (`-----BEGIN CERTIFICATE-----`)';
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
// Rules

export const ALLOWED_RSA_SIZES: readonly number[] = [2048, 3072, 4096];
export const ALLOWED_EC_CURVES: readonly string[] = ['P-384', 'P-521'];
export const ALLOWED_SIGNATURE_HASHES: readonly string[] = ['SHA-256', 'SHA-384', 'SHA-512'];

const KEY_RULE_TEXT = 'Chaman accepts RSA 2048, 3072 or 4096 bits, or EC P-384 or P-521';

/** R6: the key. */
export function checkCertificateKey(c: InspectedCertificate, field: string): Finding[] {
  const ok =
    (c.keyType === 'RSA' && c.keySize !== undefined && ALLOWED_RSA_SIZES.includes(c.keySize)) ||
    (c.keyType === 'EC' && c.curve !== undefined && ALLOWED_EC_CURVES.includes(c.curve));
  if (ok) return [];
  return [
    error(
      'R6',
      field,
      `R6: the certificate's key is ${c.details.keyAlgorithm}; ${KEY_RULE_TEXT}: issue a new certificate with one of those keys`,
      'InvalidCertificate',
    ),
  ];
}

/** R7: the signature hash; SHA-1 is refused for REST, and for the other types from policy.sha1Cutoff. */
export function checkCertificateSignature(c: InspectedCertificate, type: ChannelType, field: string, policy: RulePolicy): Finding[] {
  const hash = c.signatureHash;
  if (ALLOWED_SIGNATURE_HASHES.includes(hash)) return [];
  if (hash === 'SHA-1') {
    if (type === 'REST') {
      return [error('R7', field, 'R7: the certificate is signed with SHA-1, which Chaman refuses for REST accounts; use a certificate signed with SHA-256, SHA-384 or SHA-512', 'InvalidCertificate')];
    }
    const cutoff = rfc3339(policy.sha1Cutoff);
    if (policy.now.getTime() >= policy.sha1Cutoff.getTime()) {
      return [
        error('R7', field, `R7: the certificate is signed with SHA-1, which Chaman refuses since ${cutoff}; use a certificate signed with SHA-256, SHA-384 or SHA-512`, 'InvalidCertificate'),
      ];
    }
    return [
      warning('R7', field, `R7: the certificate is signed with SHA-1, which Chaman accepts for ${type} accounts only until ${cutoff}; replace it before then with one signed with SHA-256, SHA-384 or SHA-512`, 'InvalidCertificate'),
    ];
  }
  return [
    error('R7', field, `R7: the certificate's signature algorithm is ${hash}; Chaman accepts SHA-256, SHA-384 or SHA-512: use a certificate signed with one of those`, 'InvalidCertificate'),
  ];
}

/** R8: self-signed only on REST, and then with key usage digitalSignature. */
export function checkCertificateIssuer(c: InspectedCertificate, type: ChannelType, field: string): Finding[] {
  if (!c.selfSigned) return [];
  if (type !== 'REST') {
    return [
      error('R8', field, `R8: the certificate is self-signed; ${type} accounts need a CA-issued ("global signed") certificate (self-signed is accepted for REST only): use a certificate from a certificate authority`, 'InvalidCertificate'),
    ];
  }
  if (c.keyUsageDigitalSignature !== true) {
    return [
      error(
        'R8',
        field,
        `R8: a self-signed certificate for REST must have key usage digitalSignature, and this one ${c.keyUsageDigitalSignature === undefined ? 'has no key usage extension' : 'lacks digitalSignature'}; create it again with keyUsage = digitalSignature (e.g. \`openssl req -x509 -addext "keyUsage=critical,digitalSignature" ...\`)`,
        'InvalidCertificate',
      ),
    ];
  }
  return [];
}

/** R10: notBefore ≤ now < notAfter. */
export function checkCertificateValidity(c: InspectedCertificate, field: string, policy: RulePolicy): Finding[] {
  const now = policy.now.getTime();
  if (now < c.notBefore.getTime()) {
    return [error('R10', field, `R10: the certificate is not valid yet (valid from ${c.details.notBefore}); wait until then or use a certificate that is valid now`, 'InvalidCertificate')];
  }
  if (now >= c.notAfter.getTime()) {
    return [error('R10', field, `R10: the certificate expired at ${c.details.notAfter}; renew it and give the new certificate`, 'InvalidCertificate')];
  }
  return [];
}

/** R6–R10 on the bytes of one certificate for an account of `type`. */
export async function checkCertificate(
  bytes: Uint8Array,
  type: ChannelType,
  field: string,
  policy: RulePolicy,
): Promise<{ certificate?: InspectedCertificate; findings: Finding[] }> {
  let certificate: InspectedCertificate;
  try {
    certificate = await inspectCertificate(bytes);
  } catch (e) {
    const message = e instanceof CertificateFormatError ? e.message : formatProblem('UNKNOWN')!;
    return { findings: [error('R9', field, message, 'InvalidCertificate')] };
  }
  const findings: Finding[] = [];
  if (certificate.containsPrivateKey) {
    findings.push(
      warning('R9', field, 'R9: this PEM also holds a private key; only the certificate is used and the key is never sent to Chaman, but keep the private key out of it (e.g. in tls.key)', 'InvalidCertificate'),
    );
  }
  findings.push(
    ...checkCertificateKey(certificate, field),
    ...checkCertificateSignature(certificate, type, field, policy),
    ...checkCertificateIssuer(certificate, type, field),
    ...checkCertificateValidity(certificate, field, policy),
  );
  return { certificate, findings };
}
