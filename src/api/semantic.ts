// The domain rules (R1–R17) applied to ChamanSender and ChannelAccount objects, with the content
// of the Secrets they reference. Pure: the caller resolves Secrets (from the input files for
// `validate`, from the API server for the controller). Shared by both so they never disagree.
import {
  checkCertificate,
  checkContact,
  checkFtpPassword,
  checkPermissions,
  checkSshPublicKey,
  checkUsername,
} from '../domain/index.ts';
import type { InspectedCertificate } from '../domain/index.ts';
import type { ChannelType, Finding, Permission, RulePolicy } from '../domain/types.ts';
import { blockUsername, credentialBlocks, credentialSecretRefs, ownCredentialBlock } from './credential-blocks.ts';
import type { ChamanSenderSpec, ChannelAccountSpec } from './types.generated.ts';

/** What a Secret lookup can answer: its data, "absent", or "unknown" (offline, not in the input). */
export type SecretData = Record<string, Uint8Array>;
export type SecretLookup = (name: string) => SecretData | 'absent' | 'unknown';

export interface ResolvedCertificate {
  index: number;
  name: string;
  fileName: string;
  field: string;
  bytes: Uint8Array;
}

/** The credentials of an account, read from its Secrets. Holds secret values: never log it. */
export interface AccountMaterial {
  certificates: ResolvedCertificate[];
  password?: string;
  /** where the password comes from (`spec.ftp.passwordSecretRef`), for findings */
  passwordField?: string;
  sshPublicKey?: string;
  /** where the SSH public key comes from (`spec.sftp.publicKey` or `spec.sftp.publicKeySecretRef`) */
  sshPublicKeyField?: string;
  /** References that could not be read (offline: the Secret is not in the input), so were not checked. */
  unresolved: number;
}

const decoder = new TextDecoder();

function readKey(
  lookup: SecretLookup,
  ref: { name: string; key?: string },
  defaultKey: string,
  field: string,
  what: string,
  findings: Finding[],
): Uint8Array | 'unknown' | undefined {
  const key = ref.key ?? defaultKey;
  const data = lookup(ref.name);
  if (data === 'unknown') return 'unknown';
  if (data === 'absent') {
    findings.push({
      rule: 'SCHEMA',
      field,
      severity: 'error',
      reason: 'SecretNotFound',
      message: `${field}: Secret "${ref.name}" does not exist in this namespace; create it with the ${what} under key "${key}".`,
    });
    return undefined;
  }
  const value = data[key];
  if (!value) {
    findings.push({
      rule: 'SCHEMA',
      field,
      severity: 'error',
      reason: 'SecretNotFound',
      message: `${field}: Secret "${ref.name}" has no key "${key}"; put the ${what} under that key, or set ${field}.key.`,
    });
    return undefined;
  }
  return value;
}

export function resolveAccountMaterial(spec: ChannelAccountSpec, lookup: SecretLookup): { material: AccountMaterial; findings: Finding[] } {
  const findings: Finding[] = [];
  const material: AccountMaterial = { certificates: [], unresolved: 0 };
  (spec.certificates ?? []).forEach((cert, index) => {
    const field = `spec.certificates[${index}].secretRef`;
    const bytes = readKey(lookup, cert.secretRef, 'tls.crt', field, 'certificate', findings);
    if (bytes === 'unknown') material.unresolved++;
    else if (bytes) material.certificates.push({ index, name: cert.name, fileName: cert.fileName ?? `${cert.name}.cer`, field, bytes });
  });
  // Only the block of the spec's own type gives material; the kind says what it is.
  const own = ownCredentialBlock(spec);
  if (own?.kind === 'password') {
    const [ref] = credentialSecretRefs(own);
    const bytes = readKey(lookup, ref!, ref!.defaultKey, ref!.field, ref!.what, findings);
    if (bytes === 'unknown') material.unresolved++;
    else if (bytes) Object.assign(material, { password: decoder.decode(bytes), passwordField: ref!.field });
  }
  if (own?.kind === 'sshKey') {
    const [ref] = credentialSecretRefs(own);
    if (own.block.publicKey !== undefined) Object.assign(material, { sshPublicKey: own.block.publicKey, sshPublicKeyField: `${own.field}.publicKey` });
    else if (ref) {
      const bytes = readKey(lookup, ref, ref.defaultKey, ref.field, ref.what, findings);
      if (bytes === 'unknown') material.unresolved++;
      else if (bytes) Object.assign(material, { sshPublicKey: decoder.decode(bytes), sshPublicKeyField: ref.field });
    }
  }
  return { material, findings };
}

export interface AccountRuleContext {
  catalog: Permission[];
  policy: RulePolicy;
}

/** R4, R5, R6–R10, R11, R17 on a ChannelAccount whose Secrets were resolved. */
export async function checkChannelAccount(spec: ChannelAccountSpec, material: AccountMaterial, ctx: AccountRuleContext): Promise<Finding[]> {
  return (await checkChannelAccountInputs(spec, material, ctx)).findings;
}

export interface CheckedAccountInputs {
  findings: Finding[];
  /** What each of material.certificates was read as (same order); undefined where it could not be read. */
  certificates: (InspectedCertificate | undefined)[];
}

/** checkChannelAccount, keeping each certificate as the rules read it, so that nothing parses it again. */
export async function checkChannelAccountInputs(
  spec: ChannelAccountSpec,
  material: AccountMaterial,
  ctx: AccountRuleContext,
): Promise<CheckedAccountInputs> {
  const type = spec.type as ChannelType;
  const findings: Finding[] = [];
  findings.push(...checkPermissions(spec.permissions ?? [], type, ctx.catalog, 'spec.permissions'));
  for (const block of credentialBlocks(spec)) {
    const user = blockUsername(block);
    if (user) findings.push(...checkUsername(user.username, user.field));
  }
  if (material.password !== undefined) {
    findings.push(...checkFtpPassword(material.password, material.passwordField ?? ''));
  }
  if (material.sshPublicKey !== undefined) {
    findings.push(...checkSshPublicKey(material.sshPublicKey, material.sshPublicKeyField ?? '').findings);
  }
  const certificates: (InspectedCertificate | undefined)[] = [];
  for (const cert of material.certificates) {
    const checked = await checkCertificate(cert.bytes, type, cert.field, ctx.policy);
    findings.push(...checked.findings);
    certificates.push(checked.certificate);
  }
  return { findings, certificates };
}

/** R1 on a ChamanSender. */
export function checkChamanSender(spec: ChamanSenderSpec): Finding[] {
  return checkContact(spec.contact, 'spec.contact');
}
