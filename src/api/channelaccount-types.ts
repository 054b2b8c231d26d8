// The parts of the ChannelAccount schema that differ by channel type, derived from the table of
// domain/channel-types.ts: each type's credential block (by its credential kind), the CEL rules that
// tie blocks, management, certificates and permissions to the type, and the words that list types.
// cel-checks.ts mirrors each rule from the same lists, so the two cannot drift apart.
import { USERNAME_PATTERN } from '../domain/contact.ts';
import {
  CHANNEL_TYPE_TABLE,
  CHANNEL_TYPES,
  listTypes,
  typeKey,
  typesWhere,
  type ChannelType,
  type CredentialKind,
} from '../domain/channel-types.ts';
import { keyedRef } from './common.ts';
import { obj, str, type CelRule, type Schema } from './openapi.ts';

/** The types by what the rules ask of them. */
export const TYPES = {
  all: CHANNEL_TYPES,
  /** R3: exactly one certificate */
  oneCertificate: typesWhere((d) => d.certificates === 'one'),
  /** R15: a management mode; certificates as it says */
  managed: typesWhere((d) => d.certificates === 'managed'),
  /** R11: at least one permission */
  withPermissions: typesWhere((d) => d.permissions !== 'none'),
  withoutPermissions: typesWhere((d) => d.permissions === 'none'),
  /** R4 */
  withUsername: typesWhere((d) => d.credential === 'password' || d.credential === 'sshKey'),
  withPassword: typesWhere((d) => d.credential === 'password'),
  /** R16 */
  withClientId: typesWhere((d) => d.credential === 'clientId'),
  /** R8 */
  selfSigned: typesWhere((d) => d.selfSigned),
};

/** The types that have a credential block, with its key in spec (`ftp`) and its kind. */
export const CREDENTIAL_BLOCKS = CHANNEL_TYPES.flatMap((type) => {
  const kind = CHANNEL_TYPE_TABLE[type].credential;
  return kind === 'none' ? [] : [{ type, key: typeKey(type), kind: kind as Exclude<CredentialKind, 'none'> }];
});

/** CEL: the spec's type is one of `types` (`self.type == 'REST'`, or `self.type in [...]`). */
export function typeIs(types: readonly ChannelType[]): string {
  if (types.length === 0) return 'false';
  return types.length === 1 ? `self.type == '${types[0]}'` : `self.type in [${types.map((t) => `'${t}'`).join(', ')}]`;
}

export function typeIsNot(types: readonly ChannelType[]): string {
  if (types.length === 0) return 'true';
  return types.length === 1 ? `self.type != '${types[0]}'` : `!(self.type in [${types.map((t) => `'${t}'`).join(', ')}])`;
}

/** R17: an SSH-key block holds the key inline or by reference, exactly one of them. */
export function sshKeyRule(key: string): CelRule {
  return { rule: 'has(self.publicKey) != has(self.publicKeySecretRef)', message: `spec.${key} needs exactly one of publicKey or publicKeySecretRef (R17).` };
}

/** The rule that ties a type's block to the type: required for credentials given, optional otherwise. */
export function blockRule(type: ChannelType, key: string, kind: Exclude<CredentialKind, 'none'>): CelRule {
  return kind === 'clientId'
    ? { rule: `!has(self.${key}) || self.type == '${type}'`, message: `spec.${key} is allowed only when type is ${type}.`, fieldPath: `.${key}` }
    : { rule: `has(self.${key}) == (self.type == '${type}')`, message: `spec.${key} is required when type is ${type}, and allowed only then.`, fieldPath: `.${key}` };
}

// Shared by every block with a user name (one schema object: the CRD's YAML names it once).
const username = str(
  'User name without the EXP prefix (R4): ASCII letters and digits, 1 to 10 characters. Chaman shows it as EXP<username>.',
  { pattern: USERNAME_PATTERN, minLength: 1, maxLength: 10 },
);

function blockSchema(type: ChannelType, key: string, kind: Exclude<CredentialKind, 'none'>): Schema {
  switch (kind) {
    case 'password':
      return obj(
        `${type} credentials (type ${type} only).`,
        { username, passwordSecretRef: keyedRef(`The Secret that holds the ${type} password (R5).`, 'password', 'Key of the password.') },
        ['username', 'passwordSecretRef'],
      );
    case 'sshKey':
      return obj(
        `${type} credentials (type ${type} only): a user name and an SSH public key (R17).`,
        {
          username,
          publicKey: str('SSH public key, OpenSSH one-line or RFC 4716 (SSH-2) format (R17).', { minLength: 1, maxLength: 16384 }),
          publicKeySecretRef: keyedRef('A Secret or key that holds the SSH public key, instead of publicKey.', 'ssh-publickey', 'Key of the public key.'),
        },
        ['username'],
        { 'x-kubernetes-validations': [sshKeyRule(key)] },
      );
    case 'clientId':
      return obj(`${type} options (type ${type} only).`, {
        clientIdConfigMap: keyedRef(
          'Publish the client ID Chaman gives the account (R16) in this ConfigMap, owned by the ChannelAccount.',
          'clientId',
          'Key of the client ID.',
        ),
      });
  }
}

