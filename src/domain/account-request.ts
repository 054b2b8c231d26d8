// Every rule that applies to a new account, on a backend create request (SPEC section 5). Used by
// the emulator to answer 422 with `errors: [{field, rule, message}]`, and by the validate command.
// Field names are request-body paths (`password`, `certificates[0].content`, `permissions[1]`).
import { checkCertificateCount } from './account-rules.ts';
import { checkPermissions } from './catalog.ts';
import { checkCertificate } from './certificate-rules.ts';
import { checkFtpPassword, checkUsername } from './credentials.ts';
import { error, joinField } from './findings.ts';
import { checkSshPublicKey } from './ssh.ts';
import { CHANNEL_TYPES } from './types.ts';
import type { ChannelType, Finding, ManagementMode, Permission, RulePolicy } from './types.ts';

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

  // What belongs to which type: management (REST), username+password (FTP), username+key (SFTP).
  if (req.management !== undefined && type !== 'REST') {
    findings.push(error('R15', at('management'), `R15: only REST accounts have a management mode; remove it from this ${type} account`));
  }
  if (req.management !== undefined && req.management !== 'Internal' && req.management !== 'TechnicalIntermediary') {
    findings.push(error('R15', at('management'), 'R15: management is Internal or TechnicalIntermediary'));
  }
  if (type === 'FTP' || type === 'SFTP') {
    findings.push(...checkUsername(req.username, at('username')));
  } else if (req.username !== undefined) {
    findings.push(error('R4', at('username'), `R4: only FTP and SFTP accounts have a user name; remove it from this ${type} account`, 'InvalidUsername'));
  }
  if (type === 'FTP') {
    findings.push(...checkFtpPassword(req.password, at('password')));
  } else if (req.password !== undefined) {
    findings.push(error('R5', at('password'), `R5: only FTP accounts have a password; remove it from this ${type} account`, 'InvalidPassword'));
  }
  if (type === 'SFTP') {
    findings.push(...checkSshPublicKey(req.sshPublicKey, at('sshPublicKey')).findings);
  } else if (req.sshPublicKey !== undefined) {
    findings.push(error('R17', at('sshPublicKey'), `R17: only SFTP accounts have an SSH public key; remove it from this ${type} account`, 'InvalidSSHKey'));
  }

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
