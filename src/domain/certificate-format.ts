// R9: what the bytes of a certificate file are (DER, PEM, a bundle, PKCS#12, a private key), told
// apart by a small DER/PEM sniffer before any X.509 parsing, and the safe messages that refuse what
// is not one certificate. Linear in the input, and capped before it reads (issue 16 item 1).
import { TAG, children, decodeOid, readTlv, readWhole, smallInteger } from './der.ts';
import { MAX_PEM_BLOCKS, scanPem } from './pem.ts';

export type CertificateFormat = 'DER' | 'PEM' | 'PEM_BUNDLE' | 'PKCS12' | 'PRIVATE_KEY' | 'UNKNOWN' | 'TOO_LARGE' | 'TOO_MANY_BLOCKS';

/**
 * The largest certificate file read (R9): a certificate is 1 to 3 kB, a cert-manager tls.crt with its
 * chain under 10 kB. Anything larger is refused by its size alone, before a byte of it is parsed.
 */
export const MAX_CERTIFICATE_FILE_BYTES = 64 * 1024;
export { MAX_PEM_BLOCKS };
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

export interface Sniffed {
  format: CertificateFormat;
  /** the DER of the first certificate (the leaf): the only one decoded */
  leaf?: Uint8Array;
  certificateCount: number;
  containsPrivateKey: boolean;
}

/** The format of untrusted bytes: refused by size first, then read with linear scans only. */
export function sniff(bytes: Uint8Array): Sniffed {
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
