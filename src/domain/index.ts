// The pure rule library (R1–R17): shared by the controller, the `validate` command and the emulator.
export * from './types.ts';
export {
  CHANNEL_TYPE_TABLE,
  channelType,
  isChannelType,
  typesWhere,
  credentialKind,
  hasManagementMode,
  hasUsername,
  typeKey,
  listTypes,
} from './channel-types.ts';
export type { ChannelTypeDescriptor, CredentialKind } from './channel-types.ts';
export {
  PERMISSION_CATALOG,
  PERMISSION_REQUIRED_TYPES,
  permissionsFor,
  checkPermissions,
} from './catalog.ts';
export {
  SENDER_NUMBER_PATTERN,
  PHONE_COUNTRY_CODE_PATTERN,
  PHONE_NUMBER_PATTERN,
  EMAIL_PATTERN,
  USERNAME_PATTERN,
  CONTACT_NAME_MAX,
  CONTACT_ROLE_MAX,
  EMAIL_MAX,
  isValidSenderNumber,
  checkContact,
} from './contact.ts';
export {
  USERNAME_PREFIX,
  USERNAME_MAX,
  PASSWORD_MAX,
  PASSWORD_MIN_NON_LETTERS,
  PASSWORD_SPECIALS,
  checkUsername,
  displayUsername,
  stripUsernamePrefix,
  checkFtpPassword,
} from './credentials.ts';
export {
  CertificateFormatError,
  detectCertificateFormat,
  containsPrivateKey,
  formatProblem,
  MAX_CERTIFICATE_FILE_BYTES,
  MAX_PEM_BLOCKS,
} from './certificate-format.ts';
export { inspectCertificate, toDer, certificateDetails } from './certificate.ts';
export {
  ALLOWED_RSA_SIZES,
  ALLOWED_EC_CURVES,
  ALLOWED_SIGNATURE_HASHES,
  checkCertificate,
  checkCertificateKey,
  checkCertificateSignature,
  checkCertificateIssuer,
  checkCertificateValidity,
} from './certificate-rules.ts';
export type { CertificateFormat } from './certificate-format.ts';
export type { InspectedCertificate, KeyType } from './certificate.ts';
export { MAX_SSH_PUBLIC_KEY_BYTES, SSH_RSA_MIN_BITS, SshKeyFormatError, checkSshPublicKey, toRfc4716, sameSshPublicKey } from './ssh.ts';
export type { SshPublicKeyInfo } from './ssh.ts';
export {
  SINGLETON_TYPES,
  EDITABLE_FIELDS,
  isSingletonType,
  allowedEdit,
  certificateCountRange,
  checkCertificateCount,
  canRemoveCertificate,
} from './account-rules.ts';
export type { EditableField } from './account-rules.ts';
export {
  CLIENT_ID_PREFIX,
  CLIENT_ID_PATTERN,
  CLIENT_ID_ALPHABET,
  CLIENT_ID_SUFFIX_LENGTH,
  makeClientId,
  isValidClientId,
} from './client-id.ts';
export { ACCOUNT_ID_PATTERN, checkExternalName, foreignAccount, isAccountId } from './adoption.ts';
export { ACCOUNT_NAME_MAX, CERTIFICATE_NAME_MAX, checkAccountRequest } from './account-request.ts';
export type { AccountRequestContext, AccountRequestToCheck, CertificateToCheck } from './account-request.ts';
export { parseDuration, formatDuration } from './duration.ts';
export { hasErrors } from './findings.ts';
export { rfc3339 } from './time.ts';
