// The one place where errors and findings become conditions and retry decisions.
import {
  AccessDeniedError,
  ChamanError,
  ConflictError,
  NotFoundError,
  RateLimitedError,
  UnavailableError,
  ValidationError,
} from '../chaman/errors.ts';
import type { Finding, InvalidReason } from '../domain/types.ts';
import type { Outcome } from './conditions.ts';

export interface ErrorOutcome {
  outcome: Outcome;
  /** Retry with per-key backoff (transient); false: wait for a change of the spec or a Secret. */
  retry: boolean;
  retryAfterMs?: number;
  /** Stable reason for the Warning event. */
  eventReason: string;
}

const RULE_REASONS: Record<string, InvalidReason> = {
  R1: 'InvalidContact',
  R2: 'DuplicateChannel',
  R4: 'InvalidUsername',
  R5: 'InvalidPassword',
  R6: 'InvalidCertificate',
  R7: 'InvalidCertificate',
  R8: 'InvalidCertificate',
  R9: 'InvalidCertificate',
  R10: 'InvalidCertificate',
  R11: 'UnknownPermission',
  R17: 'InvalidSSHKey',
};

export function reasonForFinding(finding: Finding): InvalidReason {
  return finding.reason ?? RULE_REASONS[finding.rule] ?? 'InvalidCertificate';
}

/** Invalid: terminal until the spec or a Secret changes; no fast retries. */
export function invalidOutcome(findings: Finding[]): ErrorOutcome {
  const errors = findings.filter((f) => f.severity === 'error');
  const first = errors[0]!;
  const message = errors.map((f) => `${f.field}: ${f.message} [${f.rule}]`).join(' ');
  const reason = reasonForFinding(first);
  return {
    outcome: {
      ready: { status: 'False', reason: 'Invalid', message: `The spec breaks a rule: ${message}` },
      synced: { ok: false, reason: 'ReconcileError', message },
      invalid: { reason, message },
      progressing: false,
      stalled: { reason, message },
    },
    retry: false,
    eventReason: reason,
  };
}

function transient(reason: 'BackendUnavailable' | 'AccessDenied', message: string, retryAfterMs?: number): ErrorOutcome {
  return {
    outcome: {
      ready: { status: 'False', reason, message },
      synced: { ok: false, reason: 'ReconcileError', message },
      progressing: reason === 'BackendUnavailable',
      ...(reason === 'AccessDenied' ? { stalled: { reason, message } } : {}),
    },
    retry: true,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    eventReason: reason,
  };
}

export function errorOutcome(error: unknown): ErrorOutcome {
  if (error instanceof AccessDeniedError) return transient('AccessDenied', error.message);
  if (error instanceof ValidationError) {
    return invalidOutcome(
      error.errors.length > 0
        ? error.errors.map((e) => ({ rule: e.rule as Finding['rule'], field: e.field, severity: 'error', message: e.message }))
        : [{ rule: 'SCHEMA', field: '', severity: 'error', message: error.message }],
    );
  }
  if (error instanceof ConflictError && error.code === 'CHANNEL_ALREADY_EXISTS') {
    return invalidOutcome([
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
    const message = `Chaman refused the change (${error.code}): ${error.message}`;
    return {
      outcome: {
        ready: { status: 'False', reason: 'RequiresReplacement', message },
        synced: { ok: false, reason: 'ReconcileError', message },
        progressing: false,
        stalled: { reason: error.code, message },
      },
      retry: false,
      eventReason: 'RequiresReplacement',
    };
  }
  if (error instanceof RateLimitedError || error instanceof UnavailableError) {
    return transient('BackendUnavailable', `Chaman is unavailable (${error.message}); retrying with backoff.`, error.retryAfterMs);
  }
  if (error instanceof NotFoundError || error instanceof ChamanError) {
    return transient('BackendUnavailable', `Chaman answered ${error.status} ${error.code}: ${error.message}`);
  }
  const message = error instanceof Error ? error.message : String(error);
  return transient('BackendUnavailable', `Reconcile failed: ${message}; retrying with backoff.`);
}
