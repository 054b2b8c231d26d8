// The deadline of a reconcile: aborts on time or with its parent, and once disposed holds nothing.
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deadline } from '../../../src/util/deadline.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('deadline', () => {
  it('aborts after its delay with a TimeoutError, as AbortSignal.timeout does', () => {
    vi.useFakeTimers();
    const parent = new AbortController();
    const d = deadline(1000, parent.signal);
    vi.advanceTimersByTime(999);
    expect(d.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(d.signal.aborted).toBe(true);
    expect((d.signal.reason as DOMException).name).toBe('TimeoutError');
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('aborts with its parent, with the parent reason, and its timer is gone', () => {
    vi.useFakeTimers();
    const parent = new AbortController();
    const d = deadline(1000, parent.signal);
    parent.abort(new Error('stopping'));
    expect(d.signal.aborted).toBe(true);
    expect((d.signal.reason as Error).message).toBe('stopping');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is aborted from the start when its parent already is', () => {
    const parent = new AbortController();
    parent.abort(new Error('stopped'));
    expect(deadline(1000, parent.signal).signal.aborted).toBe(true);
  });

  it('once disposed, leaves no timer and no listener on its parent, and never aborts', () => {
    vi.useFakeTimers();
    const parent = new AbortController();
    const d = deadline(1000, parent.signal);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    d.dispose();
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    vi.advanceTimersByTime(5000);
    parent.abort();
    expect(d.signal.aborted).toBe(false);
  });
});
