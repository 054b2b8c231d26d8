// Benchmarks refuse to start on a busy machine. Their figures (time to converge, CPU of the
// operator, API server latency) measure whatever else runs beside them: a control plane left over
// from the integration tests once made 1k runs 1.7× slower. The check samples /proc/stat over a few
// seconds (the load average trails by minutes and counts processes waiting on disk), and names the
// processes that used the CPU, so the message says what to stop.
import { readFileSync, readdirSync } from 'node:fs';

export interface CpuTimes {
  /** Jiffies of every CPU in every state. */
  total: number;
  /** Jiffies idle or waiting on I/O. */
  idle: number;
}

/** The aggregate `cpu` line of /proc/stat. */
export function parseProcStat(text: string): CpuTimes {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no aggregate cpu line in /proc/stat');
  // user nice system idle iowait irq softirq steal (guest and guest_nice are already in user and nice)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait };
}

/** Cores busy on average between two samples (0 to the number of cores). */
export function busyCores(before: CpuTimes, after: CpuTimes, cores: number): number {
  const total = after.total - before.total;
  if (total <= 0) return 0;
  return ((total - (after.idle - before.idle)) / total) * cores;
}

export interface ProcessCpu {
  pid: number;
  command: string;
  /** Cores used over the sample. */
  cores: number;
}

export interface LoadVerdict {
  ok: boolean;
  /** One line for a quiet machine, a paragraph with the reason and what to do for a busy one. */
  message: string;
}

/**
 * Whether a benchmark may start: the machine must have been busy on fewer than `maxBusyCores`
 * cores over the sample. `top` are the processes that used the most CPU meanwhile, named in the
 * refusal.
 */
export function loadVerdict(o: { busyCores: number; cores: number; maxBusyCores: number; sampleMs: number; top: ProcessCpu[] }): LoadVerdict {
  const figure = `${o.busyCores.toFixed(2)} of ${o.cores} cores busy over ${(o.sampleMs / 1000).toFixed(0)} s`;
  if (o.busyCores <= o.maxBusyCores) return { ok: true, message: `machine quiet enough: ${figure} (limit ${o.maxBusyCores.toFixed(2)})` };
  const using = o.top
    .filter((p) => p.cores >= 0.05)
    .slice(0, 5)
    .map((p) => `  ${String(p.pid).padStart(7)} ${(p.cores * 100).toFixed(0).padStart(4)}%  ${p.command.slice(0, 140)}`);
  return {
    ok: false,
    message: [
      `the machine is busy: ${figure}, over the limit of ${o.maxBusyCores.toFixed(2)}. The figures would measure that other work too.`,
      ...(using.length ? ['what used the CPU (pid, % of a core, command):', ...using] : []),
      'Stop the control planes, operators and benchmarks that are not this run (a control plane started by hand for the',
      'integration tests counts), wait for the machine to settle and try again; or pass --ignore-load to run anyway.',
    ].join('\n'),
  };
}

/** The default limit: a quarter of the cores, and at least half a core (two cores: 0.5). */
export function defaultMaxBusyCores(cores: number): number {
  return Math.max(0.5, cores * 0.25);
}

/** utime + stime of every process, in jiffies, with its command line. */
function processTimes(): Map<number, { jiffies: number; command: string }> {
  const times = new Map<number, { jiffies: number; command: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const jiffies = Number(fields[11]) + Number(fields[12]);
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim() || stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      times.set(Number(entry), { jiffies, command });
    } catch {
      // gone meanwhile
    }
  }
  return times;
}

/**
 * Samples the machine for `sampleMs` and returns the verdict. Off Linux (no /proc/stat) it says so
 * and lets the benchmark run.
 */
export async function checkMachineLoad(o: { sampleMs?: number; maxBusyCores?: number } = {}): Promise<LoadVerdict> {
  const sampleMs = o.sampleMs ?? 3_000;
  let read: () => CpuTimes;
  try {
    read = () => parseProcStat(readFileSync('/proc/stat', 'utf8'));
    read();
  } catch {
    return { ok: true, message: 'machine load not checked (no /proc/stat)' };
  }
  const cores = cpuCount(readFileSync('/proc/stat', 'utf8'));
  const before = read();
  const procsBefore = processTimes();
  await new Promise((r) => setTimeout(r, sampleMs));
  const after = read();
  const procsAfter = processTimes();
  // Jiffies per second of one core, from the sample itself (USER_HZ is 100 on every Linux in use).
  const jiffiesPerCoreSecond = (after.total - before.total) / cores / (sampleMs / 1000) || 100;
  const top: ProcessCpu[] = [];
  for (const [pid, now] of procsAfter) {
    if (pid === process.pid) continue;
    const then = procsBefore.get(pid)?.jiffies ?? 0; // started during the sample: all of its CPU falls inside
    top.push({ pid, command: now.command, cores: (now.jiffies - then) / jiffiesPerCoreSecond / (sampleMs / 1000) });
  }
  top.sort((a, b) => b.cores - a.cores);
  return loadVerdict({ busyCores: busyCores(before, after, cores), cores, maxBusyCores: o.maxBusyCores ?? defaultMaxBusyCores(cores), sampleMs, top });
}

/** The number of `cpuN` lines of /proc/stat: the cores the aggregate line sums. */
export function cpuCount(procStat: string): number {
  return procStat.split('\n').filter((l) => /^cpu\d+ /.test(l)).length || 1;
}

/**
 * For a benchmark's start: checks the load unless `ignore`, logs the verdict, and exits with 3 and
 * the reason when the machine is busy.
 */
export async function refuseWhenBusy(ignore: boolean | undefined, log: (line: string) => void): Promise<void> {
  if (ignore) {
    log('machine load not checked (--ignore-load)');
    return;
  }
  const verdict = await checkMachineLoad();
  if (verdict.ok) {
    log(verdict.message);
    return;
  }
  console.error(`refusing to start: ${verdict.message}`);
  process.exit(3);
}
