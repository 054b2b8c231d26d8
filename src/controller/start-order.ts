// The order in which every object is queued at start and at each resync. Random, so that a crash
// loop cannot starve the objects at the end of a fixed order; urgent work first (a create whose
// outcome is unknown, a deletion), so it never waits behind the rest. Pure.
import { ANNOTATIONS } from '../domain/annotations.ts';

export interface Queued {
  key: string;
  metadata: { annotations?: Record<string, string>; deletionTimestamp?: string };
}

/** A create of unknown outcome or a deletion: what must not wait behind thousands of settled objects. */
export function isUrgent(metadata: Queued['metadata']): boolean {
  return metadata.annotations?.[ANNOTATIONS.createPending] !== undefined || metadata.deletionTimestamp !== undefined;
}

export function startOrder(items: Queued[], random: () => number = Math.random): string[] {
  const shuffled = [...items];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const urgent = shuffled.filter((item) => isUrgent(item.metadata));
  const rest = shuffled.filter((item) => !isUrgent(item.metadata));
  return [...urgent, ...rest].map((item) => item.key);
}
