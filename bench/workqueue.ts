// Work-queue throughput and memory, for 10k and 100k keys, each added several times (de-duplication).
// Figures, not a test:  node --expose-gc bench/workqueue.ts   (Node 24; `npx node` or node_modules/.bin/node)
import { WorkQueue } from '../src/kube/work-queue.ts';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const mib = (b: number) => (b / 1024 / 1024).toFixed(1);

async function run(keys: number, dupes: number, concurrency: number): Promise<void> {
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  let processed = 0;
  const q = new WorkQueue({
    name: 'bench',
    concurrency,
    handler: async () => {
      processed++;
    },
  });
  const tAdd = performance.now();
  for (let d = 0; d < dupes; d++) for (let i = 0; i < keys; i++) q.add(`ns-${i % 100}/obj-${i}`);
  const addMs = performance.now() - tAdd;
  const heapQueued = process.memoryUsage().heapUsed - heap0;
  const t0 = performance.now();
  q.start();
  await q.onIdle();
  const runMs = performance.now() - t0;

  // delayed adds: each key scheduled several times, only the earliest kept
  const tDelay = performance.now();
  for (let d = dupes; d > 0; d--) for (let i = 0; i < keys; i++) q.addAfter(`ns-${i % 100}/obj-${i}`, 60_000 + d);
  const delayMs = performance.now() - tDelay;
  const heapScheduled = process.memoryUsage().heapUsed - heap0;
  await q.shutdown();

  console.log(
    [
      `${String(keys).padStart(6)} keys x${dupes} adds, concurrency ${concurrency}:`,
      `processed ${processed} (dedup ${processed === keys ? 'ok' : 'BROKEN'})`,
      `add ${((keys * dupes) / (addMs / 1000) / 1e6).toFixed(2)} M adds/s`,
      `process ${Math.round(keys / (runMs / 1000)).toLocaleString('en')} keys/s`,
      `addAfter ${((keys * dupes) / (delayMs / 1000) / 1e6).toFixed(2)} M/s`,
      `heap queued ${mib(heapQueued)} MiB, with delayed ${mib(heapScheduled)} MiB`,
    ].join('  '),
  );
}

console.log(`node ${process.version}${(globalThis as { gc?: unknown }).gc ? '' : ' (run with --expose-gc for steadier memory figures)'}`);
for (const keys of [10_000, 100_000]) {
  for (const concurrency of [1, 8]) await run(keys, 3, concurrency);
}
