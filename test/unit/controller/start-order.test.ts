import { describe, expect, it } from 'vitest';
import { isUrgent, startOrder, type Queued } from '../../../src/controller/start-order.ts';

const settled = (key: string): Queued => ({ key, metadata: {} });
const pending = (key: string): Queued => ({ key, metadata: { annotations: { 'chaman.io/create-pending': '2026-12-01T10:00:00Z' } } });
const deleting = (key: string): Queued => ({ key, metadata: { deletionTimestamp: '2026-12-01T10:00:00Z' } });

/** A seeded generator, so each run of the test sees the same orders. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('startOrder', () => {
  it('puts creates of unknown outcome and deletions first, whatever the random order', () => {
    const items = [settled('a'), settled('b'), pending('p'), settled('c'), deleting('d')];
    for (let seed = 1; seed < 20; seed++) {
      const order = startOrder(items, seeded(seed));
      expect(new Set(order.slice(0, 2))).toEqual(new Set(['p', 'd']));
      expect(order.slice().sort()).toEqual(['a', 'b', 'c', 'd', 'p']);
    }
  });

  it('changes from one start to the next, so a crash loop cannot starve the same objects', () => {
    const items = Array.from({ length: 50 }, (_, i) => settled(`k${i}`));
    const firsts = new Set(Array.from({ length: 20 }, (_, seed) => startOrder(items, seeded(seed + 1))[0]));
    expect(firsts.size).toBeGreaterThan(10);
    const lasts = new Set(Array.from({ length: 20 }, (_, seed) => startOrder(items, seeded(seed + 1)).at(-1)));
    expect(lasts.size).toBeGreaterThan(10);
  });

  it('isUrgent', () => {
    expect(isUrgent(pending('x').metadata)).toBe(true);
    expect(isUrgent(deleting('x').metadata)).toBe(true);
    expect(isUrgent({ annotations: { 'chaman.io/create-succeeded': 'x' } })).toBe(false);
  });
});
