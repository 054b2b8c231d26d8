// ChannelAccount (SPEC section 3): one account of a sender on one channel (FTP, SFTP, SOAP, REST).
// The CEL rules here are mirrored, rule for rule, by checks in cel-checks.ts, so the offline
// `validate` command refuses what the API server refuses (a test holds the two in step).
import { USERNAME_PATTERN } from '../domain/contact.ts';
import { CHANNEL_TYPES } from '../domain/types.ts';
import { DURATION_PATTERN, K8S_NAME_MAX, conditions, keyedRef, localRef, observedGeneration } from './common.ts';
import { AGE_COLUMN, READY_COLUMNS, type CrdSource } from './crd.ts';
import { arr, immutable, obj, oneOf, str, type CelRule, type Schema } from './openapi.ts';

const username = str(
  'User name without the EXP prefix (R4): ASCII letters and digits, 1 to 10 characters. Chaman shows it as EXP<username>.',
  { pattern: USERNAME_PATTERN, minLength: 1, maxLength: 10 },
);

const certificate = obj(
  'A certificate of the account ("Certificat"). Only the certificate is ever sent to Chaman, never a private key.',
  {
    name: str('"Nom du certificat" in Chaman.', { minLength: 1, maxLength: 100 }),
    secretRef: keyedRef(
      'The Secret that holds the certificate (DER or PEM; a PEM bundle such as cert-manager\'s tls.crt means its first certificate, the leaf).',
      'tls.crt',
      'Key of the certificate in the Secret.',
    ),
    fileName: str('"Nom du fichier" in Chaman, ending in .cer. Defaults to <name>.cer.', {
      pattern: '^[^/\\\\]{1,96}\\.[cC][eE][rR]$',
      maxLength: 100,
    }),
  },
  ['name', 'secretRef'],
);

/** CEL rules on spec, keyed so cel-checks.ts can mirror each one. */
export const CHANNEL_ACCOUNT_SPEC_RULES = {
  ftpSection: {
    rule: "has(self.ftp) == (self.type == 'FTP')",
    message: 'spec.ftp is required when type is FTP, and allowed only then.',
    fieldPath: '.ftp',
  },
  sftpSection: {
    rule: "has(self.sftp) == (self.type == 'SFTP')",
    message: 'spec.sftp is required when type is SFTP, and allowed only then.',
    fieldPath: '.sftp',
  },
  restSection: {
    rule: "!has(self.rest) || self.type == 'REST'",
    message: 'spec.rest is allowed only when type is REST.',
    fieldPath: '.rest',
  },
  managementRestOnly: {
    rule: "!has(self.management) || self.type == 'REST'",
    message: 'spec.management is allowed only when type is REST (R15).',
    fieldPath: '.management',
  },
  singleCertificate: {
    rule: "self.type == 'REST' || (has(self.certificates) && size(self.certificates) == 1)",
    message:
      'FTP, SFTP and SOAP accounts have exactly one certificate (R3): list one in spec.certificates; to change it, edit that entry (Chaman replaces it).',
    fieldPath: '.certificates',
  },
  restInternalCertificates: {
    rule: "self.type != 'REST' || (has(self.management) && self.management == 'TechnicalIntermediary') || (has(self.certificates) && size(self.certificates) >= 1)",
    message:
      'REST accounts managed internally need at least one certificate (R3, R15): add one to spec.certificates, or set spec.management to TechnicalIntermediary.',
    fieldPath: '.certificates',
  },
  intermediaryNoCertificates: {
    rule: "!has(self.management) || self.management != 'TechnicalIntermediary' || !has(self.certificates) || size(self.certificates) == 0",
    message:
      'REST accounts managed by a technical intermediary carry no certificate (R15): remove spec.certificates, or set spec.management to Internal.',
    fieldPath: '.certificates',
  },
  permissionsRequired: {
    rule: "self.type == 'SOAP' || (has(self.permissions) && size(self.permissions) >= 1)",
    message: 'FTP, SFTP and REST accounts need at least one permission in spec.permissions (R11).',
    fieldPath: '.permissions',
  },
  soapNoPermissions: {
    rule: "self.type != 'SOAP' || !has(self.permissions) || size(self.permissions) == 0",
    message: 'SOAP accounts have no permissions (R11): remove spec.permissions.',
    fieldPath: '.permissions',
  },
} satisfies Record<string, CelRule>;

export const SFTP_KEY_RULE = {
  rule: 'has(self.publicKey) != has(self.publicKeySecretRef)',
  message: 'spec.sftp needs exactly one of publicKey or publicKeySecretRef (R17).',
} satisfies CelRule;

