// The resources the operator reads and writes, their paths, the object shapes it handles, and the
// API server's errors as one class (KubeApiError), with the predicates the callers ask.
import type { ObjectMeta as ApiObjectMeta, OwnerReference } from '../api/meta.ts';

export type KubeVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'apply' | 'delete';

export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export const RESOURCES = {
  secrets: { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  configMaps: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  namespaces: { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  events: { group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true },
  chamanSenders: { group: 'chaman.io', version: 'v1alpha1', plural: 'chamansenders', kind: 'ChamanSender', namespaced: true },
  channelAccounts: { group: 'chaman.io', version: 'v1alpha1', plural: 'channelaccounts', kind: 'ChannelAccount', namespaced: true },
  chamanSenderGrants: { group: 'chaman.io', version: 'v1alpha1', plural: 'chamansendergrants', kind: 'ChamanSenderGrant', namespaced: false },
} as const satisfies Record<string, ResourceType>;

export function apiVersionOf(rt: ResourceType): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

/** `/api/v1/namespaces/ns/secrets/name/status` and the like. Omit namespace to span all namespaces. */
export function resourcePath(rt: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  let p = rt.group ? `/apis/${rt.group}/${rt.version}` : `/api/${rt.version}`;
  if (rt.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${rt.plural}`;
  if (name) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

/** Object metadata as the API server sends it (timestamps stay strings; every field may be absent). */
export interface ObjectMeta extends Partial<ApiObjectMeta> {
  managedFields?: unknown[];
  [k: string]: unknown;
}

export type { OwnerReference };

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

/**
 * What a write or an event needs of the object it is about. The typed kinds (ChannelAccount, …) are
 * interfaces without an index signature, so they are no KubeObjects; they, and KubeObjects, are these.
 */
export interface ObjectHandle {
  apiVersion?: string;
  kind?: string;
  metadata: Partial<ApiObjectMeta>;
  status?: unknown;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** A Kubernetes `Status` failure, or a network failure (status 0). Never carries a request body. */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly verb: KubeVerb;
  readonly resource: string;
  /** From Retry-After or Status.details.retryAfterSeconds (429, some 5xx). */
  readonly retryAfterMs: number | undefined;
  constructor(opts: { message: string; status: number; reason: string; verb: KubeVerb; resource: string; retryAfterMs?: number; cause?: unknown }) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'KubeApiError';
    this.status = opts.status;
    this.reason = opts.reason;
    this.verb = opts.verb;
    this.resource = opts.resource;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.status === 404;
export const isConflict = (e: unknown): boolean => e instanceof KubeApiError && e.status === 409;
export const isAlreadyExists = (e: unknown): boolean => e instanceof KubeApiError && e.status === 409 && e.reason === 'AlreadyExists';
export const isGone = (e: unknown): boolean => e instanceof KubeApiError && (e.status === 410 || e.reason === 'Expired' || e.reason === 'Gone');
