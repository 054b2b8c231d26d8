// The options of an informer and what its list+watch loops report, shared by informer.ts and
// list-watch.ts (so that neither imports the other's types).
import type { Clock } from './clock.ts';
import type { KubeClient, KubeObject, ResourceType } from './client.ts';

export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
export const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** Why a watch was restarted: the `reason` label of chaman_watch_restarts_total. */
export type WatchRestartReason = 'closed' | 'expired' | 'error' | 'stalled';

export interface InformerLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface InformerHooks {
  onRestart?(reason: WatchRestartReason, error?: unknown): void;
  /** Every list after the first (after a 410, or after an error before a watch could resume). */
  onRelist?(): void;
}

export interface InformerOptions<T extends KubeObject> {
  client: KubeClient;
  resource: ResourceType;
  /** Namespaces to watch; empty or omitted = all namespaces (one cluster-wide watch). */
  namespaces?: readonly string[];
  labelSelector?: string;
  fieldSelector?: string;
  /** Cache metadata only (PartialObjectMetadata). Use for Secrets and ConfigMaps. */
  metadataOnly?: boolean;
  /** Page size of lists. Default 500. */
  pageSize?: number;
  /** Server-side timeout of each watch. Default 300 s. */
  watchTimeoutSeconds?: number;
  /** Watchdog: restart a watch silent for longer than this. Default watchTimeoutSeconds + 30 s. */
  stallTimeoutMs?: number;
  /** Backoff of restarts after errors. Default 500 ms doubling to 30 s, 20 % jitter. */
  backoff?: { baseMs?: number; capMs?: number; jitter?: number };
  /**
   * The metadata fields to cache; the rest is dropped as objects arrive. Default: all but
   * managedFields and kubectl's last-applied-configuration, and for Secrets SECRET_METADATA_FIELDS only.
   */
  keepMetadata?: readonly string[];
  /**
   * Which objects to cache at all, asked of each object as it arrives, before anything else is done
   * with it. An object it refuses is not cached and raises no event; one that was cached and is now
   * refused leaves the cache as if deleted. For what a selector cannot say (a shard's namespaces).
   */
  keep?: (obj: KubeObject) => boolean;
  /** Applied to every object before it is cached, after keepMetadata (managedFields and last-applied are already gone). */
  transform?: (obj: T) => T;
  clock?: Clock;
  random?: () => number;
  hooks?: InformerHooks;
  logger?: InformerLogger;
}
