// The shape `chaman-operator status` prints (`-o json` is this, as is): a tree sender → accounts →
// certificates → Secrets, each object with its conditions, generations, last read of Chaman and events.
// formatVersion changes only when a field is removed or changes meaning. Secrets appear by name, keys
// present and resourceVersion: the reader drops their values before anything is built from them.

export interface ConditionView {
  type: string;
  status: string;
  reason: string;
  /** The full message, never cut. */
  message: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
  /** False when the condition was computed for an older generation than the object's. */
  current: boolean;
}

export interface EventView {
  type: string;
  reason: string;
  message: string;
  /** How many times it happened (series or count). */
  count: number;
  /** When it last happened. */
  lastSeen?: string;
  reportingController?: string;
}

/** What every object shown (sender or account) carries. */
export interface ObjectStateView {
  name: string;
  namespace: string;
  /** False when the object does not exist (a named object, or the sender an account points to). */
  found: boolean;
  /** True when nothing below keeps this object from being Ready (see `problems`). */
  ready: boolean;
  /** Why it is not Ready, one line each; empty when ready. */
  problems: string[];
  /** What does not keep it from being Ready but needs a look: a certificate expiring or expired, a failed or paused last reconcile. */
  warnings: string[];
  generation?: number;
  observedGeneration?: number;
  /** status.lastSyncTime: when the operator last read Chaman for it. */
  lastSyncTime?: string;
  /** The value of chaman.io/reconcile-requested-at, and status.lastHandledReconcileAt when the operator writes it. */
  reconcileRequestedAt?: string;
  lastHandledReconcileAt?: string;
  paused: boolean;
  deleting: boolean;
  conditions: ConditionView[];
  /** Newest first. */
  events: EventView[];
}

/** `<type>-password` for each password type (`ftp-password`). */
export type SecretRole = 'certificate' | `${string}-password` | 'ssh-public-key' | 'chaman-credentials';

export interface SecretView {
  name: string;
  /** The key the spec reads; undefined for credentials, whose keys depend on the kind (token, tls.crt…). */
  key?: string;
  role: SecretRole;
  found: boolean;
  /** True when the user running `status` may not read it: whether it exists is not known, and not held against readiness. */
  forbidden?: true;
  /** The keys the Secret holds (names only), sorted. */
  keys: string[];
  resourceVersion?: string;
}

/** A certificate as Chaman holds it (from status.certificates): public details only. */
export interface HeldCertificateView {
  fileName: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  sha256Fingerprint: string;
}

export interface CertificateView {
  name: string;
  /** False for a certificate Chaman still holds that the spec no longer lists (being removed). */
  inSpec: boolean;
  secret?: SecretView;
  held?: HeldCertificateView;
}

export interface AccountView extends ObjectStateView {
  kind: 'ChannelAccount';
  type?: string;
  externalId?: string;
  username?: string;
  clientId?: string;
  nextCertificateExpiry?: string;
  certificates: CertificateView[];
  /** The FTP password and SFTP public key Secrets. */
  secrets: SecretView[];
}

export interface SenderView extends ObjectStateView {
  kind: 'ChamanSender';
  senderNumber?: string;
  credentialsSecret?: SecretView;
  /** The earliest nextCertificateExpiry of its accounts shown. */
  nextCertificateExpiry?: string;
  accounts: AccountView[];
}

export interface StatusView {
  formatVersion: '1';
  namespace: string;
  /** When Kubernetes was read. */
  observedAt: string;
  /** True only when every object shown is Ready (and something was found). */
  ready: boolean;
  nextCertificateExpiry?: string;
  senders: SenderView[];
  /** Set when nothing was found to show. */
  empty?: string;
}
