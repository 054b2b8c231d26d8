// Chaman's errors in the driver's terms (error-policy.ts): the one place that knows what each Chaman
// answer means for a reconcile, so the driver and its error policy know no backend.
import { AbortedError, AccessDeniedError, ChamanError, ConflictError, RateLimitedError, UnavailableError, ValidationError } from '../chaman/errors.ts';
import type { Finding } from '../domain/types.ts';
import { InvalidError, NEEDS_USER_RECHECK_MS, NeedsUserError, TransientError } from './driver/error-policy.ts';

/** The driver's error for a Chaman error; any other error is returned as it is. */
export function fromChaman(error: unknown): unknown {
  if (!(error instanceof ChamanError)) return error;
  if (error instanceof AccessDeniedError) {
    // R14: a person must grant access, possibly outside Kubernetes: look again now and then, not in a storm.
    return new NeedsUserError(error.message, { reason: 'AccessDenied', stalledReason: 'AccessDenied', recheckAfterMs: NEEDS_USER_RECHECK_MS });
  }
  if (error instanceof ValidationError) {
    const findings: Finding[] = error.errors.map((e) => ({ rule: e.rule as Finding['rule'], field: e.field, severity: 'error', message: e.message }));
    return new InvalidError(error.message, findings);
  }
  if (error instanceof ConflictError && error.code === 'CHANNEL_ALREADY_EXISTS') {
    return new InvalidError(error.message, [
      {
        rule: 'R2',
        field: 'spec.type',
        severity: 'error',
        reason: 'DuplicateChannel',
        message: `${error.message} The sender already has an account of this type in Chaman (R2): delete it there, or adopt it by setting the annotation chaman.io/external-name to its id.`,
      },
    ]);
  }
  if (error instanceof ConflictError) {
    return new NeedsUserError(`Chaman refused the change (${error.code}): ${error.message}`, { reason: 'RequiresReplacement', stalledReason: error.code, eventReason: 'RequiresReplacement' });
  }
  if (error instanceof RateLimitedError || error instanceof UnavailableError) return new TransientError(`Chaman is unavailable (${error.message})`, error.retryAfterMs);
  if (error instanceof AbortedError) return new TransientError(`the reconcile was cut short: ${error.message}`);
  return new TransientError(`Chaman answered ${error.status} ${error.code}: ${error.message}`);
}
