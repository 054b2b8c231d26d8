// What the reconcilers need from the outside world, as small interfaces. The Kubernetes side is
// implemented in kube-store.ts on the informers and the API client; Chaman by ChamanHttpClient.
import type { SecretData } from '../api/semantic.ts';
import type { ChamanSender, ChamanSenderStatus, ChannelAccount, ChannelAccountStatus } from '../api/types.generated.ts';
import type { ChamanClient } from '../chaman/types.ts';
import type { ChannelType, Permission } from '../domain/types.ts';
import type { OperatorMetrics } from '../observability/metrics.ts';

export interface SecretContent {
  data: SecretData;
  resourceVersion: string;
}

export interface KubeStore {
  /** From the informer cache. */
  getSender(namespace: string, name: string): ChamanSender | undefined;
  /** From the informer cache: every ChannelAccount in a namespace. */
  listAccounts(namespace: string): ChannelAccount[];
  /** A Secret's content, read when needed (only referenced Secrets are ever read). */
  readSecret(namespace: string, name: string): Promise<SecretContent | 'absent'>;
  /** Server-side apply of the status under one field manager; no call when nothing changed. */
  applyAccountStatus(account: ChannelAccount, status: ChannelAccountStatus): Promise<void>;
  applySenderStatus(sender: ChamanSender, status: ChamanSenderStatus): Promise<void>;
  /** Merge-patch annotations (null removes) with a resourceVersion precondition; returns the new object. */
  patchAnnotations<T extends ChamanSender | ChannelAccount>(object: T, annotations: Record<string, string | null>): Promise<T>;
  /** Add or remove our finalizer, with a resourceVersion precondition; no call when already so. */
  setFinalizer<T extends ChamanSender | ChannelAccount>(object: T, present: boolean): Promise<T>;
  /** Whether an error is a write that lost a race (stale resourceVersion): retried quietly, not reported. */
  isConflict(error: unknown): boolean;
  /** Create or update a ConfigMap owned by the account; no call when its content is already so. */
  publishClientId(account: ChannelAccount, configMap: string, key: string, clientId: string): Promise<void>;
}

export interface EventSink {
  normal(object: ChamanSender | ChannelAccount, reason: string, message: string): void;
  warning(object: ChamanSender | ChannelAccount, reason: string, message: string): void;
}

export interface Settings {
  defaultDeletionPolicy: 'Delete' | 'Orphan';
  certExpiryWarningMs: number;
  resyncPeriodMs: number;
  sha1Cutoff: Date;
}

export interface ReconcileContext {
  kube: KubeStore;
  /** The Chaman client for a sender: its own credentials (credentialsSecretRef) or the operator's. */
  chamanFor(sender: ChamanSender): Promise<ChamanClient>;
  /** The permission catalog, read from Chaman and cached. */
  catalog(client: ChamanClient, type?: ChannelType): Promise<Permission[]>;
  events: EventSink;
  metrics: OperatorMetrics;
  settings: Settings;
  now(): Date;
}

export interface ReconcileResult {
  requeueAfterMs?: number;
}
