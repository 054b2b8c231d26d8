// The credentials of a ChannelAccount by kind (domain/channel-types.ts): the spec block of each type
// (`spec.ftp`, `spec.sftp`, `spec.rest`), what it holds and which Secrets it references. The code that
// reads credentials (the rules, the controller, validate, status) asks here by kind, so a type that
// reuses a kind needs nothing new in it.
import { CHANNEL_TYPE_TABLE, CHANNEL_TYPES, typeKey, type ChannelType } from '../domain/channel-types.ts';
import type { ChannelAccountSpec } from './types.generated.ts';

/** The blocks as generated for FTP, SFTP and REST; another type of the same kind gets the same shape. */
export type PasswordBlock = NonNullable<ChannelAccountSpec['ftp']>;
export type SshKeyBlock = NonNullable<ChannelAccountSpec['sftp']>;
export type ClientIdBlock = NonNullable<ChannelAccountSpec['rest']>;

interface Located {
  type: ChannelType;
  /** the block's path, e.g. `spec.ftp` */
  field: string;
}

export type CredentialBlock =
  | (Located & { kind: 'password'; block: PasswordBlock })
  | (Located & { kind: 'sshKey'; block: SshKeyBlock })
  | (Located & { kind: 'clientId'; block: ClientIdBlock });

/**
 * Every credential block present in a spec, in table order, whatever spec.type says: the CEL rules
 * refuse a block of another type, and the checks that read a block (the user name) run on what is
 * there, as they always have.
 */
export function credentialBlocks(spec: ChannelAccountSpec): CredentialBlock[] {
  const blocks: CredentialBlock[] = [];
  const fields = spec as unknown as Record<string, unknown>;
  for (const type of CHANNEL_TYPES) {
    const kind = CHANNEL_TYPE_TABLE[type].credential;
    const block = fields[typeKey(type)];
    if (kind === 'none' || block === undefined || block === null) continue;
    blocks.push({ kind, type, field: `spec.${typeKey(type)}`, block } as CredentialBlock);
  }
  return blocks;
}

/** The block of the spec's own type, when present. */
export function ownCredentialBlock(spec: ChannelAccountSpec): CredentialBlock | undefined {
  return credentialBlocks(spec).find((b) => b.type === spec.type);
}

/** A Secret a credential block references. */
export interface CredentialSecretRef {
  name: string;
  key?: string;
  /** the key read when `key` is not set */
  defaultKey: string;
  /** the reference's path, e.g. `spec.ftp.passwordSecretRef` */
  field: string;
  /** what the Secret holds, in words (`FTP password`) */
  what: string;
  /** the status's name for the Secret's role (`ftp-password`, `ssh-public-key`) */
  role: `${string}-password` | 'ssh-public-key';
}

export function credentialSecretRefs(b: CredentialBlock): CredentialSecretRef[] {
  switch (b.kind) {
    // A reference without a name is left out: status reads objects the schema has not checked.
    case 'password': {
      const ref = b.block.passwordSecretRef;
      const role = `${typeKey(b.type)}-password` as const;
      return ref?.name ? [{ ...ref, defaultKey: 'password', field: `${b.field}.passwordSecretRef`, what: `${b.type} password`, role }] : [];
    }
    case 'sshKey': {
      const ref = b.block.publicKeySecretRef;
      return ref?.name ? [{ ...ref, defaultKey: 'ssh-publickey', field: `${b.field}.publicKeySecretRef`, what: 'SSH public key', role: 'ssh-public-key' }] : [];
    }
    case 'clientId':
      return [];
  }
}

/** The user name a block carries (password and SSH-key credentials), with its path. */
export function blockUsername(b: CredentialBlock): { username: string; field: string } | undefined {
  return b.kind === 'password' || b.kind === 'sshKey' ? { username: b.block.username, field: `${b.field}.username` } : undefined;
}
