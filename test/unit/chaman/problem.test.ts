import { describe, expect, it } from 'vitest';
import {
  AccessDeniedError,
  AuthenticationError,
  ChamanError,
  ConflictError,
  NotFoundError,
  RateLimitedError,
  UnavailableError,
  ValidationError,
} from '../../../src/chaman/errors.ts';
import { ChamanHttpClient } from '../../../src/chaman/http-client.ts';
import { errorFromResponse, makeProblem, parseRetryAfter } from '../../../src/chaman/problem.ts';

describe('errorFromResponse', () => {
  it('maps each status to its typed error', () => {
    expect(errorFromResponse(401, makeProblem('UNAUTHENTICATED'), undefined, 'x')).toBeInstanceOf(AuthenticationError);
    const denied = errorFromResponse(403, makeProblem('ACCESS_DENIED', 'no'), undefined, 'x', '300010');
    expect(denied).toBeInstanceOf(AccessDeniedError);
    expect(denied.message).toMatch(/R14/);
    expect(denied.message).toMatch(/300010/);
    expect(errorFromResponse(404, makeProblem('NOT_FOUND'), undefined, 'x')).toBeInstanceOf(NotFoundError);
    const conflict = errorFromResponse(409, makeProblem('LAST_CERTIFICATE', 'add one first'), undefined, 'x');
    expect(conflict).toBeInstanceOf(ConflictError);
    expect(conflict.code).toBe('LAST_CERTIFICATE');
    const invalid = errorFromResponse(422, makeProblem('VALIDATION_FAILED', 'd', { errors: [{ field: 'password', rule: 'R5', message: 'too long' }] }), undefined, 'x');
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).errors).toEqual([{ field: 'password', rule: 'R5', message: 'too long' }]);
    expect(invalid.message).toContain('password (R5)');
    const limited = errorFromResponse(429, makeProblem('RATE_LIMITED'), 2000, 'x');
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterMs).toBe(2000);
    expect(errorFromResponse(503, undefined, undefined, 'x')).toBeInstanceOf(UnavailableError);
    expect(errorFromResponse(500, 'not json', undefined, 'x')).toBeInstanceOf(UnavailableError);
    const other = errorFromResponse(400, makeProblem('MALFORMED_REQUEST'), undefined, 'x');
    expect(other).toBeInstanceOf(ChamanError);
    expect(other.retryable).toBe(false);
  });

  it('401 is reported as access denied with status 401', () => {
    const error = errorFromResponse(401, makeProblem('UNAUTHENTICATED'), undefined, 'x');
    expect(error.status).toBe(401);
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toMatch(/did not recognise the credential/);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('ChamanHttpClient retry policy', () => {
  it('retries only idempotent methods and keyed POSTs', () => {
    expect(ChamanHttpClient.isRetrySafe('GET', undefined)).toBe(true);
    expect(ChamanHttpClient.isRetrySafe('PUT', undefined)).toBe(true);
    expect(ChamanHttpClient.isRetrySafe('DELETE', undefined)).toBe(true);
    expect(ChamanHttpClient.isRetrySafe('POST', 'k')).toBe(true);
    expect(ChamanHttpClient.isRetrySafe('POST', undefined)).toBe(false);
    expect(ChamanHttpClient.isRetrySafe('PATCH', undefined)).toBe(false);
  });

  it('backs off exponentially with jitter, capped', async () => {
    const low = new ChamanHttpClient({ baseUrl: 'http://127.0.0.1:1', auth: { kind: 'token', token: 't' }, retry: { baseDelayMs: 100, maxDelayMs: 1000 }, random: () => 0 });
    const high = new ChamanHttpClient({ baseUrl: 'http://127.0.0.1:1', auth: { kind: 'token', token: 't' }, retry: { baseDelayMs: 100, maxDelayMs: 1000 }, random: () => 0.999 });
    // equal jitter: uniform in [ceiling/2, ceiling], the draw taking off up to half
    expect([1, 2, 3, 4, 5, 6].map((a) => low.backoffMs(a))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([1, 2, 3, 4, 5, 6].map((a) => high.backoffMs(a))).toEqual([50, 100, 200, 400, 500, 500]);
    await low.close();
    await high.close();
  });
});
