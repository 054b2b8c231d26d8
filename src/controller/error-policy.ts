// The one place where an error becomes a decision: what status says, whether and when to try again.
// Four classes (plus an abort), after controller-runtime's reconcileHandler:
// - conflict:   a write lost a race on a stale copy; try again at once from a fresh copy, report nothing;
// - transient:  Chaman or the network failed; Synced=False with the error and the next try, backoff;
// - kubernetes: the Kubernetes API failed; Synced=False, backoff; Chaman was not the problem;
// - needsUser:  only a person can fix it (a rule, access, a name taken); terminal: Stalled=True, no fast retries.
// Pure.
import {
  AbortedError,
  AccessDeniedError,
  ChamanError,
  ConflictError,
  RateLimitedError,
  UnavailableError,
  ValidationError,
} from '../chaman/errors.ts';
import { KubeApiError } from '../kube/client.ts';
import type { Finding, InvalidReason } from '../domain/types.ts';
import type { Outcome, ReadyReason } from './conditions.ts';

/** An error the controller raises itself for something only a person can fix (a missing Secret, a name taken). */
export class NeedsUserError extends Error {
  readonly reason: ReadyReason;
  readonly stalledReason: string;
  /** A refused create that may still have made the external object: its create guard stays. */
  readonly mayHaveCreated: boolean;
  constructor(message: string, opts: { reason?: ReadyReason; stalledReason: string; mayHaveCreated?: boolean }) {
    super(message);
    this.name = 'NeedsUserError';
    this.reason = opts.reason ?? 'Stalled';
    this.stalledReason = opts.stalledReason;
    this.mayHaveCreated = opts.mayHaveCreated ?? false;
  }
}

export type ErrorVerdict =
  | { class: 'conflict'; message: string }
  /** Cut short on purpose (shutdown, lost leadership; decided by the driver): write nothing, keep the guards. */
  | { class: 'aborted'; message: string }
  | { class: 'transient'; outcome: Outcome; eventReason: string; retryAfterMs?: number }
  | { class: 'kubernetes'; message: string; retryAfterMs?: number }
  | { class: 'needsUser'; outcome: Outcome; eventReason: string; recheckAfterMs?: number };

/** How long a terminal error waits before the operator looks again by itself (access can be granted elsewhere). */
export const NEEDS_USER_RECHECK_MS = 5 * 60_000;

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

/** Invalid: terminal until the spec or a Secret changes. */
export function invalidOutcome(findings: Finding[]): Outcome {
  const errors = findings.filter((f) => f.severity === 'error');
  const message = errors.map((f) => `${f.field}: ${f.message} [${f.rule}]`).join(' ');
  const reason = reasonForFinding(errors[0]!);
  return {
    ready: { status: 'False', reason: 'Invalid', message: `The spec breaks a rule: ${message}` },
    synced: { ok: false, reason: 'ReconcileError', message },
    invalid: { reason, message },
    progressing: false,
    stalled: { reason, message },
  };
}

/** A terminal outcome that is not a rule of the spec: Ready=False with `reason`, Stalled with `stalledReason`. */
export function stalledOutcome(reason: ReadyReason, stalledReason: string, message: string): Outcome {
  return {
    ready: { status: 'False', reason, message },
    synced: { ok: false, reason: 'ReconcileError', message },
    progressing: false,
    stalled: { reason: stalledReason, message },
  };
}

function needsUser(outcome: Outcome, eventReason: string, recheckAfterMs?: number): ErrorVerdict {
  return { class: 'needsUser', outcome, eventReason, ...(recheckAfterMs !== undefined ? { recheckAfterMs } : {}) };
}

function transient(message: string, retryAfterMs?: number): ErrorVerdict {
  return {
    class: 'transient',
    outcome: {
      ready: { status: 'False', reason: 'BackendUnavailable', message },
      synced: { ok: false, reason: 'ReconcileError', message },
      progressing: true,
    },
    eventReason: 'BackendUnavailable',
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

export function classifyError(error: unknown, signal?: AbortSignal): ErrorVerdict {
  if (error instanceof KubeApiError) {
    if (error.status === 409) return { class: 'conflict', message: error.message };
    return { class: 'kubernetes', message: `Kubernetes API: ${error.message}`, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) };
  }
  if (error instanceof NeedsUserError) return needsUser(stalledOutcome(error.reason, error.stalledReason, error.message), error.stalledReason);
  if (error instanceof AccessDeniedError) {
    // R14: a person must grant access, possibly outside Kubernetes: look again now and then, not in a storm.
    return needsUser(stalledOutcome('AccessDenied', 'AccessDenied', error.message), 'AccessDenied', NEEDS_USER_RECHECK_MS);
  }
  if (error instanceof ValidationError) {
    const findings: Finding[] =
      error.errors.length > 0
        ? error.errors.map((e) => ({ rule: e.rule as Finding['rule'], field: e.field, severity: 'error', message: e.message }))
        : [{ rule: 'SCHEMA', field: '', severity: 'error', message: error.message }];
    const outcome = invalidOutcome(findings);
    return needsUser(outcome, outcome.invalid!.reason);
  }
  if (error instanceof ConflictError && error.code === 'CHANNEL_ALREADY_EXISTS') {
    const outcome = invalidOutcome([
      {
        rule: 'R2',
        field: 'spec.type',
        severity: 'error',
        reason: 'DuplicateChannel',
        message: `${error.message} The sender already has an account of this type in Chaman (R2): delete it there, or adopt it by setting the annotation chaman.io/external-name to its id.`,
      },
    ]);
    return needsUser(outcome, 'DuplicateChannel');
  }
  if (error instanceof ConflictError) {
    const message = `Chaman refused the change (${error.code}): ${error.message}`;
    return needsUser(stalledOutcome('RequiresReplacement', error.code, message), 'RequiresReplacement');
  }
  if (error instanceof RateLimitedError || error instanceof UnavailableError) {
    return transient(`Chaman is unavailable (${error.message})`, error.retryAfterMs);
  }
  if (signal?.aborted || error instanceof AbortedError) {
    return transient(`the reconcile was cut short: ${reasonText(signal?.aborted ? signal.reason : error)}`);
  }
  if (error instanceof ChamanError) return transient(`Chaman answered ${error.status} ${error.code}: ${error.message}`);
  return transient(`Reconcile failed: ${error instanceof Error ? error.message : String(error)}`);
}

function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
