// Timing for the hostile-input suite: a hostile input is judged against a normal input of the same
// size class, measured in the same test on the same (possibly busy) machine, never against a fixed
// wall time. Each side is run until it has used enough time to be measured, and its fastest run is
// kept (the run least disturbed by other processes).
import { expect } from 'vitest';

/** Below this a measurement is timer noise: both sides are counted as at least this. */
export const TIMER_FLOOR_MS = 0.5;

export async function fastestRunMs(work: () => unknown, minTotalMs = 40, minRuns = 3, maxRuns = 40): Promise<number> {
  let fastest = Infinity;
  let total = 0;
  for (let run = 0; run < maxRuns && (run < minRuns || total < minTotalMs); run++) {
    const start = performance.now();
    await work();
    const ms = performance.now() - start;
    total += ms;
    fastest = Math.min(fastest, ms);
  }
  return fastest;
}

export interface Comparison {
  hostileMs: number;
  normalMs: number;
  ratio: number;
}

/** How much longer the hostile input takes than the normal one (both floored at TIMER_FLOOR_MS). */
export async function compare(hostile: () => unknown, normal: () => unknown): Promise<Comparison> {
  // Warm-up: the first call pays for compilation and lazy imports, on either side.
  await normal();
  await hostile();
  const normalMs = await fastestRunMs(normal);
  const hostileMs = await fastestRunMs(hostile);
  return { hostileMs, normalMs, ratio: Math.max(hostileMs, TIMER_FLOOR_MS) / Math.max(normalMs, TIMER_FLOOR_MS) };
}

/** The hostile input costs at most `bound` times the normal one of its size class. */
export async function expectBoundedRatio(label: string, hostile: () => unknown, normal: () => unknown, bound = 5): Promise<Comparison> {
  const c = await compare(hostile, normal);
  const figures = `${label}: hostile ${c.hostileMs.toFixed(2)} ms, normal ${c.normalMs.toFixed(2)} ms, ratio ${c.ratio.toFixed(2)}`;
  if (process.env.HOSTILE_FIGURES) console.log(figures);
  expect(c.ratio, figures).toBeLessThan(bound);
  return c;
}

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Pads `text` with explanatory lines (allowed around PEM blocks, RFC 7468) to exactly `size` bytes. */
export function padTo(text: string, size: number, filler = 'x'): string {
  if (text.length >= size) return text;
  const line = `${filler.repeat(63)}\n`;
  const missing = size - text.length;
  return text + line.repeat(Math.floor(missing / line.length)) + filler.repeat(missing % line.length);
}