/** spec's credential blocks (`ftp`, `sftp`, `rest`), in table order. */
export const CREDENTIAL_BLOCK_SCHEMAS: Record<string, Schema> = Object.fromEntries(
  CREDENTIAL_BLOCKS.map(({ type, key, kind }) => [key, blockSchema(type, key, kind)]),
);

const { managed, oneCertificate, withPermissions, withoutPermissions } = TYPES;

/** The rules that do not depend on a block, keyed so cel-checks.ts can mirror each one; a rule no type needs is left out. */
const TYPE_RULES: Record<string, CelRule | undefined> = {
  managementOnly: managed.length === 0 ? undefined : {
    rule: `!has(self.management) || ${typeIs(managed)}`,
    message: `spec.management is allowed only when type is ${listTypes(managed, 'or')} (R15).`,
    fieldPath: '.management',
  },
  singleCertificate: oneCertificate.length === 0 ? undefined : {
    rule: `${typeIs(managed)} || (has(self.certificates) && size(self.certificates) == 1)`,
    message:
      `${listTypes(oneCertificate)} accounts have exactly one certificate (R3): list one in spec.certificates; to change it, edit that entry (Chaman replaces it).`,
    fieldPath: '.certificates',
  },
  internalCertificates: managed.length === 0 ? undefined : {
    rule: `${typeIsNot(managed)} || (has(self.management) && self.management == 'TechnicalIntermediary') || (has(self.certificates) && size(self.certificates) >= 1)`,
    message:
      `${listTypes(managed)} accounts managed internally need at least one certificate (R3, R15): add one to spec.certificates, or set spec.management to TechnicalIntermediary.`,
    fieldPath: '.certificates',
  },
  intermediaryNoCertificates: managed.length === 0 ? undefined : {
    rule: "!has(self.management) || self.management != 'TechnicalIntermediary' || !has(self.certificates) || size(self.certificates) == 0",
    message:
      `${listTypes(managed)} accounts managed by a technical intermediary carry no certificate (R15): remove spec.certificates, or set spec.management to Internal.`,
    fieldPath: '.certificates',
  },
  permissionsRequired: withPermissions.length === 0 ? undefined : {
    rule: `${typeIs(withoutPermissions)} || (has(self.permissions) && size(self.permissions) >= 1)`,
    message: `${listTypes(withPermissions)} accounts need at least one permission in spec.permissions (R11).`,
    fieldPath: '.permissions',
  },
  noPermissions: withoutPermissions.length === 0 ? undefined : {
    rule: `${typeIsNot(withoutPermissions)} || !has(self.permissions) || size(self.permissions) == 0`,
    message: `${listTypes(withoutPermissions)} accounts have no permissions (R11): remove spec.permissions.`,
    fieldPath: '.permissions',
  },
};

/** CEL rules on spec: one per credential block (`ftpSection`, …), then the type rules, in that order. */
export const CHANNEL_ACCOUNT_SPEC_RULES: Record<string, CelRule> = Object.fromEntries([
  ...CREDENTIAL_BLOCKS.map(({ type, key, kind }) => [`${key}Section`, blockRule(type, key, kind)] as const),
  ...Object.entries(TYPE_RULES).filter((entry): entry is [string, CelRule] => entry[1] !== undefined),
]);

/** Descriptions that list types, in the words of the schema. */
export const TYPE_WORDS = {
  all: listTypes(CHANNEL_TYPES, 'or'),
  permissions:
    `"Permissions sécurisées": at least one for ${listTypes(withPermissions)}` +
    `${withoutPermissions.length ? `; none for ${listTypes(withoutPermissions)}` : ''} (R11).`,
  management: `${listTypes(managed)} only (R15)`,
  certificates:
    `Certificates: exactly one for ${listTypes(oneCertificate)}; one or more for ${listTypes(managed)} managed internally; ` +
    'none for TechnicalIntermediary (R3, R15).',
};
