// The live heap of an operator process, from a V8 heap snapshot (issue 19 item 3): what the
// benchmark's "heap in use" cannot say, since that figure holds the garbage not yet collected. The
// process is started with --heapsnapshot-signal=SIGUSR2 (allowed in NODE_OPTIONS); the snapshot
// forces a full GC, so what it holds is what is alive. Taken after the RSS figures: writing one
// raises the RSS of the process for a while.
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const HEAP_SNAPSHOT_NODE_OPTION = '--heapsnapshot-signal=SIGUSR2';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
}

/** Live bytes of a snapshot, in all and by kind (strings, code, objects and arrays, the rest). */
export function liveBytes(snapshot: Snapshot): { total: number; byKind: Record<string, number> } {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const sizeAt = fields.indexOf('self_size');
  const byKind: Record<string, number> = {};
  let total = 0;
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt]!]!;
    const kind = type.includes('string') ? 'strings' : type === 'code' ? 'code' : type === 'object' || type === 'array' ? 'objects and arrays' : 'other';
    const size = snapshot.nodes[i + sizeAt]!;
    byKind[kind] = (byKind[kind] ?? 0) + size;
    total += size;
  }
  return { total, byKind };
}

/** Signals the process, waits for its snapshot in `dir` (its working directory), reads and deletes it. */
export async function snapshotLiveBytes(pid: number, dir: string, timeoutMs = 300_000): Promise<ReturnType<typeof liveBytes>> {
  const ours = (f: string) => f.endsWith('.heapsnapshot') && f.includes(`.${pid}.`);
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  let previousSize = -1;
  for (;;) {
    const file = readdirSync(dir).find(ours);
    if (file) {
      // Written in one go but not atomically: read once its size stops changing.
      const size = statSync(join(dir, file)).size;
      if (size > 0 && size === previousSize) {
        const result = liveBytes(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Snapshot);
        rmSync(join(dir, file));
        return result;
      }
      previousSize = size;
    }
    if (Date.now() > deadline) throw new Error(`no heap snapshot of process ${pid} in ${dir} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
