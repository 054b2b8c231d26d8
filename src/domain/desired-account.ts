// What the spec of a ChannelAccount asks Chaman to hold, once its Secrets are read and checked.
// Holds secret values (password): never log it, never put it in status or events.
import type { CertificateUpload, CreateAccountRequest } from './account.ts';
import type { CertificateDetails } from './types.ts';

export interface DesiredCertificate {
  name: string;
  fileName: string;
  der: Uint8Array;
  /** As Chaman shows it: upper-case hex pairs with colons. */
  sha256Fingerprint: string;
  details: CertificateDetails;
}

/**
 * The account a create would send (management: REST only, Internal when the spec leaves it out), with
 * its certificates as read from the Secrets rather than as uploaded.
 */
export interface DesiredAccount extends Omit<CreateAccountRequest, 'certificates'> {
  certificates: DesiredCertificate[];
}

export function certificateUpload(certificate: DesiredCertificate): CertificateUpload {
  return { name: certificate.name, fileName: certificate.fileName, content: Buffer.from(certificate.der).toString('base64') };
}

export function createRequest(desired: DesiredAccount): CreateAccountRequest {
  return {
    type: desired.type,
    name: desired.name,
    permissions: desired.permissions,
    ...(desired.management ? { management: desired.management } : {}),
    ...(desired.username !== undefined ? { username: desired.username } : {}),
    ...(desired.password !== undefined ? { password: desired.password } : {}),
    ...(desired.sshPublicKey !== undefined ? { sshPublicKey: desired.sshPublicKey } : {}),
    certificates: desired.certificates.map(certificateUpload),
  };
}
