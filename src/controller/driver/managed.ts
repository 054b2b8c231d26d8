// The seam between the reconcile driver (Kubernetes machinery: finalizer, create guard, error policy,
// deadline, status, events, metrics, requeue) and each kind (its preconditions, its status, and an
// external client with four verbs — Crossplane's ExternalClient shape, and the words its events and
// conditions use for the external object). Types only.
import type { Logger } from 'pino';
import type { ObjectMeta } from '../../api/meta.ts';
import type { Outcome } from './conditions.ts';

export interface ManagedObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: unknown;
  status?: { observedGeneration?: number; conditions?: unknown[]; lastSyncTime?: string; lastHandledReconcileAt?: string };
}

/**
 * What observe() found of the external object, and (`planned`) what update() needs to converge it, as Crossplane's
 * ExternalObservation carries it: update() works from the observation it is given, never from state
 * left behind by an earlier call.
 */
export interface Observation<R, P = unknown> {
  /** What update() will do, planned by observe() from the same read; present when there are differences. */
  planned?: P;
  /** The external resource, when it exists. */
  resource?: R;
  /** Its id in the backend, recorded in the annotation chaman.io/external-name. */
  externalName?: string;
  /** The operator cannot tell which external resource is this object's: it stops and says so. */
  ambiguous?: string;
  /**
   * The external resource found is not this object's (another type, another owner): terminal, nothing
   * is written, and a deletion leaves it alone. Never a reason to replace it.
   */
  foreign?: string;
  /** It was recorded as created by the operator and is gone from the backend (deleted by hand). */
  vanished?: boolean;
  /** What differs from the spec, in words (never a secret value); empty when up to date. */
  differences: string[];
  /** The differences come from a change made in the backend, not from the spec or its Secrets. */
  drift?: boolean;
}

export interface Updated<R> {
  resource: R;
  /** An event that says it better than the driver's generic Updated / DriftCorrected. */
  event?: { reason: string; message: string };
}

/** Four verbs against the backend, bound to one object and one reconcile (its inputs and its AbortSignal). */
export interface ExternalClient<R, P = unknown> {
  observe(): Promise<Observation<R, P>>;
  /**
   * Creates it. `guardKey` names this object's pending create (its uid and guard stamp); the client
   * adds what it sends, so an Idempotency-Key is never reused for another body and a retry of the same
   * create never makes a second one.
   */
  create(guardKey: string): Promise<{ resource: R; externalName: string }>;
  /**
   * What identifies the intended create in a later lookup (public, short), recorded beside the create
   * guard: a create whose answer was lost is found by it even after the spec changed.
   */
  createIntent?(): string;
  /**
   * Converges an existing resource. Returns 'recreate' when the change is one the backend forbids and
   * the spec allows delete-and-create; throws NeedsUserError when it forbids and the spec does not.
   */
  update(observation: Observation<R, P>): Promise<Updated<R> | 'recreate'>;
  delete(observation: Observation<R, P>): Promise<void>;
}

/** Per-reconcile context a kind may use. */
export interface ReconcileScope {
  signal: AbortSignal;
  log: Logger;
  now: Date;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** Either an external client to converge with, or an outcome that stops the reconcile here. */
export type Connection<R> =
  | { external: ExternalClient<R> }
  | { stop: Outcome; result: 'success' | 'invalid' | 'error'; event?: { reason: string; message: string }; requeueAt?: Date };

export interface ObjectPolicies {
  /** Manage (write to the backend) or Observe (read and report only). */
  manage: boolean;
  /** Whether deleting the object deletes the external resource (deletionPolicy Delete). */
  deleteExternal: boolean;
  /** Whether the object carries the operator's finalizer. */
  finalizer: boolean;
}

export interface ManagedKind<O extends ManagedObject, R> {
  readonly kind: string;
  /** The operator creates the external resource (a create guard protects it); false when it always exists. */
  readonly creates: boolean;
  /** How its events and conditions name the external object and the backend. */
  readonly wording: ExternalWording;
  policies(object: O): ObjectPolicies;
  connect(object: O, scope: ReconcileScope): Promise<Connection<R>>;
  /**
   * While deleting: the client to observe and delete with, an outcome that holds the deletion, or
   * `release` (with why) when the backend cannot be reached for this object any more and it is orphaned.
   */
  connectForDeletion(object: O, scope: ReconcileScope): Promise<Connection<R> | { release: string }>;
  /** After convergence: publish what others read (e.g. the REST client ID). */
  afterConverged?(object: O, resource: R, scope: ReconcileScope): Promise<void> | void;
  /** The whole status for an outcome; `resource` undefined keeps what status last said about the external object. */
  composeStatus(object: O, outcome: Outcome, resource: R | undefined, now: Date): { status: NonNullable<O['status']>; requeueAt?: Date };
  /** Returns the object's resourceVersion after the write (a status write moves it too). */
  writeStatus(object: O, status: NonNullable<O['status']>): Promise<string | undefined>;
}

/**
 * The words of the driver's events and conditions, supplied by the kind: the driver knows neither the
 * backend nor what the external object is called. `what` lists the differences, `name` is the external name.
 */
export interface ExternalWording {
  /** The Stalled reason when observe() cannot tell which external object is this one's. */
  unidentifiedReason: string;
  /** Ready while a slow create runs. */
  creating: string;
  created(name: string): string;
  /** A create whose answer was lost had in fact made it. */
  createRecovered(name: string): string;
  /** It was recorded as created and is gone: it is created again. */
  vanished: string;
  updating(what: string): string;
  updated(what: string): string;
  driftCorrected(what: string): string;
  /** The backend forbids this change in place: delete and create again. */
  recreating(what: string): string;
  deleted(name: string): string;
  /** Left in the backend on deletion. */
  orphaned(name: string): string;
  /** Ready and Synced once it matches the spec. */
  converged: { ready: string; synced: string };
  /** managementPolicy Observe: none found, it matches, and Synced when it differs. */
  observed: { notFound: string; matches: string; driftSynced: string };
}

/** Annotations and the finalizer, written in one patch with the object's resourceVersion. */
export interface MetadataChange {
  /** Annotations to set; `null` removes one. */
  annotations?: Record<string, string | null>;
  /** Whether the operator's finalizer is present. */
  finalizer?: boolean;
}

/** Where the driver's events go (the wiring records them as Kubernetes Events). */
export interface EventSink {
  normal(object: ManagedObject, reason: string, message: string): void;
  warning(object: ManagedObject, reason: string, message: string): void;
}
