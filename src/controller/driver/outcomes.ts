// Outcomes the driver writes without a fresh verdict on the external object: what the object's status
// already says of Ready is kept, and Synced says why nothing was done. Pure.
import { findCondition, type Condition, type Outcome, type ReadyReason } from './conditions.ts';
import type { ManagedObject } from './managed.ts';

function readyCondition(object: ManagedObject): Condition | undefined {
  return findCondition(object.status?.conditions as Condition[] | undefined, 'Ready');
}

export function readyMessage(object: ManagedObject): string | undefined {
  return readyCondition(object)?.message;
}

/** Ready as the object's status last said it, or `fallback` before any. */
function lastReady(object: ManagedObject, fallback: Outcome['ready']): Outcome['ready'] {
  const ready = readyCondition(object);
  return ready ? { status: ready.status as Outcome['ready']['status'], reason: ready.reason as ReadyReason, message: ready.message } : fallback;
}

/** Synced=False with the error; Ready stays what it was (Kubernetes failed, not the backend). */
export function keepReady(object: ManagedObject, message: string): Outcome {
  return {
    ready: lastReady(object, { status: 'Unknown', reason: 'Creating', message: 'Not reconciled yet.' }),
    synced: { ok: false, reason: 'ReconcileError', message },
    progressing: true,
  };
}

/**
 * Paused (as Crossplane does): Ready keeps what it last said, so GitOps health does not wait on a paused
 * object; Synced=False with ReconcilePaused says that nothing is reconciled.
 */
export function pausedOutcome(object: ManagedObject): Outcome {
  const message = 'Reconciliation is paused by the annotation chaman.io/paused: "true"; Ready shows the last reconcile.';
  return {
    ready: lastReady(object, { status: 'Unknown', reason: 'Paused', message }),
    synced: { ok: false, reason: 'ReconcilePaused', message },
    progressing: false,
  };
}
