// ChannelAccount (SPEC section 3): one account of a sender on one channel (FTP, SFTP, SOAP, REST).
// What differs by type (credential blocks, CEL rules, the words that list types) comes from
// channelaccount-types.ts, itself derived from the table of domain/channel-types.ts. The CEL rules are
// mirrored, rule for rule, by checks in cel-checks.ts, so the offline `validate` command refuses what
// the API server refuses (a test holds the two in step).
import { CHANNEL_TYPES } from '../domain/types.ts';
import { CHANNEL_ACCOUNT_SPEC_RULES, CREDENTIAL_BLOCK_SCHEMAS, TYPES, TYPE_WORDS } from './channelaccount-types.ts';
import { DURATION_PATTERN, K8S_NAME_MAX, conditions, keyedRef, localRef, observedGeneration } from './common.ts';
import { AGE_COLUMN, READY_COLUMNS, type CrdSource } from './crd.ts';
import { arr, immutable, obj, oneOf, str, type CelRule, type Schema } from './openapi.ts';

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

export { CHANNEL_ACCOUNT_SPEC_RULES };

const spec: Schema = obj(
  'Desired state of the account in Chaman.',
  {
    senderRef: immutable(
      localRef('The ChamanSender this account belongs to, in the same namespace. Immutable.'),
      'spec.senderRef',
      'create a new ChannelAccount to move an account to another sender',
    ),
    type: immutable(
      oneOf(CHANNEL_TYPES, `Channel type: ${TYPE_WORDS.all}. Immutable.`),
      'spec.type',
      'delete this ChannelAccount and create a new one for another channel type',
    ),
    accountName: str('"Nom du compte": the label shown in Chaman. Defaults to metadata.name.', {
      minLength: 1,
      maxLength: 100,
    }),
    permissions: arr(
      str('A permission id of the catalog (SPEC section 6), e.g. DimonaDeclaration.', { minLength: 1, maxLength: 100 }),
      TYPE_WORDS.permissions,
      { 'x-kubernetes-list-type': 'set', maxItems: 64 },
    ),
    management: oneOf(
      ['Internal', 'TechnicalIntermediary'],
      `${TYPE_WORDS.management}: Internal (the sender uploads certificates; the default) or TechnicalIntermediary (no certificates on the account).`,
    ),
    certificates: arr(
      certificate,
      TYPE_WORDS.certificates,
      { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], maxItems: 20 },
    ),
    ...CREDENTIAL_BLOCK_SCHEMAS,
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
  selfSigned: { type: 'boolean', description: `Self-signed (allowed for ${TYPES.selfSigned.join(', ')} only, R8).` },
}, ['name', 'fileName', 'subject', 'organization', 'issuer', 'serialNumber', 'notBefore', 'notAfter', 'sha256Fingerprint', 'keyAlgorithm', 'signatureAlgorithm', 'selfSigned']);

const status: Schema = obj('Observed state, written by the operator.', {
  observedGeneration,
  externalId: str('Chaman\'s id of the account.'),
  username: str(`User name as Chaman shows it, with the EXP prefix (${TYPES.withUsername.join(', ')}).`),
  clientId: str(`Client ID Chaman gave the account (${TYPES.withClientId.join(', ')}, R16): the OAuth2 client ID of your workloads.`),
  certificates: arr(certificateStatus, 'What Chaman holds.', { 'x-kubernetes-list-type': 'atomic' }),
  nextCertificateExpiry: str('The earliest notAfter among the account\'s certificates.', { format: 'date-time' }),
  passwordSecretVersion: str(`resourceVersion of the password Secret last sent to Chaman (${TYPES.withPassword.join(', ')}). Never the password or a hash of it.`),
  lastSyncTime: str('When Chaman was last read successfully.', { format: 'date-time' }),
  lastHandledReconcileAt: str('The value of the annotation chaman.io/reconcile-requested-at that the last reconcile handled (wait for it after setting the annotation).'),
  conditions,
});

export const channelAccountCrd: CrdSource = {
  kind: 'ChannelAccount',
  plural: 'channelaccounts',
  singular: 'channelaccount',
  shortNames: ['ca'],
  description: `An account of a Chaman sender on one technical channel (${TYPE_WORDS.all}), its permissions and its credentials.`,
  spec,
  status,
  printerColumns: [
    { name: 'Type', type: 'string', jsonPath: '.spec.type' },
    { name: 'Sender', type: 'string', jsonPath: '.spec.senderRef.name' },
    ...READY_COLUMNS,
    { name: 'Cert-Expiry', type: 'string', jsonPath: '.status.nextCertificateExpiry' },
    ...(TYPES.withClientId.length ? [{ name: 'Client-ID', type: 'string' as const, jsonPath: '.status.clientId' }] : []),
    AGE_COLUMN,
  ],
};

export { K8S_NAME_MAX };
