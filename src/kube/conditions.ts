// Conditions as Kubernetes API conventions want them. `lastTransitionTime` only moves when the
// status flips, so re-stating the same conditions yields an identical status and no write.

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export type DesiredCondition = Omit<Condition, 'lastTransitionTime'>;

/** RFC 3339 with second precision, as the API server stores metav1.Time. */
export function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Returns `conditions` with `desired` set: a new condition gets `now` as lastTransitionTime; an
 * existing one keeps its lastTransitionTime unless its status changes. Order is kept (new ones last).
 */
export function setCondition(conditions: readonly Condition[] | undefined, desired: DesiredCondition, now: number = Date.now()): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === desired.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    type: desired.type,
    status: desired.status,
    reason: desired.reason,
    message: desired.message,
    ...(desired.observedGeneration !== undefined ? { observedGeneration: desired.observedGeneration } : {}),
    lastTransitionTime: prev && prev.status === desired.status ? prev.lastTransitionTime : timestamp(now),
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

/** Sets several conditions at once (see setCondition). */
export function setConditions(conditions: readonly Condition[] | undefined, desired: readonly DesiredCondition[], now: number = Date.now()): Condition[] {
  return desired.reduce<Condition[]>((acc, d) => setCondition(acc, d, now), [...(conditions ?? [])]);
}

/** Removes a condition type (e.g. CertExpiring once no certificate is close to expiry). */
export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}
