// Typed errors of the Chaman client. The controller maps them to conditions in one place;
// their messages never contain a credential.
import type { FieldError } from './types.ts';

export type ChamanErrorCode =
  | 'CONTACT_REQUIRED'
  | 'CHANNEL_ALREADY_EXISTS'
  | 'LAST_CERTIFICATE'
  | 'OPERATION_NOT_ALLOWED'
  | 'VALIDATION_FAILED'
  | 'ACCESS_DENIED'
  | 'NOT_FOUND'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'CIRCUIT_OPEN'
  | 'RESPONSE_TOO_LARGE'
  | 'ABORTED';

export class ChamanError extends Error {
  readonly code: ChamanErrorCode | string;
  readonly status: number;
  /** Whether retrying the same call later may succeed. */
  readonly retryable: boolean;
  constructor(message: string, code: ChamanErrorCode | string, status: number, retryable: boolean) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.retryable = retryable;
  }
}

/** R14: the credential has no access to Chaman, or not to this sender. */
export class AccessDeniedError extends ChamanError {
  constructor(senderNumber: string | undefined, detail?: string) {
    super(
      `Chaman refused access (HTTP 403${senderNumber ? `, sender ${senderNumber}` : ''})` +
        (detail ? `: ${detail}` : '') +
        '. The credential used by the operator has no access to Chaman for this sender (R14): ' +
        'if you are not an access manager (GAP/VTB), ask yours to enable Chaman for you; ' +
        'if you are, enable the application Chaman for this credential in the access-management application (Uman).',
      'ACCESS_DENIED',
      403,
      false,
    );
  }
}

/**
 * HTTP 401: Chaman did not recognise the credential at all (no token, an unknown token, or a client
 * certificate it does not trust). An AccessDeniedError (same `code`, so the controller reports it the
 * same way, R14) with status 401 and a message that says to check the credential itself.
 */
export class AuthenticationError extends AccessDeniedError {
  constructor(detail?: string) {
    super(undefined, detail);
    this.message =
      'Chaman did not recognise the credential (HTTP 401)' +
      (detail ? `: ${detail}` : '') +
      '. Check the bearer token or the client certificate the operator uses (its Secret or files), ' +
      'and that it is registered for Chaman (R14).';
    Object.defineProperty(this, 'status', { value: 401, enumerable: true });
  }
}

export class ConflictError extends ChamanError {
  constructor(code: ChamanErrorCode | string, message: string) {
    super(message, code, 409, false);
  }
}

export class ValidationError extends ChamanError {
  readonly errors: FieldError[];
  constructor(message: string, errors: FieldError[]) {
    super(message, 'VALIDATION_FAILED', 422, false);
    this.errors = errors;
  }
}

export class NotFoundError extends ChamanError {
  constructor(message: string) {
    super(message, 'NOT_FOUND', 404, false);
  }
}

export class RateLimitedError extends ChamanError {
  /** From Retry-After, in milliseconds, when the server said. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs: number | undefined) {
    super(message, 'RATE_LIMITED', 429, true);
    this.retryAfterMs = retryAfterMs;
  }
}

/** 5xx, a timeout, a refused or dropped connection: the outcome of a write may be unknown. */
export class UnavailableError extends ChamanError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, status = 503, retryAfterMs?: number, code: ChamanErrorCode = 'UNAVAILABLE') {
    super(message, code, status, true);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Not sent: Chaman failed too many times in a row, and the circuit breaker lets one probe per
 * interval through until it answers. Nothing reached Chaman, so nothing happened there.
 */
export class CircuitOpenError extends UnavailableError {
  constructor(what: string, retryAfterMs: number) {
    super(
      `${what}: not sent, Chaman has been failing (no answer, 5xx or 429 several times in a row); ` +
        `the operator sends it one probe per second until it answers, the next in ${retryAfterMs} ms. Nothing to do but wait, unless the outage lasts.`,
      503,
      retryAfterMs,
      'CIRCUIT_OPEN',
    );
  }
}

/**
 * The caller gave up (its AbortSignal fired: a reconcile deadline, a shutdown): the call stopped
 * where it was, retries and waits included. `cause` is the signal's reason. A write that was
 * already sent may or may not have happened.
 */
export class AbortedError extends ChamanError {
  constructor(what: string, reason: unknown) {
    const why = (reason as { name?: string })?.name === 'TimeoutError' ? 'its deadline passed' : 'it was cancelled';
    // 499: "client closed request"; never retried by the client, the caller decides.
    super(`${what}: abandoned because ${why}; the outcome of a write already sent is unknown`, 'ABORTED', 499, false);
    this.cause = reason;
  }
}

/**
 * Chaman's answer was larger than the client's cap and was abandoned unread (its connection closed).
 * No Chaman answer comes near it, so the URL is more likely wrong than Chaman; not retried by the
 * client (the same call would get the same answer).
 */
export class ResponseTooLargeError extends ChamanError {
  constructor(what: string, maxBytes: number) {
    super(
      `${what}: the answer is larger than ${maxBytes} bytes (${maxBytes / 1024 / 1024} MiB), the operator's cap on a Chaman answer, ` +
        'and was not read further. No Chaman answer is that large: check that --chaman-url points at Chaman.',
      'RESPONSE_TOO_LARGE',
      502,
      false,
    );
  }
}
