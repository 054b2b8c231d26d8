// Domain vocabulary shared by the controller, the validate command and the emulator.
// Pure types: no I/O, no Kubernetes, no HTTP.

import { typeKey, type ChannelType } from './channel-types.ts';

// The channel types are described once, in channel-types.ts.
export { CHANNEL_TYPES } from './channel-types.ts';
export type { ChannelType } from './channel-types.ts';

/** The key of a channel type in a sender's status.accounts (`ftp`, `rest`, …). */
export function accountCountKey(type: ChannelType): string {
  return typeKey(type);
}

export const LANGUAGES = ['fr', 'nl', 'de', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export type ManagementMode = 'Internal' | 'TechnicalIntermediary';
export type OrganizationKind = 'Enterprise' | 'Professional';

/** Rule IDs of SPEC section 2, plus SCHEMA for what the CRD schema (OpenAPI + CEL) enforces. */
export type RuleId =
  | 'R1' | 'R2' | 'R3' | 'R4' | 'R5' | 'R6' | 'R7' | 'R8' | 'R9'
  | 'R10' | 'R11' | 'R12' | 'R13' | 'R14' | 'R15' | 'R16' | 'R17'
  | 'SCHEMA'
  /** SPEC section 3, Tenancy: a ChamanSender needs a ChamanSenderGrant for the operator-wide credentials. */
  | 'TENANCY';

export type Severity = 'error' | 'warning';

/** Reasons of the `Invalid` condition (SPEC section 3). */
export type InvalidReason =
  | 'InvalidCertificate'
  | 'InvalidPassword'
  | 'InvalidUsername'
  | 'InvalidSSHKey'
  | 'UnknownPermission'
  | 'PermissionNotAllowed'
  | 'SecretNotFound'
  | 'DuplicateChannel'
  | 'InvalidContact'
  /** The annotation chaman.io/external-name cannot be an account id. */
  | 'InvalidExternalName';

/**
 * One broken rule. `field` is a path in the object being checked (e.g. `spec.ftp.username`,
 * or `password` in a backend request body). `message` says what is wrong and what to do;
 * it never contains a password, a private key or a token.
 */
export interface Finding {
  rule: RuleId;
  field: string;
  severity: Severity;
  message: string;
  reason?: InvalidReason;
}

export interface Phone {
  countryCode: string;
  number: string;
}

export interface Contact {
  name: string;
  role?: string;
  phone: Phone;
  email: string;
  language: Language;
}

export interface Organization {
  kind: OrganizationKind;
  name: string;
}

/** A permission of the catalog (SPEC section 6). */
export interface Permission {
  id: string;
  channelTypes: ChannelType[];
  labels: Record<Language, string>;
}

/** A certificate as Chaman's detail page shows it (SPEC section 3, status.certificates). */
export interface CertificateDetails {
  name: string;
  fileName: string;
  /** "Propriétaire", e.g. `CN=testtruststore:sha256:rsa4096, O=SMALS` */
  subject: string;
  /** "Entreprise": the subject's O, or '' */
  organization: string;
  /** "Fournisseur": the issuer's CN (or the whole issuer DN when it has no CN) */
  issuer: string;
  /** decimal, as Chaman shows it */
  serialNumber: string;
  /** RFC 3339, seconds precision, UTC (`2026-02-16T10:00:00Z`) */
  notBefore: string;
  notAfter: string;
  /** upper-case hex pairs separated by colons */
  sha256Fingerprint: string;
  /** `RSA-2048`, `RSA-3072`, `RSA-4096`, `EC-P384`, `EC-P521`, or what was found (`RSA-1024`, `EC-P256`, `Ed25519`) */
  keyAlgorithm: string;
  /** `SHA-256`, `SHA-384`, `SHA-512`, `SHA-1` */
  signatureAlgorithm: string;
  selfSigned: boolean;
}

/** The clock and the policy settings every time-dependent rule reads; injectable for tests. */
export interface RulePolicy {
  now: Date;
  /** R7: from this instant SHA-1 is refused for FTP, SFTP and SOAP too (REST: always). */
  sha1Cutoff: Date;
}

export const DEFAULT_SHA1_CUTOFF = new Date('2026-01-01T00:00:00Z');

export function defaultPolicy(now: Date = new Date()): RulePolicy {
  return { now, sha1Cutoff: DEFAULT_SHA1_CUTOFF };
}
