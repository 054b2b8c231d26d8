// What the reconcilers write to and read from Kubernetes, as a few intention-revealing calls.
// Every write first checks whether it would change anything and skips the API call when not:
// in steady state the operator makes zero writes.
import { isNotFound, resourcePath, apiVersionOf, RESOURCES, type KubeClient, type KubeObject, type ObjectHandle, type ObjectMeta, type OwnerReference, type ResourceType } from './client.ts';

/** The one field manager for every server-side apply and patch by the operator. */
export const FIELD_MANAGER = 'chaman-operator';

export const APPLY_PATCH = 'application/apply-patch+yaml';
export const MERGE_PATCH = 'application/merge-patch+json';

/** Annotation holding a digest of the content the operator wrote to a ConfigMap it owns. */
export const CONTENT_HASH_ANNOTATION = 'chaman.io/content-hash';

/** A Secret as read at reconcile time: its values decoded, and which version of it they are. */
export interface DecodedSecret {
  /** Decoded values (certificates are bytes: DER or PEM). */
  data: Record<string, Buffer>;
  resourceVersion: string;
  uid: string;
  type?: string;
}

export interface MetadataChange {
  /** The complete desired list of finalizers (order kept). */
  finalizers?: string[];
  /** Annotations to set; `null` removes one. */
  annotations?: Record<string, string | null>;
  /** Labels to set; `null` removes one. */
  labels?: Record<string, string | null>;
  /**
   * Always send the object's resourceVersion, even when nothing changes (the API server then checks it
   * and writes nothing): a guard written from a stale copy must fail, not pass as a no-op.
   */
  precondition?: boolean;
}

export type EnsureResult = 'created' | 'updated' | 'unchanged' | 'conflict';

/** Deep equality of JSON values; `undefined` object members count as absent. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function contentHash(data: Record<string, string>): string {
  const h = new Fnv64();
  for (const k of Object.keys(data).sort()) h.update(`${k}\u0000${data[k]}\u0000`);
  return h.digest();
}

/** A small stable digest (FNV-1a 64-bit); only used to notice a change, not for security. */
class Fnv64 {
  private h = 0xcbf29ce484222325n;
  update(s: string): void {
    for (const byte of Buffer.from(s, 'utf8')) {
      this.h ^= BigInt(byte);
      this.h = (this.h * 0x100000001b3n) & 0xffffffffffffffffn;
    }
  }
  digest(): string {
    return this.h.toString(16).padStart(16, '0');
  }
}

/** The ownerReference that makes `owner` the controller of a dependent object. */
export function controllerRef(owner: ObjectHandle): OwnerReference {
  if (!owner.apiVersion || !owner.kind || !owner.metadata.name || !owner.metadata.uid) {
    throw new Error('controllerRef: the owner needs apiVersion, kind, metadata.name and metadata.uid');
  }
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true };
}

export class KubeObjects {
  private readonly client: KubeClient;
  readonly fieldManager: string;

  constructor(client: KubeClient, opts: { fieldManager?: string } = {}) {
    this.client = client;
    this.fieldManager = opts.fieldManager ?? FIELD_MANAGER;
  }

