import { describe, expect, it } from 'vitest';
import { AccessDeniedError, ConflictError, NotFoundError, RateLimitedError, UnavailableError, ValidationError } from '../../../src/chaman/errors.ts';
import { fromChaman } from '../../../src/controller/chaman-errors.ts';
import { classifyError, invalidOutcome, NEEDS_USER_RECHECK_MS, NeedsUserError, reasonForFinding } from '../../../src/controller/driver/error-policy.ts';
import { KubeApiError } from '../../../src/kube/client.ts';
import type { RuleId } from '../../../src/domain/types.ts';

describe('classifyError (of Chaman errors through fromChaman): the one place where an error becomes a decision', () => {
  it('403 → needs a user: AccessDenied with what to do (R14), Stalled, looked at again only now and then', () => {
    const v = classifyError(fromChaman(new AccessDeniedError('300010')));
    expect(v.class).toBe('needsUser');
    if (v.class !== 'needsUser') return;
    expect(v.outcome.ready).toMatchObject({ status: 'False', reason: 'AccessDenied' });
    expect(v.outcome.ready.message).toMatch(/Uman/);
    expect(v.outcome.stalled?.reason).toBe('AccessDenied');
    expect(v.outcome.synced.ok).toBe(false);
    expect(v.recheckAfterMs).toBe(NEEDS_USER_RECHECK_MS);
  });

  it('422 from Chaman → Invalid with the reason of its rule, terminal', () => {
    const v = classifyError(fromChaman(new ValidationError('bad', [{ field: 'password', rule: 'R5', message: 'too long' }])));
    expect(v.class).toBe('needsUser');
    if (v.class !== 'needsUser') return;
    expect(v.outcome.invalid).toMatchObject({ reason: 'InvalidPassword' });
    expect(v.outcome.invalid!.message).toContain('password: too long [R5]');
    expect(v.recheckAfterMs).toBeUndefined();
  });

  it('CHANNEL_ALREADY_EXISTS → Invalid/DuplicateChannel, with how to adopt', () => {
    const v = classifyError(fromChaman(new ConflictError('CHANNEL_ALREADY_EXISTS', 'sender 300010 already has an FTP account.')));
    expect(v.class).toBe('needsUser');
    if (v.class !== 'needsUser') return;
    expect(v.outcome.invalid?.reason).toBe('DuplicateChannel');
    expect(v.outcome.invalid?.message).toContain('chaman.io/external-name');
  });

  it.each(['LAST_CERTIFICATE', 'OPERATION_NOT_ALLOWED', 'IDEMPOTENCY_KEY_REUSED'])('%s → RequiresReplacement, Stalled, never Synced', (code) => {
    const v = classifyError(fromChaman(new ConflictError(code, 'no')));
    expect(v.class).toBe('needsUser');
    if (v.class !== 'needsUser') return;
    expect(v.outcome.ready.reason).toBe('RequiresReplacement');
    expect(v.outcome.stalled?.reason).toBe(code);
    expect(v.eventReason).toBe('RequiresReplacement'); // the event's reason is stable, not the backend's code
    expect(v.outcome.synced).toMatchObject({ ok: false, reason: 'ReconcileError' });
  });

  it('429 and 5xx → transient BackendUnavailable, Synced=False, honouring Retry-After', () => {
    const limited = classifyError(fromChaman(new RateLimitedError('slow down', 7000)));
    expect(limited).toMatchObject({ class: 'transient', retryAfterMs: 7000 });
    if (limited.class !== 'transient') return;
    expect(limited.outcome.ready.reason).toBe('BackendUnavailable');
    expect(limited.outcome.synced).toMatchObject({ ok: false, reason: 'ReconcileError' });
    expect(limited.outcome.stalled).toBeUndefined();
    const down = classifyError(fromChaman(new UnavailableError('503', 503)));
    expect(down.class).toBe('transient');
    expect((down as { retryAfterMs?: number }).retryAfterMs).toBeUndefined();
  });

  it('a Kubernetes 409 is a conflict on a stale copy, not an error; other Kubernetes errors are their own class', () => {
    const conflict = new KubeApiError({ message: 'the object has been modified', status: 409, reason: 'Conflict', verb: 'patch', resource: 'channelaccounts' });
    expect(classifyError(conflict).class).toBe('conflict');
    const forbidden = new KubeApiError({ message: 'forbidden', status: 403, reason: 'Forbidden', verb: 'patch', resource: 'channelaccounts' });
    expect(classifyError(forbidden)).toMatchObject({ class: 'kubernetes' });
    const busy = new KubeApiError({ message: 'too many', status: 429, reason: 'TooManyRequests', verb: 'get', resource: 'secrets', retryAfterMs: 3000 });
    expect(classifyError(busy)).toMatchObject({ class: 'kubernetes', retryAfterMs: 3000 });
  });

  it('a missing credentials Secret or a ConfigMap owned by someone else needs a user, with its own Stalled reason', () => {
    const v = classifyError(new NeedsUserError('Secret "x" does not exist', { stalledReason: 'SecretNotFound' }));
    expect(v).toMatchObject({ class: 'needsUser', eventReason: 'SecretNotFound' });
    if (v.class !== 'needsUser') return;
    expect(v.outcome.ready).toMatchObject({ status: 'False', reason: 'Stalled' });
    expect(v.outcome.stalled).toMatchObject({ reason: 'SecretNotFound' });
  });

  it('anything else is transient and says what happened', () => {
    expect(classifyError(fromChaman(new NotFoundError('gone'))).class).toBe('transient');
    const v = classifyError(new Error('socket hang up'));
    expect(v.class).toBe('transient');
    if (v.class === 'transient') expect(v.outcome.ready.message).toContain('socket hang up');
  });

  it('a reconcile cut short by its deadline says so', () => {
    const ac = new AbortController();
    ac.abort(new Error('deadline of 60 s exceeded'));
    const v = classifyError(new Error('This operation was aborted'), ac.signal);
    if (v.class !== 'transient') throw new Error(v.class);
    expect(v.outcome.ready.message).toContain('deadline of 60 s exceeded');
  });
});

describe('invalidOutcome', () => {
  it('names every error finding with its field and rule; the first decides the reason; warnings are left out', () => {
    const o = invalidOutcome([
      { rule: 'R6', field: 'spec.certificates[0].secretRef', severity: 'error', message: 'RSA-1024.' },
      { rule: 'R7', field: 'spec.certificates[0].secretRef', severity: 'warning', message: 'SHA-1 soon refused.' },
      { rule: 'R11', field: 'spec.permissions[0]', severity: 'error', message: 'unknown.', reason: 'UnknownPermission' },
    ]);
    expect(o.invalid).toEqual({
      reason: 'InvalidCertificate',
      message: 'spec.certificates[0].secretRef: RSA-1024. [R6] spec.permissions[0]: unknown. [R11]',
    });
    expect(o.ready.reason).toBe('Invalid');
    expect(o.stalled?.reason).toBe('InvalidCertificate');
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
