// The one place where an error becomes a decision: what status says, whether and when to try again.
// Four classes (plus an abort), after controller-runtime's reconcileHandler:
// - conflict:   a write lost a race on a stale copy; try again at once from a fresh copy, report nothing;
// - transient:  the external system or the network failed; Synced=False with the error and the next try, backoff;
// - kubernetes: the Kubernetes API failed; Synced=False, backoff; the external system was not the problem;
// - needsUser:  only a person can fix it (a rule, access, a name taken); terminal: Stalled=True, no fast retries.
// It knows no backend: an adapter (chaman-errors.ts for Chaman) turns the backend's errors into the
// classes below before they reach the driver. Pure.
import { KubeApiError } from '../../kube/client.ts';
import type { Finding, InvalidReason } from '../../domain/types.ts';
import type { Outcome, ReadyReason } from './conditions.ts';

/** An error the controller raises itself for something only a person can fix (a missing Secret, a name taken). */
export class NeedsUserError extends Error {
  readonly reason: ReadyReason;
  readonly stalledReason: string;
  /** A refused create that may still have made the external object: its create guard stays. */
  readonly mayHaveCreated: boolean;
  /** Look again by itself after this long (access may be granted elsewhere); otherwise only on a change. */
  readonly recheckAfterMs: number | undefined;
  /** The reason of the Warning event; the Stalled reason unless that is a backend's code. */
  readonly eventReason: string;
  constructor(message: string, opts: { reason?: ReadyReason; stalledReason: string; mayHaveCreated?: boolean; recheckAfterMs?: number; eventReason?: string }) {
    super(message);
    this.name = 'NeedsUserError';
    this.reason = opts.reason ?? 'Stalled';
    this.stalledReason = opts.stalledReason;
    this.mayHaveCreated = opts.mayHaveCreated ?? false;
    this.recheckAfterMs = opts.recheckAfterMs;
    this.eventReason = opts.eventReason ?? opts.stalledReason;
  }
}

/** The external system refused the spec for a rule: Invalid, terminal until the spec or a Secret changes. */
export class InvalidError extends Error {
  readonly findings: Finding[];
  constructor(message: string, findings: Finding[]) {
    super(message);
    this.name = 'InvalidError';
    this.findings = findings;
  }
}

/** The external system or the way to it failed; worth another try, not before `retryAfterMs` when given. */
export class TransientError extends Error {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'TransientError';
    this.retryAfterMs = retryAfterMs;
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
  if (error instanceof NeedsUserError) return needsUser(stalledOutcome(error.reason, error.stalledReason, error.message), error.eventReason, error.recheckAfterMs);
  if (error instanceof InvalidError) {
    const findings: Finding[] = error.findings.length > 0 ? error.findings : [{ rule: 'SCHEMA', field: '', severity: 'error', message: error.message }];
    const outcome = invalidOutcome(findings);
    return needsUser(outcome, outcome.invalid!.reason);
  }
  if (error instanceof TransientError) return transient(error.message, error.retryAfterMs);
  if (signal?.aborted) return transient(`the reconcile was cut short: ${reasonText(signal.reason)}`);
  return transient(`Reconcile failed: ${error instanceof Error ? error.message : String(error)}`);
}

function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