  /** GETs an object; undefined when it does not exist. */
  async get<T extends KubeObject>(rt: ResourceType, namespace: string | undefined, name: string): Promise<T | undefined> {
    try {
      return await this.client.request<T>({ verb: 'get', resource: rt.plural, method: 'GET', path: resourcePath(rt, namespace, name) });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Reads a Secret's content at reconcile time (the informer holds metadata only). Undefined when
   * the Secret does not exist. The values are decoded; never log them.
   */
  async getSecretData(namespace: string, name: string): Promise<DecodedSecret | undefined> {
    const s = await this.get<KubeObject & { data?: Record<string, string>; type?: string }>(RESOURCES.secrets, namespace, name);
    if (!s) return undefined;
    const data: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries(s.data ?? {})) data[k] = Buffer.from(v, 'base64');
    return { data, resourceVersion: s.metadata.resourceVersion ?? '', uid: s.metadata.uid ?? '', type: s.type };
  }

  /**
   * Writes `status` with server-side apply on the status subresource, under the one field manager,
   * unless `current.status` already equals it (then no request, returns undefined), with `current`'s
   * resourceVersion as a precondition. The operator owns the whole status: fields left out of
   * `status` are removed by the apply. `status` is any kind's status type: an interface, so no Record.
   */
  async applyStatus<T extends ObjectHandle = KubeObject>(rt: ResourceType, current: ObjectHandle, status: object): Promise<T | undefined> {
    if (jsonEqual(normalize(status), normalize(current.status ?? {}))) return undefined;
    const { name, namespace, resourceVersion } = current.metadata;
    if (!name) throw new Error('applyStatus: the object has no name');
    // The resourceVersion is a precondition: a status computed from a stale copy is refused (409), never
    // written over a newer one.
    const body = { apiVersion: apiVersionOf(rt), kind: rt.kind, metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) }, status: normalize(status) };
    return this.client.request<T>({
      verb: 'apply',
      resource: `${rt.plural}/status`,
      method: 'PATCH',
      path: resourcePath(rt, namespace, name, 'status'),
      query: { fieldManager: this.fieldManager, force: true },
      contentType: APPLY_PATCH,
      body,
    });
  }

  /**
   * Merge-patches finalizers, annotations and labels, skipping the call when nothing changes. A change
   * of finalizers carries the object's resourceVersion as a precondition (409 if it moved on: requeue),
   * so a finalizer never disappears because two writers raced.
   */
  async patchMetadata<T extends ObjectHandle = KubeObject>(rt: ResourceType, current: ObjectHandle, change: MetadataChange): Promise<T | undefined> {
    const meta = current.metadata;
    const patch: Record<string, unknown> = {};
    if (change.finalizers && !jsonEqual(change.finalizers, meta.finalizers ?? [])) {
      patch.finalizers = change.finalizers;
      patch.resourceVersion = meta.resourceVersion;
    }
    const mapDelta = (desired: Record<string, string | null> | undefined, have: Record<string, string> | undefined) => {
      if (!desired) return undefined;
      const delta: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(desired)) {
        if (v === null ? have?.[k] !== undefined : have?.[k] !== v) delta[k] = v;
      }
      return Object.keys(delta).length ? delta : undefined;
    };
    const annotations = mapDelta(change.annotations, meta.annotations);
    const labels = mapDelta(change.labels, meta.labels);
    if (annotations) patch.annotations = annotations;
    if (labels) patch.labels = labels;
    if (change.precondition) patch.resourceVersion = meta.resourceVersion;
    if (Object.keys(patch).length === 0) return undefined;
    return this.client.request<T>({
      verb: 'patch',
      resource: rt.plural,
      method: 'PATCH',
      path: resourcePath(rt, meta.namespace, meta.name),
      query: { fieldManager: this.fieldManager },
      contentType: MERGE_PATCH,
      body: { metadata: patch },
    });
  }

  /** Adds a finalizer unless present. */
  addFinalizer<T extends ObjectHandle = KubeObject>(rt: ResourceType, current: ObjectHandle, finalizer: string): Promise<T | undefined> {
    const have = current.metadata.finalizers ?? [];
    if (have.includes(finalizer)) return Promise.resolve(undefined);
    return this.patchMetadata<T>(rt, current, { finalizers: [...have, finalizer] });
  }

  /** Removes a finalizer if present. A 404 (object already gone) counts as done. */
  async removeFinalizer<T extends ObjectHandle = KubeObject>(rt: ResourceType, current: ObjectHandle, finalizer: string): Promise<T | undefined> {
    const have = current.metadata.finalizers ?? [];
    if (!have.includes(finalizer)) return undefined;
    try {
      return await this.patchMetadata<T>(rt, current, { finalizers: have.filter((f) => f !== finalizer) });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Makes a ConfigMap owned (controller=true) by `owner` hold exactly `data`. With `cached` (the
   * ConfigMap's metadata from an informer) an unchanged ConfigMap costs no request at all: the
   * operator records a digest of what it wrote in an annotation. Returns `conflict`, writing
   * nothing, when a ConfigMap of that name exists and is not ours: not controlled by `owner`, or
   * without `target.labels` (RBAC cannot scope ConfigMap writes; this check is what does).
   */
  async ensureOwnedConfigMap(
    owner: ObjectHandle,
    target: { namespace: string; name: string; labels?: Record<string, string> },
    data: Record<string, string>,
    cached?: KubeObject,
  ): Promise<EnsureResult> {
    const ref = controllerRef(owner);
    const hash = contentHash(data);
    const ownedBy = (m: ObjectHandle['metadata'] | undefined) =>
      !!m?.ownerReferences?.some((r) => r.controller && r.uid === ref.uid) && Object.entries(target.labels ?? {}).every(([k, v]) => m.labels?.[k] === v);
    if (cached && ownedBy(cached.metadata) && cached.metadata.annotations?.[CONTENT_HASH_ANNOTATION] === hash) return 'unchanged';

    const rt = RESOURCES.configMaps;
    const existing = await this.get<KubeObject & { data?: Record<string, string> }>(rt, target.namespace, target.name);
    if (!existing) {
      await this.client.request({
        verb: 'create',
        resource: rt.plural,
        method: 'POST',
        path: resourcePath(rt, target.namespace),
        query: { fieldManager: this.fieldManager },
        body: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: target.name,
            namespace: target.namespace,
            labels: target.labels,
            annotations: { [CONTENT_HASH_ANNOTATION]: hash },
            ownerReferences: [ref],
          },
          data,
        },
      });
      return 'created';
    }
    if (!ownedBy(existing.metadata)) return 'conflict';
    if (jsonEqual(existing.data ?? {}, data) && existing.metadata.annotations?.[CONTENT_HASH_ANNOTATION] === hash) return 'unchanged';
    const updated = {
      ...existing,
      metadata: {
        ...existing.metadata,
        annotations: { ...(existing.metadata.annotations ?? {}), [CONTENT_HASH_ANNOTATION]: hash },
      },
      data,
    };
    delete (updated.metadata as ObjectMeta).managedFields;
    await this.client.request({
      verb: 'update',
      resource: rt.plural,
      method: 'PUT',
      path: resourcePath(rt, target.namespace, target.name),
      query: { fieldManager: this.fieldManager },
      body: updated, // carries metadata.resourceVersion: a concurrent change gives 409 and a requeue
    });
    return 'updated';
  }
}

/** Drops undefined members so a desired status compares equal to what the server returns. */
function normalize<T>(v: T): T {
  return JSON.parse(JSON.stringify(v ?? {})) as T;
}
