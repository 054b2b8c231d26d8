// The live heap read from a V8 heap snapshot: every node's self size counted once, by kind.
import { writeHeapSnapshot } from 'node:v8';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveBytes } from '../../../bench/lib/heap-snapshot.ts';

const TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic', 'concatenated string', 'sliced string', 'symbol', 'bigint', 'object shape'];
const FIELDS = ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'];
const node = (type: string, size: number) => [TYPES.indexOf(type), 0, 1, size, 0, 0, 0];

describe('liveBytes', () => {
  it('sums self sizes, strings of every form together, objects with arrays', () => {
    const nodes = [node('string', 100), node('concatenated string', 20), node('sliced string', 3), node('object', 400), node('array', 50), node('code', 7000), node('closure', 64), node('hidden', 16)].flat();
    const result = liveBytes({ snapshot: { meta: { node_fields: FIELDS, node_types: [TYPES] } }, nodes });
    expect(result.total).toBe(100 + 20 + 3 + 400 + 50 + 7000 + 64 + 16);
    expect(result.byKind).toEqual({ strings: 123, 'objects and arrays': 450, code: 7000, other: 80 });
  });

  it('reads a real snapshot, where a retained megabyte string shows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'heap-snapshot-'));
    try {
      const kept = 'x'.repeat(1 << 20) + Math.random();
      const file = writeHeapSnapshot(join(dir, 'test.heapsnapshot'));
      const result = liveBytes(JSON.parse(readFileSync(file, 'utf8')));
      expect(kept.length).toBeGreaterThan(1 << 20);
      expect(result.byKind.strings).toBeGreaterThan(1 << 20);
      expect(result.total).toBeGreaterThan(result.byKind.strings!);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
