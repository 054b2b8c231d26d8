// Each channel type described once: what differs by type in the rules (R2, R3, R7, R8, R11, R12,
// R15) and which credentials its accounts carry. CHANNEL_TYPES, the rule lookups, the catalog's
// channel types, the CRD's per-type blocks and CEL rules, and the code that reads credentials derive
// from this table, so a type that reuses a credential kind is one entry here (then `npm run generate`).
// Pure data: no imports but types, so every module may read it.

/** R12: what Chaman lets one change on an existing account. */
export type EditableField =
  | 'name'
  | 'permissions'
  | 'username'
  | 'sshPublicKey'
  | 'certificateReplace'
  | 'certificateAdd'
  | 'certificateRemove';

/**
 * What an account carries besides its certificates, held in the spec block `spec.<type in lower case>`:
 * - password: a user name and a password from a Secret (R4, R5); the block is required.
 * - sshKey: a user name and an SSH public key, inline or from a Secret (R4, R17); the block is required.
 * - clientId: nothing to give: Chaman gives the account a client ID (R16); the optional block says
 *   where to publish it.
 * - none: no block.
 * Code that handles credentials switches on the kind, never on the type.
 */
export type CredentialKind = 'password' | 'sshKey' | 'clientId' | 'none';

export interface ChannelTypeDescriptor {
  /** R2: at most one account of this type per sender. */
  singleton: boolean;
  /**
   * R3, R15. 'one': exactly one certificate, changed by replacing it. 'managed': the account has a
   * management mode; managed internally it holds one or more, managed by a technical intermediary none.
   */
  certificates: 'one' | 'managed';
  /** R7: SHA-1 is refused 'always', or 'fromCutoff' (the policy's sha1Cutoff; a warning before). */
  sha1Refused: 'always' | 'fromCutoff';
  /** R8: self-signed certificates are accepted (they must then have key usage digitalSignature). */
  selfSigned: boolean;
  /** R11: the ids of the catalog's permissions for this type (an account needs one), or 'none' (an account has none). */
  permissions: readonly string[] | 'none';
  /** R12, in the order the Chaman UI offers them. */
  editable: readonly EditableField[];
  credential: CredentialKind;
}

const REST_PERMISSIONS = [
  'CareerProFederalLearningAccountDeclaration',
  'CheckInAtWorkConsultation',
  'DimonaConsultation',
  'DimonaDeclaration',
  'WithholdingObligation',
  'EmployerRestFrontOffice',
  'EmployerRestPublic',
  'WitaAmateurEnterprise',
] as const;

/** The types in the order Chaman lists them (and the CRD, the status counts and the demo follow). */
const TABLE = {
  FTP: {
    singleton: true,
    certificates: 'one',
    sha1Refused: 'fromCutoff',
    selfSigned: false,
    permissions: ['SupplementaryPensionsPreload'],
    editable: [],
    credential: 'password',
  },
  SFTP: {
    singleton: true,
    certificates: 'one',
    sha1Refused: 'fromCutoff',
    selfSigned: false,
    permissions: ['SupplementaryPensionsPreload'],
    editable: ['name', 'permissions', 'username', 'sshPublicKey', 'certificateReplace'],
    credential: 'sshKey',
  },
  SOAP: {
    singleton: true,
    certificates: 'one',
    sha1Refused: 'fromCutoff',
    selfSigned: false,
    permissions: 'none',
    editable: ['certificateReplace'],
    credential: 'none',
  },
  // Certificates are added and removed, never replaced: Chaman's page has only "add" and "remove", so
  // rotation is add-then-remove (never without a valid one).
  REST: {
    singleton: false,
    certificates: 'managed',
    sha1Refused: 'always',
    selfSigned: true,
    permissions: REST_PERMISSIONS,
    editable: ['name', 'permissions', 'certificateAdd', 'certificateRemove'],
    credential: 'clientId',
  },
} as const satisfies Record<string, ChannelTypeDescriptor>;

export type ChannelType = keyof typeof TABLE;

/** Read as descriptors (the literal types above only give ChannelType its members). */
export const CHANNEL_TYPE_TABLE: Readonly<Record<ChannelType, ChannelTypeDescriptor>> = TABLE;

export const CHANNEL_TYPES = Object.keys(CHANNEL_TYPE_TABLE) as readonly ChannelType[];

/** The description of a type; undefined for a string that is not one. */
export function channelType(type: ChannelType): ChannelTypeDescriptor;
export function channelType(type: string): ChannelTypeDescriptor | undefined;
export function channelType(type: string): ChannelTypeDescriptor | undefined {
  return Object.hasOwn(CHANNEL_TYPE_TABLE, type) ? CHANNEL_TYPE_TABLE[type as ChannelType] : undefined;
}

export function isChannelType(type: unknown): type is ChannelType {
  return typeof type === 'string' && Object.hasOwn(CHANNEL_TYPE_TABLE, type);
}

/** The types whose description matches, in table order. */
export function typesWhere(match: (d: ChannelTypeDescriptor) => boolean): ChannelType[] {
  return CHANNEL_TYPES.filter((type) => match(CHANNEL_TYPE_TABLE[type]));
}

/** The credential kind of a type; 'none' for a string that is not a type. */
export function credentialKind(type: string): CredentialKind {
  return channelType(type)?.credential ?? 'none';
}

/** R15: the type has a management mode (Internal or TechnicalIntermediary). */
export function hasManagementMode(type: string): boolean {
  return channelType(type)?.certificates === 'managed';
}

/** R4: the type's accounts have a user name (password and SSH-key credentials carry one). */
export function hasUsername(type: string): boolean {
  const kind = credentialKind(type);
  return kind === 'password' || kind === 'sshKey';
}

/** The spec block of a type's credentials (`ftp`, `rest`, …), also its key in a sender's status.accounts. */
export function typeKey(type: ChannelType): string {
  return type.toLowerCase();
}

/** "A", "A and B", "A, B and C": a list of types in a message. */
export function listTypes(types: readonly string[], last = 'and'): string {
  return types.length <= 1 ? (types[0] ?? '') : `${types.slice(0, -1).join(', ')} ${last} ${types.at(-1)}`;
}
