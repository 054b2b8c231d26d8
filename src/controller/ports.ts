// What the reconcilers need from the outside world, as small interfaces. The Kubernetes side is
// implemented in kube-store.ts on the informers and the API client; Chaman by ChamanHttpClient.
import type { SecretData } from '../api/semantic.ts';
import type { ChamanSender, ChamanSenderGrant, ChamanSenderStatus, ChannelAccount, ChannelAccountStatus } from '../api/types.generated.ts';
import type { ChamanClient } from '../chaman/types.ts';
import type { ChannelType, Permission } from '../domain/types.ts';
import type { ConvergedAccounts, SeenSenders } from './resync/list-resync.ts';
import type { Outcome } from './driver/conditions.ts';
import type { MetadataChange } from './driver/managed.ts';

export interface SecretContent {
  data: SecretData;
  resourceVersion: string;
}

export interface KubeStore {
  /** From the informer cache. */
  getSender(namespace: string, name: string): ChamanSender | undefined;
  /** From the informer cache: the ChannelAccounts whose senderRef names this sender. */
  accountsOfSender(namespace: string, senderName: string): ChannelAccount[];
  /** Every ChamanSender the operator sees with this sender number (one is allowed). */
  sendersWithNumber(senderNumber: string): ChamanSender[];
  /** The accounts of a sender whose chaman.io/external-name is `externalId` (one is allowed). */
  accountsClaiming(namespace: string, senderName: string, externalId: string): ChannelAccount[];
  /** Every ChamanSenderGrant. */
  grants(): ChamanSenderGrant[];
  /** A namespace's labels, or undefined when they cannot be read. */
  namespaceLabels(namespace: string): Record<string, string> | undefined;
  /** A Secret's content, read when needed (only referenced Secrets are ever read), never cached. */
  readSecret(namespace: string, name: string): Promise<SecretContent | 'absent'>;
  /** A Secret's resourceVersion from the metadata cache (no content), to tell whether it changed. */
  secretVersion(namespace: string, name: string): string | undefined;
  /**
   * Server-side apply of the status under one field manager; no call when nothing changed. Returns the
   * object's new resourceVersion, which a status write moves too.
   */
  applyAccountStatus(account: ChannelAccount, status: ChannelAccountStatus): Promise<string | undefined>;
  applySenderStatus(sender: ChamanSender, status: ChamanSenderStatus): Promise<string | undefined>;
  /**
   * Annotations and the finalizer in one merge patch that always carries the object's resourceVersion:
   * a write from a stale copy fails with a conflict. Returns the object as written.
   */
  updateMetadata<T extends ChamanSender | ChannelAccount>(object: T, change: MetadataChange): Promise<T>;
  /** Create or update a ConfigMap owned by the account; no call when its content is already so. */
  publishClientId(account: ChannelAccount, configMap: string, key: string, clientId: string): Promise<void>;
}

export interface Settings {
  defaultDeletionPolicy: 'Delete' | 'Orphan';
  certExpiryWarningMs: number;
  resyncPeriodMs: number;
  sha1Cutoff: Date;
  /** Every reconcile is cut short after this long. */
  reconcileTimeoutMs: number;
  /** With the operator-wide credentials, act for a sender only when a ChamanSenderGrant covers it. */
  requireSenderGrant: boolean;
  /** The Secret of the operator's own Chaman credentials (--chaman-credentials-secret): no sender may name it. */
  chamanCredentialsSecret?: { namespace: string; name: string };
}

/** Who may act for which sender, asked before anything is sent to Chaman (tenancy-gate.ts). */
export interface Tenancy {
  /** Why the operator may not act for this sender, or undefined when it may. */
  senderRefusal(sender: ChamanSender): Outcome | undefined;
  /** Why this account may not act on the Chaman account it names, or undefined when it may. */
  adoptionRefusal(account: ChannelAccount): Outcome | undefined;
}

/** What the kinds need beside the driver: the cluster's state, Chaman clients, the catalog, settings. */
export interface KindContext {
  kube: KubeStore;
  /** The Chaman client for a sender: its own credentials (credentialsSecretRef) or the operator's. */
  chamanFor(sender: ChamanSender): Promise<ChamanClient>;
  /** The permission catalog, read from Chaman (through `signal`) and cached per client. */
  catalog(client: ChamanClient, signal: AbortSignal, type?: ChannelType): Promise<Permission[]>;
  /** Accounts as they last converged, so a resync by list finds which ones differ. */
  converged: ConvergedAccounts;
  /** Each sender's data as Chaman last showed it, until its next resync. */
  seenSenders: SeenSenders;
  /** Who may act for which sender (grants, one sender per number, one claim per account). */
  tenancy: Tenancy;
  settings: Settings;
}
