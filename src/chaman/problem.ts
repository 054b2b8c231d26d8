// RFC 9457 problem details as the Chaman backend contract (SPEC section 5) uses them, and the
// one mapping from an HTTP answer to the typed errors of errors.ts. Shared by the client (to read
// problems) and the emulator (to write them), so both agree on codes and statuses.
import {
  AccessDeniedError,
  AuthenticationError,
  ChamanError,
  ConflictError,
  NotFoundError,
  RateLimitedError,
  UnavailableError,
  ValidationError,
} from './errors.ts';
import type { FieldError } from './types.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Stable codes and the HTTP status each one is sent with. */
export const PROBLEM_STATUS = {
  MALFORMED_REQUEST: 400,
  UNAUTHENTICATED: 401,
  ACCESS_DENIED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONTACT_REQUIRED: 409,
  CHANNEL_ALREADY_EXISTS: 409,
  LAST_CERTIFICATE: 409,
  OPERATION_NOT_ALLOWED: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_FAILED: 422,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  UNAVAILABLE: 503,
} as const;

export type ProblemCode = keyof typeof PROBLEM_STATUS;

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
}

export function problemType(code: string): string {
  return `urn:chaman:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

const TITLES: Record<ProblemCode, string> = {
  MALFORMED_REQUEST: 'The request body is not valid JSON',
  UNAUTHENTICATED: 'No valid credential',
  ACCESS_DENIED: 'No access to Chaman for this sender',
  NOT_FOUND: 'Not found',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  CONTACT_REQUIRED: 'The sender has no contact data yet',
  CHANNEL_ALREADY_EXISTS: 'The sender already has an account of this type',
  LAST_CERTIFICATE: 'The last certificate of an account cannot be removed',
  OPERATION_NOT_ALLOWED: 'Chaman does not allow this change for this type of account',
  IDEMPOTENCY_KEY_REUSED: 'The Idempotency-Key was already used with a different request',
  PAYLOAD_TOO_LARGE: 'The request body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'The request body must be application/json',
  VALIDATION_FAILED: 'The request breaks one or more rules',
  RATE_LIMITED: 'Too many requests',
  INTERNAL_ERROR: 'Internal error',
  UNAVAILABLE: 'Chaman is temporarily unavailable',
};

export function makeProblem(code: ProblemCode, detail?: string, extra: { instance?: string; errors?: FieldError[] } = {}): Problem {
  const problem: Problem = { type: problemType(code), title: TITLES[code], status: PROBLEM_STATUS[code], code };
  if (detail !== undefined) problem.detail = detail;
  if (extra.instance !== undefined) problem.instance = extra.instance;
  if (extra.errors !== undefined) problem.errors = extra.errors;
  return problem;
}

/** Parses `Retry-After` (delta-seconds or an HTTP-date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function isProblem(value: unknown): value is Partial<Problem> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Turns a non-2xx answer into a typed error. `what` names the call (`createAccount sender 300010`);
 * the message holds the server's `detail` (the backend never echoes a secret) and never a header.
 */
export function errorFromResponse(
  status: number,
  body: unknown,
  retryAfterMs: number | undefined,
  what: string,
  senderNumber?: string,
): ChamanError {
  const problem = isProblem(body) ? body : {};
  const code = typeof problem.code === 'string' ? problem.code : undefined;
  const detail = typeof problem.detail === 'string' ? problem.detail : typeof problem.title === 'string' ? problem.title : undefined;
  const message = `${what}: HTTP ${status}${code ? ` ${code}` : ''}${detail ? `: ${detail}` : ''}`;
  switch (status) {
    case 401:
      return new AuthenticationError(detail);
    case 403:
      return new AccessDeniedError(senderNumber, detail);
    case 404:
      return new NotFoundError(message);
    case 409:
      return new ConflictError(code ?? 'CONFLICT', message);
    case 422: {
      const errors = Array.isArray(problem.errors) ? problem.errors.filter(isFieldError) : [];
      const summary = errors.length > 0 ? `${what}: ${errors.map((e) => `${e.field} (${e.rule}): ${e.message}`).join('; ')}` : message;
      return new ValidationError(summary, errors);
    }
    case 429:
      return new RateLimitedError(message, retryAfterMs);
    default:
      if (status >= 500) return new UnavailableError(message, status, retryAfterMs);
      return new ChamanError(message, code ?? `HTTP_${status}`, status, false);
  }
}

function isFieldError(value: unknown): value is FieldError {
  return (
    isProblem(value) &&
    typeof (value as FieldError).field === 'string' &&
    typeof (value as FieldError).rule === 'string' &&
    typeof (value as FieldError).message === 'string'
  );
}
