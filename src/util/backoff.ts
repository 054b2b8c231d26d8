// The one backoff of the project: capped exponential with jitter. The Chaman client waits it between
// attempts of one call; the work queue waits it between reconciles of a failing key. Pure: the
// random source is a parameter.

export interface BackoffPolicy {
  /** delay after the first failure, in ms */
  baseMs: number;
  /** upper bound of the exponential delay, in ms */
  capMs: number;
  /** fraction in [0, 1]: the delay is drawn uniformly from [d·(1−jitter), d] */
  jitter: number;
}

/**
 * The delay after the n-th consecutive failure (n ≥ 1): d = min(capMs, baseMs·2^(n−1)), less a random
 * share of up to `jitter` of it, so that many clients failing together do not retry together.
 */
export function backoffDelayMs(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(1, failures) - 1, 52);
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(ceiling * (1 - jitter * random()));
}
