// Conditions in the shape of metav1.Condition, with kstatus semantics (Reconciling, Stalled) so
// Flux and Argo CD read health with no custom code. Pure.
import type { ReadyReason } from '../../api/common.ts';
import { rfc3339 } from '../../domain/time.ts';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export type { ReadyReason };

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/**
 * Merges the wanted conditions into the current ones. A condition keeps its lastTransitionTime
 * while its status does not change, so an unchanged reconcile yields an identical list (and no write).
 * Types not in `wanted` are dropped: the caller always states the whole set it owns.
 */
export function mergeConditions(current: Condition[] | undefined, wanted: ConditionInput[], generation: number, now: Date): Condition[] {
  const byType = new Map((current ?? []).map((c) => [c.type, c]));
  return wanted.map((w) => {
    const previous = byType.get(w.type);
    const lastTransitionTime =
      previous && previous.status === w.status ? previous.lastTransitionTime : rfc3339(now);
    return { type: w.type, status: w.status, observedGeneration: generation, lastTransitionTime, reason: w.reason, message: w.message };
  });
}

export function findCondition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** The part of a condition that readiness reads: any status type of the API has it. */
type ConditionLike = { type: string; status: string; observedGeneration?: number };

/** True when the object's Ready condition is True for its current generation. */
export function isReadyForGeneration(status: { conditions?: readonly ConditionLike[] } | undefined, generation: number | undefined): boolean {
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' && (generation === undefined || ready.observedGeneration === generation);
}

/** The outcome of one reconcile, in the terms conditions speak. */
export interface Outcome {
  ready: { status: ConditionStatus; reason: ReadyReason; message: string };
  synced: { ok: boolean; reason: 'ReconcileSuccess' | 'ReconcileError' | 'ReconcilePaused'; message: string };
  invalid?: { reason: string; message: string };
  /** Still converging (kstatus Reconciling). */
  progressing: boolean;
  /** Cannot converge without a human (kstatus Stalled). */
  stalled?: { reason: string; message: string };
}

/** Ready, Synced, Invalid, Reconciling and Stalled for an outcome (a kind adds its own in composeStatus). */
export function outcomeConditions(outcome: Outcome): ConditionInput[] {
  const conditions: ConditionInput[] = [
    { type: 'Ready', ...outcome.ready },
    {
      type: 'Synced',
      status: outcome.synced.ok ? 'True' : 'False',
      reason: outcome.synced.reason,
      message: outcome.synced.message,
    },
    outcome.invalid
      ? { type: 'Invalid', status: 'True', ...outcome.invalid }
      : { type: 'Invalid', status: 'False', reason: 'Valid', message: 'The spec and its Secrets follow the rules.' },
    outcome.progressing
      ? { type: 'Reconciling', status: 'True', reason: outcome.ready.reason, message: outcome.ready.message }
      : { type: 'Reconciling', status: 'False', reason: 'Settled', message: 'Nothing left to do.' },
  ];
  if (outcome.stalled) conditions.push({ type: 'Stalled', status: 'True', ...outcome.stalled });
  else conditions.push({ type: 'Stalled', status: 'False', reason: 'Progressing', message: 'Not stalled.' });
  return conditions;
}
