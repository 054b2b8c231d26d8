// Fault injection for tests, the reliability suite and benchmarks. Faults apply to /api/v1 only
// (never to /admin), are decided per request before any work is done (so an injected 429 or 503
// means "not processed"), except `dropAfterCommitRate`, which does the work and then drops the
// connection without answering: the client cannot tell whether a write happened.

export interface Faults {
  /** added to every API request before it is processed, in ms */
  latencyMs: number;
  /** added after a request is processed (and committed), before the answer: a window in which a client can die knowing nothing */
  responseDelayMs: number;
  /** share of requests answered 503 UNAVAILABLE (0..1) */
  errorRate: number;
  /** share of requests answered 429 RATE_LIMITED with Retry-After (0..1) */
  rate429: number;
  /** Retry-After sent with an injected 429, in seconds */
  retryAfterSeconds: number;
  /** share of requests whose socket is destroyed before any work (0..1) */
  dropRate: number;
  /**
   * share of requests processed successfully (a write committed and fsync'ed) whose socket is then
   * destroyed instead of answered (0..1): the client cannot tell whether its write happened
   */
  dropAfterCommitRate: number;
}

export const NO_FAULTS: Faults = { latencyMs: 0, responseDelayMs: 0, errorRate: 0, rate429: 0, retryAfterSeconds: 1, dropRate: 0, dropAfterCommitRate: 0 };

const RATES = ['errorRate', 'rate429', 'dropRate', 'dropAfterCommitRate'] as const;
/** Names a fault had before; still accepted by PUT /admin/faults so older scripts keep working. */
const FORMER_NAMES: Record<string, keyof Faults> = { dropResponseRate: 'dropAfterCommitRate' };

/** Validates a partial update; returns the merged faults or a list of problems. */
export function mergeFaults(current: Faults, update: unknown): { faults?: Faults; errors: { field: string; message: string }[] } {
  const errors: { field: string; message: string }[] = [];
  if (typeof update !== 'object' || update === null || Array.isArray(update)) {
    return { errors: [{ field: '', message: 'expected a JSON object with any of latencyMs, responseDelayMs, errorRate, rate429, retryAfterSeconds, dropRate, dropAfterCommitRate' }] };
  }
  const next: Faults = { ...current };
  for (const [given, value] of Object.entries(update)) {
    const key = FORMER_NAMES[given] ?? given;
    if (!(key in NO_FAULTS)) {
      errors.push({ field: key, message: `unknown fault; known: ${Object.keys(NO_FAULTS).join(', ')}` });
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      errors.push({ field: key, message: 'must be a number ≥ 0' });
      continue;
    }
    if ((RATES as readonly string[]).includes(key) && value > 1) {
      errors.push({ field: key, message: 'a rate is between 0 and 1' });
      continue;
    }
    next[key as keyof Faults] = value;
  }
  return errors.length > 0 ? { errors } : { faults: next, errors };
}

export type FaultDecision = 'drop' | 'rateLimit' | 'error' | 'dropAfterCommit' | 'none';

/** One draw per request; the rates are checked in a fixed order so they add up. */
export function decideFault(faults: Faults, random: () => number = Math.random): FaultDecision {
  const r = random();
  let edge = faults.dropRate;
  if (r < edge) return 'drop';
  edge += faults.rate429;
  if (r < edge) return 'rateLimit';
  edge += faults.errorRate;
  if (r < edge) return 'error';
  edge += faults.dropAfterCommitRate;
  if (r < edge) return 'dropAfterCommit';
  return 'none';
}
