// Accounts and senders as Chaman holds them, and the requests that change them (SPEC section 5):
// the vocabulary of the pure decisions (the desired account, the plan of an update) and of the
// Chaman client. Types only.
import type { CertificateDetails, ChannelType, Contact, ManagementMode, Organization } from './types.ts';

export interface ChamanCertificate extends CertificateDetails {
  id: string;
}

export interface ChamanAccount {
  id: string;
  type: ChannelType;
  name: string;
  permissions: string[];
  management?: ManagementMode;
  /** FTP/SFTP, with the EXP prefix (`EXPWK23`) */
  username?: string;
  /** REST (R16) */
  clientId?: string;
  /** SFTP, RFC 4716 */
  sshPublicKey?: string;
  certificates: ChamanCertificate[];
  createdAt: string;
  updatedAt: string;
}

export interface ChamanSenderInfo {
  senderNumber: string;
  organization: Organization | null;
  contact: Contact | null;
}

/** A certificate to upload: `content` is the base64 of the DER bytes (never a private key). */
export interface CertificateUpload {
  name: string;
  fileName: string;
  content: string;
}

export interface CreateAccountRequest {
  type: ChannelType;
  name: string;
  permissions: string[];
  management?: ManagementMode;
  /** without the EXP prefix */
  username?: string;
  /** FTP only; write-only */
  password?: string;
  sshPublicKey?: string;
  certificates: CertificateUpload[];
}

export interface EditAccountRequest {
  name?: string;
  permissions?: string[];
  username?: string;
  sshPublicKey?: string;
}