const spec: Schema = obj(
  'Desired state of the account in Chaman.',
  {
    senderRef: immutable(
      localRef('The ChamanSender this account belongs to, in the same namespace. Immutable.'),
      'spec.senderRef',
      'create a new ChannelAccount to move an account to another sender',
    ),
    type: immutable(
      oneOf(CHANNEL_TYPES, 'Channel type: FTP, SFTP, SOAP or REST. Immutable.'),
      'spec.type',
      'delete this ChannelAccount and create a new one for another channel type',
    ),
    accountName: str('"Nom du compte": the label shown in Chaman. Defaults to metadata.name.', {
      minLength: 1,
      maxLength: 100,
    }),
    permissions: arr(
      str('A permission id of the catalog (SPEC section 6), e.g. DimonaDeclaration.', { minLength: 1, maxLength: 100 }),
      '"Permissions sécurisées": at least one for FTP, SFTP and REST; none for SOAP (R11).',
      { 'x-kubernetes-list-type': 'set', maxItems: 64 },
    ),
    management: oneOf(
      ['Internal', 'TechnicalIntermediary'],
      'REST only (R15): Internal (the sender uploads certificates; the default) or TechnicalIntermediary (no certificates on the account).',
    ),
    certificates: arr(
      certificate,
      'Certificates: exactly one for FTP, SFTP and SOAP; one or more for REST managed internally; none for TechnicalIntermediary (R3, R15).',
      { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], maxItems: 20 },
    ),
    ftp: obj(
      'FTP credentials (type FTP only).',
      {
        username,
        passwordSecretRef: keyedRef('The Secret that holds the FTP password (R5).', 'password', 'Key of the password.'),
      },
      ['username', 'passwordSecretRef'],
    ),
    sftp: obj(
      'SFTP credentials (type SFTP only): a user name and an SSH public key (R17).',
      {
        username,
        publicKey: str('SSH public key, OpenSSH one-line or RFC 4716 (SSH-2) format (R17).', {
          minLength: 1,
          maxLength: 16384,
        }),
        publicKeySecretRef: keyedRef(
          'A Secret or key that holds the SSH public key, instead of publicKey.',
          'ssh-publickey',
          'Key of the public key.',
        ),
      },
      ['username'],
      { 'x-kubernetes-validations': [SFTP_KEY_RULE] },
    ),
    rest: obj('REST options (type REST only).', {
      clientIdConfigMap: keyedRef(
        'Publish the client ID Chaman gives the account (R16) in this ConfigMap, owned by the ChannelAccount.',
        'clientId',
        'Key of the client ID.',
      ),
    }),
    deletionPolicy: oneOf(
      ['Delete', 'Orphan'],
      'Delete (remove the account from Chaman when this object is deleted; definitive, R13) or Orphan (keep it). Defaults to the operator setting (itself Delete).',
    ),
    managementPolicy: oneOf(
      ['Manage', 'Observe'],
      'Manage (create, update, delete) or Observe (read-only: adopt and report, never write).',
      { default: 'Manage' },
    ),
    replacementPolicy: oneOf(
      ['Never', 'Recreate'],
      'May the operator delete and create the account again when Chaman forbids an edit (R12)? Never (report RequiresReplacement) or Recreate.',
      { default: 'Never' },
    ),
    certificateExpiryWarning: str('How long before expiry CertExpiring turns True, e.g. 720h. Defaults to the operator setting (30 days).', {
      pattern: DURATION_PATTERN,
      maxLength: 32,
    }),
  },
  ['senderRef', 'type'],
  { 'x-kubernetes-validations': Object.values(CHANNEL_ACCOUNT_SPEC_RULES) },
);

const certificateStatus = obj('A certificate as Chaman holds it, as its detail page shows it.', {
  name: str('"Nom du certificat".'),
  fileName: str('"Nom du fichier".'),
  subject: str('"Propriétaire".'),
  organization: str('"Entreprise".'),
  issuer: str('"Fournisseur".'),
  serialNumber: str('"N° de série", in decimal.'),
  notBefore: str('Start of validity.', { format: 'date-time' }),
  notAfter: str('"Expiration".', { format: 'date-time' }),
  sha256Fingerprint: str('SHA-256 fingerprint of the DER certificate.'),
  keyAlgorithm: str('e.g. RSA-4096, EC-P384.'),
  signatureAlgorithm: str('e.g. SHA-256.'),
  selfSigned: { type: 'boolean', description: 'Self-signed (allowed for REST only, R8).' },
}, ['name', 'fileName', 'subject', 'organization', 'issuer', 'serialNumber', 'notBefore', 'notAfter', 'sha256Fingerprint', 'keyAlgorithm', 'signatureAlgorithm', 'selfSigned']);

const status: Schema = obj('Observed state, written by the operator.', {
  observedGeneration,
  externalId: str('Chaman\'s id of the account.'),
  username: str('User name as Chaman shows it, with the EXP prefix (FTP, SFTP).'),
  clientId: str('Client ID Chaman gave the account (REST, R16): the OAuth2 client ID of your workloads.'),
  certificates: arr(certificateStatus, 'What Chaman holds.', { 'x-kubernetes-list-type': 'atomic' }),
  nextCertificateExpiry: str('The earliest notAfter among the account\'s certificates.', { format: 'date-time' }),
  passwordSecretVersion: str('resourceVersion of the password Secret last sent to Chaman (FTP). Never the password or a hash of it.'),
  lastSyncTime: str('When Chaman was last read successfully.', { format: 'date-time' }),
  lastHandledReconcileAt: str('The value of the annotation chaman.io/reconcile-requested-at that the last reconcile handled (wait for it after setting the annotation).'),
  conditions,
});

export const channelAccountCrd: CrdSource = {
  kind: 'ChannelAccount',
  plural: 'channelaccounts',
  singular: 'channelaccount',
  shortNames: ['ca'],
  description: 'An account of a Chaman sender on one technical channel (FTP, SFTP, SOAP or REST), its permissions and its credentials.',
  spec,
  status,
  printerColumns: [
    { name: 'Type', type: 'string', jsonPath: '.spec.type' },
    { name: 'Sender', type: 'string', jsonPath: '.spec.senderRef.name' },
    ...READY_COLUMNS,
    { name: 'Cert-Expiry', type: 'string', jsonPath: '.status.nextCertificateExpiry' },
    { name: 'Client-ID', type: 'string', jsonPath: '.status.clientId' },
    AGE_COLUMN,
  ],
};

export { K8S_NAME_MAX };
