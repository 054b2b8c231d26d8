import { describe, expect, it } from 'vitest';
import { isReadyForGeneration, mergeConditions, outcomeConditions } from '../../../src/controller/driver/conditions.ts';

describe('conditions', () => {
  const t0 = new Date('2026-11-01T10:00:00.123Z');
  const t1 = new Date('2026-11-01T11:00:00Z');

  it('keeps lastTransitionTime while the status stays, and moves it when the status flips', () => {
    const first = mergeConditions(undefined, [{ type: 'Ready', status: 'False', reason: 'Creating', message: 'a' }], 1, t0);
    expect(first[0]).toEqual({ type: 'Ready', status: 'False', observedGeneration: 1, lastTransitionTime: '2026-11-01T10:00:00Z', reason: 'Creating', message: 'a' });
    const same = mergeConditions(first, [{ type: 'Ready', status: 'False', reason: 'Updating', message: 'b' }], 2, t1);
    expect(same[0]!.lastTransitionTime).toBe('2026-11-01T10:00:00Z');
    expect(same[0]!.observedGeneration).toBe(2);
    const flipped = mergeConditions(same, [{ type: 'Ready', status: 'True', reason: 'Available', message: 'c' }], 2, t1);
    expect(flipped[0]!.lastTransitionTime).toBe('2026-11-01T11:00:00Z');
  });

  it('an identical outcome yields an identical list (so no status write)', () => {
    const wanted = outcomeConditions({ ready: { status: 'True', reason: 'Available', message: 'ok' }, synced: { ok: true, reason: 'ReconcileSuccess', message: 'ok' }, progressing: false });
    const a = mergeConditions(undefined, wanted, 3, t0);
    expect(mergeConditions(a, wanted, 3, t1)).toEqual(a);
  });

  it('states kstatus conditions: Reconciling while progressing, Stalled when stuck', () => {
    const progressing = outcomeConditions({ ready: { status: 'False', reason: 'Creating', message: 'm' }, synced: { ok: true, reason: 'ReconcileSuccess', message: 'm' }, progressing: true });
    expect(progressing.find((c) => c.type === 'Reconciling')!.status).toBe('True');
    expect(progressing.find((c) => c.type === 'Stalled')!.status).toBe('False');
    const stalled = outcomeConditions({
      ready: { status: 'False', reason: 'Invalid', message: 'm' },
      synced: { ok: false, reason: 'ReconcileError', message: 'm' },
      invalid: { reason: 'InvalidPassword', message: 'm' },
      progressing: false,
      stalled: { reason: 'InvalidPassword', message: 'm' },
    });
    expect(stalled.find((c) => c.type === 'Stalled')!.status).toBe('True');
    expect(stalled.find((c) => c.type === 'Invalid')).toMatchObject({ status: 'True', reason: 'InvalidPassword' });
  });

  it('Ready counts only for the current generation', () => {
    const conditions = mergeConditions(undefined, [{ type: 'Ready', status: 'True', reason: 'Available', message: '' }], 4, t0);
    expect(isReadyForGeneration({ conditions }, 4)).toBe(true);
    expect(isReadyForGeneration({ conditions }, 5)).toBe(false);
    expect(isReadyForGeneration(undefined, 4)).toBe(false);
  });
});
