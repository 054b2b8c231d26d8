import { describe, expect, it } from 'vitest';
import { busyCores, cpuCount, defaultMaxBusyCores, loadVerdict, parseProcStat } from '../../../bench/lib/machine-load.ts';

const STAT = (user: number, idle: number, iowait = 0) =>
  `cpu  ${user} 0 ${user / 2} ${idle} ${iowait} 0 ${user / 10} 0 0 0\ncpu0 1 0 1 1 0 0 0 0 0 0\ncpu1 1 0 1 1 0 0 0 0 0 0\nintr 12345\n`;

describe('machine load', () => {
  it('reads the aggregate cpu line: idle and iowait count as idle, the rest as busy', () => {
    expect(parseProcStat(STAT(1000, 5000, 200))).toEqual({ total: 1000 + 500 + 5000 + 200 + 100, idle: 5200 });
    expect(() => parseProcStat('intr 1\n')).toThrow(/no aggregate cpu line/);
  });

  it('counts the cores of /proc/stat', () => {
    expect(cpuCount(STAT(1, 1))).toBe(2);
  });

  it('turns two samples into busy cores', () => {
    // 2 cores over 3 s at 100 jiffies a second: 600 jiffies, of which 150 idle.
    expect(busyCores({ total: 10_000, idle: 4_000 }, { total: 10_600, idle: 4_150 }, 2)).toBeCloseTo(1.5);
    expect(busyCores({ total: 10_000, idle: 4_000 }, { total: 10_600, idle: 4_600 }, 2)).toBe(0);
    expect(busyCores({ total: 10_000, idle: 4_000 }, { total: 10_000, idle: 4_000 }, 2)).toBe(0);
  });

  it('allows a quarter of the cores, at least half a core', () => {
    expect(defaultMaxBusyCores(2)).toBe(0.5);
    expect(defaultMaxBusyCores(1)).toBe(0.5);
    expect(defaultMaxBusyCores(16)).toBe(4);
  });

  it('lets a quiet machine run, with the figure', () => {
    const verdict = loadVerdict({ busyCores: 0.12, cores: 2, maxBusyCores: 0.5, sampleMs: 3_000, top: [] });
    expect(verdict).toEqual({ ok: true, message: 'machine quiet enough: 0.12 of 2 cores busy over 3 s (limit 0.50)' });
  });

  it('refuses a busy machine with the figure, the limit, what used the CPU and what to do', () => {
    const verdict = loadVerdict({
      busyCores: 1.62,
      cores: 2,
      maxBusyCores: 0.5,
      sampleMs: 3_000,
      top: [
        { pid: 7034, command: 'controlplane serve --dir /tmp/cp', cores: 0.81 },
        { pid: 8000, command: 'node src/cli.ts run', cores: 0.3 },
        { pid: 9000, command: 'sleep 100', cores: 0 },
      ],
    });
    expect(verdict.ok).toBe(false);
    expect(verdict.message).toContain('1.62 of 2 cores busy over 3 s, over the limit of 0.50');
    expect(verdict.message).toMatch(/7034\s+81%\s+controlplane serve/);
    expect(verdict.message).toMatch(/8000\s+30%\s+node src\/cli.ts run/);
    expect(verdict.message).not.toContain('sleep 100');
    expect(verdict.message).toContain('--ignore-load');
  });

  it('at the limit exactly, runs', () => {
    expect(loadVerdict({ busyCores: 0.5, cores: 2, maxBusyCores: 0.5, sampleMs: 3_000, top: [] }).ok).toBe(true);
  });
});
