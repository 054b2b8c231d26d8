// R6–R10 on an inspected certificate: its key, its signature hash, its issuer, its validity.
import { inspectCertificate, type InspectedCertificate } from './certificate.ts';
import { CertificateFormatError, formatProblem } from './certificate-format.ts';
import { error, warning } from './findings.ts';
import { rfc3339 } from './time.ts';
import { channelType, listTypes, typesWhere, type ChannelType } from './channel-types.ts';
import type { Finding, RulePolicy } from './types.ts';

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

/** R7: the signature hash; SHA-1 is refused always for some types (REST), for the others from policy.sha1Cutoff. */
export function checkCertificateSignature(c: InspectedCertificate, type: ChannelType, field: string, policy: RulePolicy): Finding[] {
  const hash = c.signatureHash;
  if (ALLOWED_SIGNATURE_HASHES.includes(hash)) return [];
  if (hash === 'SHA-1') {
    if (channelType(type)?.sha1Refused === 'always') {
      return [error('R7', field, `R7: the certificate is signed with SHA-1, which Chaman refuses for ${type} accounts; use a certificate signed with SHA-256, SHA-384 or SHA-512`, 'InvalidCertificate')];
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

/** R8: self-signed only on the types that accept it (REST), and then with key usage digitalSignature. */
export function checkCertificateIssuer(c: InspectedCertificate, type: ChannelType, field: string): Finding[] {
  if (!c.selfSigned) return [];
  if (!channelType(type)?.selfSigned) {
    const accepting = listTypes(typesWhere((d) => d.selfSigned));
    return [
      error('R8', field, `R8: the certificate is self-signed; ${type} accounts need a CA-issued ("global signed") certificate (self-signed is accepted for ${accepting} only): use a certificate from a certificate authority`, 'InvalidCertificate'),
    ];
  }
  if (c.keyUsageDigitalSignature !== true) {
    return [
      error(
        'R8',
        field,
        `R8: a self-signed certificate for ${type} must have key usage digitalSignature, and this one ${c.keyUsageDigitalSignature === undefined ? 'has no key usage extension' : 'lacks digitalSignature'}; create it again with keyUsage = digitalSignature (e.g. \`openssl req -x509 -addext "keyUsage=critical,digitalSignature" ...\`)`,
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
