// Every rule that applies to a new account, on a backend create request (SPEC section 5). Used by
// the emulator to answer 422 with `errors: [{field, rule, message}]`, and by the validate command.
// Field names are request-body paths (`password`, `certificates[0].content`, `permissions[1]`).
import { checkCertificateCount } from './account-rules.ts';
import { checkPermissions } from './catalog.ts';
import { checkCertificate } from './certificate-rules.ts';
import { checkFtpPassword, checkUsername } from './credentials.ts';
import { error, joinField } from './findings.ts';
import { checkSshPublicKey } from './ssh.ts';
import { CHANNEL_TYPES, credentialKind, hasManagementMode, hasUsername, listTypes, typesWhere, type ChannelType } from './channel-types.ts';
import type { Finding, ManagementMode, Permission, RulePolicy } from './types.ts';

export interface CertificateToCheck {
  name: string;
  fileName: string;
  /** the certificate's bytes (DER or PEM), decoded from the request's base64 */
  content: Uint8Array | string;
}

export interface AccountRequestToCheck {
  type: ChannelType;
  name: string;
  permissions: readonly string[];
  management?: ManagementMode;
  username?: string;
  password?: string;
  sshPublicKey?: string;
  certificates: readonly CertificateToCheck[];
}

export interface AccountRequestContext {
  catalog: Permission[];
  policy: RulePolicy;
  /** prepended to every field path (e.g. `spec`); none by default */
  fieldPrefix?: string;
}

export const ACCOUNT_NAME_MAX = 100;
export const CERTIFICATE_NAME_MAX = 100;

function bytesOf(content: Uint8Array | string): Uint8Array {
  // The HTTP contract carries base64; accept it here too so callers cannot get it wrong.
  return typeof content === 'string' ? new Uint8Array(Buffer.from(content, 'base64')) : content;
}

/** Who has what, by credential kind (channel-types.ts), for the messages that name them. */
const WITH_MANAGEMENT = listTypes(typesWhere((d) => d.certificates === 'managed'));
const WITH_USERNAME = listTypes(typesWhere((d) => d.credential === 'password' || d.credential === 'sshKey'));
const WITH_PASSWORD = listTypes(typesWhere((d) => d.credential === 'password'));
const WITH_SSH_KEY = listTypes(typesWhere((d) => d.credential === 'sshKey'));

/** What belongs to which type: a management mode (R15), a user name (R4), a password (R5), an SSH key (R17). */
function checkTypeFields(req: Partial<AccountRequestToCheck>, type: ChannelType, at: (sub: string) => string): Finding[] {
  const findings: Finding[] = [];
  if (req.management !== undefined && !hasManagementMode(type)) {
    findings.push(error('R15', at('management'), `R15: only ${WITH_MANAGEMENT} accounts have a management mode; remove it from this ${type} account`));
  }
  if (req.management !== undefined && req.management !== 'Internal' && req.management !== 'TechnicalIntermediary') {
    findings.push(error('R15', at('management'), 'R15: management is Internal or TechnicalIntermediary'));
  }
  if (hasUsername(type)) {
    findings.push(...checkUsername(req.username, at('username')));
  } else if (req.username !== undefined) {
    findings.push(error('R4', at('username'), `R4: only ${WITH_USERNAME} accounts have a user name; remove it from this ${type} account`, 'InvalidUsername'));
  }
  const kind = credentialKind(type);
  if (kind === 'password') {
    findings.push(...checkFtpPassword(req.password, at('password')));
  } else if (req.password !== undefined) {
    findings.push(error('R5', at('password'), `R5: only ${WITH_PASSWORD} accounts have a password; remove it from this ${type} account`, 'InvalidPassword'));
  }
  if (kind === 'sshKey') {
    findings.push(...checkSshPublicKey(req.sshPublicKey, at('sshPublicKey')).findings);
  } else if (req.sshPublicKey !== undefined) {
    findings.push(error('R17', at('sshPublicKey'), `R17: only ${WITH_SSH_KEY} accounts have an SSH public key; remove it from this ${type} account`, 'InvalidSSHKey'));
  }
  return findings;
}

/** R3, R4, R5, R6–R10, R11, R15, R17 on a create request. R2 (singletons) needs the sender's accounts: the caller checks it. */
export async function checkAccountRequest(
  request: AccountRequestToCheck | { type: string; [k: string]: unknown },
  ctx: AccountRequestContext,
): Promise<Finding[]> {
  const at = (sub: string) => joinField(ctx.fieldPrefix ?? '', sub);
  const req = request as Partial<AccountRequestToCheck> & { type: string };
  const findings: Finding[] = [];
  if (!(CHANNEL_TYPES as readonly string[]).includes(req.type)) {
    return [error('SCHEMA', at('type'), `the channel type must be one of ${CHANNEL_TYPES.join(', ')}`)];
  }
  const type = req.type as ChannelType;

  if (typeof req.name !== 'string' || req.name.trim() === '') {
    findings.push(error('SCHEMA', at('name'), 'the account name is required: give the label Chaman shows for the account'));
  } else if (req.name.length > ACCOUNT_NAME_MAX) {
    findings.push(error('SCHEMA', at('name'), `the account name is longer than ${ACCOUNT_NAME_MAX} characters; shorten it`));
  }

  findings.push(...checkPermissions(req.permissions, type, ctx.catalog, at('permissions')));

  findings.push(...checkTypeFields(req, type, at));
  const certificates = Array.isArray(req.certificates) ? req.certificates : [];
  findings.push(...checkCertificateCount(type, req.management, certificates.length, at('certificates')));
  const fingerprints = new Map<string, number>();
  const names = new Map<string, number>();
  for (const [i, cert] of certificates.entries()) {
    const base = at(`certificates[${i}]`);
    if (typeof cert?.name !== 'string' || cert.name.trim() === '') {
      findings.push(error('SCHEMA', joinField(base, 'name'), 'the certificate name ("Nom du certificat") is required'));
    } else if (cert.name.length > CERTIFICATE_NAME_MAX) {
      findings.push(error('SCHEMA', joinField(base, 'name'), `the certificate name is longer than ${CERTIFICATE_NAME_MAX} characters; shorten it`));
    } else if (names.has(cert.name)) {
      findings.push(error('R3', joinField(base, 'name'), `R3: certificate name ${cert.name} is used twice (certificates[${names.get(cert.name)}]); give each certificate its own name`, 'InvalidCertificate'));
    } else {
      names.set(cert.name, i);
    }
    if (typeof cert?.fileName !== 'string' || cert.fileName.trim() === '') {
      findings.push(error('SCHEMA', joinField(base, 'fileName'), 'the certificate file name is required, e.g. certificate.cer'));
    }
    if (cert?.content === undefined || cert.content === null || (typeof cert.content !== 'string' && !(cert.content instanceof Uint8Array))) {
      findings.push(error('R9', joinField(base, 'content'), 'R9: the certificate content is required: one X.509 certificate, DER or PEM', 'InvalidCertificate'));
      continue;
    }
    const checked = await checkCertificate(bytesOf(cert.content), type, joinField(base, 'content'), ctx.policy);
    findings.push(...checked.findings);
    const fp = checked.certificate?.details.sha256Fingerprint;
    if (fp !== undefined) {
      const first = fingerprints.get(fp);
      if (first !== undefined) {
        findings.push(error('R3', joinField(base, 'content'), `R3: this certificate is the same as certificates[${first}]; give each certificate once`, 'InvalidCertificate'));
      } else {
        fingerprints.set(fp, i);
      }
    }
  }
  return findings;
}
