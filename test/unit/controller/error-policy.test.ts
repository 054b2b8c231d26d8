import { describe, expect, it } from 'vitest';
import { AccessDeniedError, ConflictError, NotFoundError, RateLimitedError, UnavailableError, ValidationError } from '../../../src/chaman/errors.ts';
import { errorOutcome, invalidOutcome, reasonForFinding } from '../../../src/controller/error-outcome.ts';
import type { RuleId } from '../../../src/domain/types.ts';

describe('errorOutcome: one place where errors become conditions and retry decisions', () => {
  it('403 → AccessDenied with what to do (R14), retried slowly, Stalled for kstatus', () => {
    const o = errorOutcome(new AccessDeniedError('300010'));
    expect(o.outcome.ready).toMatchObject({ status: 'False', reason: 'AccessDenied' });
    expect(o.outcome.ready.message).toMatch(/Uman/);
    expect(o.outcome.stalled?.reason).toBe('AccessDenied');
    expect(o.retry).toBe(true);
  });

  it('422 from Chaman → Invalid with the reason of its rule, not retried', () => {
    const o = errorOutcome(new ValidationError('bad', [{ field: 'password', rule: 'R5', message: 'too long' }]));
    expect(o.outcome.invalid).toMatchObject({ reason: 'InvalidPassword' });
    expect(o.outcome.invalid!.message).toContain('password: too long [R5]');
    expect(o.retry).toBe(false);
  });

  it('CHANNEL_ALREADY_EXISTS → Invalid/DuplicateChannel, with how to adopt', () => {
    const o = errorOutcome(new ConflictError('CHANNEL_ALREADY_EXISTS', 'sender 300010 already has an FTP account.'));
    expect(o.outcome.invalid?.reason).toBe('DuplicateChannel');
    expect(o.outcome.invalid?.message).toContain('chaman.io/external-name');
    expect(o.retry).toBe(false);
  });

  it.each(['LAST_CERTIFICATE', 'OPERATION_NOT_ALLOWED'])('%s → RequiresReplacement, Stalled, not retried', (code) => {
    const o = errorOutcome(new ConflictError(code, 'no'));
    expect(o.outcome.ready.reason).toBe('RequiresReplacement');
    expect(o.outcome.stalled?.reason).toBe(code);
    expect(o.retry).toBe(false);
  });

  it('429 and 5xx → BackendUnavailable, retried, honouring Retry-After', () => {
    const limited = errorOutcome(new RateLimitedError('slow down', 7000));
    expect(limited).toMatchObject({ retry: true, retryAfterMs: 7000 });
    expect(limited.outcome.ready.reason).toBe('BackendUnavailable');
    expect(limited.outcome.progressing).toBe(true);
    const down = errorOutcome(new UnavailableError('503', 503));
    expect(down.retry).toBe(true);
    expect(down.retryAfterMs).toBeUndefined();
  });

  it('anything else is retried with backoff and says so', () => {
    expect(errorOutcome(new NotFoundError('gone')).retry).toBe(true);
    const o = errorOutcome(new Error('socket hang up'));
    expect(o.retry).toBe(true);
    expect(o.outcome.ready.message).toContain('socket hang up');
  });
});

describe('invalidOutcome', () => {
  it('names every error finding with its field and rule; the first decides the reason; warnings are left out', () => {
    const o = invalidOutcome([
      { rule: 'R6', field: 'spec.certificates[0].secretRef', severity: 'error', message: 'RSA-1024.' },
      { rule: 'R7', field: 'spec.certificates[0].secretRef', severity: 'warning', message: 'SHA-1 soon refused.' },
      { rule: 'R11', field: 'spec.permissions[0]', severity: 'error', message: 'unknown.', reason: 'UnknownPermission' },
    ]);
    expect(o.outcome.invalid).toEqual({
      reason: 'InvalidCertificate',
      message: 'spec.certificates[0].secretRef: RSA-1024. [R6] spec.permissions[0]: unknown. [R11]',
    });
    expect(o.outcome.ready.reason).toBe('Invalid');
    expect(o.retry).toBe(false);
  });

  it.each([
    ['R1', 'InvalidContact'], ['R2', 'DuplicateChannel'], ['R4', 'InvalidUsername'], ['R5', 'InvalidPassword'],
    ['R6', 'InvalidCertificate'], ['R7', 'InvalidCertificate'], ['R8', 'InvalidCertificate'], ['R9', 'InvalidCertificate'],
    ['R10', 'InvalidCertificate'], ['R11', 'UnknownPermission'], ['R17', 'InvalidSSHKey'],
  ])('a finding of %s without its own reason counts as %s', (rule, reason) => {
    expect(reasonForFinding({ rule: rule as RuleId, field: 'f', severity: 'error', message: 'm' })).toBe(reason);
  });

  it('a finding\'s own reason wins (SecretNotFound is not a rule)', () => {
    expect(reasonForFinding({ rule: 'SCHEMA', field: 'f', severity: 'error', message: 'm', reason: 'SecretNotFound' })).toBe('SecretNotFound');
  });
});
