// The scale benchmark's operators: one `chaman-operator run` process, or one per shard (--shards N,
// each with --shard-count N --shard-index i), and what the benchmark reads of them: their /metrics,
// and from /proc their memory and CPU. Several shards' scrapes are read as one text where a figure is
// a sum over the shards (requests, reconciles), and one by one where it is per process (RSS, heap).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { freePort } from '../../src/devtools/free-port.ts';

export interface ScaleOperator {
  pid: number;
  metricsUrl: string;
  child: ChildProcess;
  exited: Promise<unknown>;
}

export class ScaleOperators {
  readonly shards: ScaleOperator[];
  /** Every shard's stderr, in arrival order (the warnings the report shows). */
  readonly stderr: string[] = [];

  private constructor(shards: ScaleOperator[]) {
    this.shards = shards;
  }

  /** `args`: the run command's flags but the shard's and the metrics address. */
  /** `entry`: the operator's cli (operatorEntry: compiled as deployed, or the sources). */
  static async start(o: { count: number; entry: string; args: string[]; nodeOptions: string; cwd: string; cpuProf?: string }): Promise<ScaleOperators> {
    const shards: ScaleOperator[] = [];
    const operators = new ScaleOperators(shards);
    for (let index = 0; index < o.count; index++) {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        [
          ...(o.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProf] : []),
          o.entry, 'run', ...o.args,
          ...(o.count > 1 ? ['--shard-count', String(o.count), '--shard-index', String(index)] : []),
          '--metrics-addr', `127.0.0.1:${port}`,
        ],
        { cwd: o.cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: o.nodeOptions } },
      );
      child.stderr!.on('data', (d) => operators.stderr.push(String(d)));
      shards.push({ pid: child.pid!, metricsUrl: `http://127.0.0.1:${port}/metrics`, child, exited: new Promise((resolve) => child.once('exit', resolve)) });
    }
    return operators;
  }

  /** Each shard's /metrics text, in shard order; undefined while one does not answer. */
  async scrapes(): Promise<string[] | undefined> {
    try {
      return await Promise.all(this.shards.map(async (s) => (await fetch(s.metricsUrl)).text()));
    } catch {
      return undefined;
    }
  }

  /** Every shard's scrape as one text: summing a metric over it sums it over the shards. */
  async scrape(): Promise<string | undefined> {
    return (await this.scrapes())?.join('\n');
  }

  /** VmRSS and VmHWM (peak) of each shard, in kB. */
  memory(): { VmRSS: number; VmHWM: number }[] {
    return this.shards.map((s) => procStatus(s.pid));
  }

  /** CPU seconds of every shard together. */
  cpuSeconds(): number {
    return this.shards.reduce((sum, s) => sum + cpuSeconds(s.pid), 0);
  }

  /** CPU seconds by thread name, over every shard. */
  threadCpu(): Map<string, number> {
    const byName = new Map<string, number>();
    for (const s of this.shards) for (const [name, sec] of threadCpu(s.pid)) byName.set(name, (byName.get(name) ?? 0) + sec);
    return byName;
  }

  /** SIGTERM each shard, SIGKILL past 25 s. */
  async stop(): Promise<void> {
    await Promise.all(
      this.shards.map(async (s) => {
        s.child.kill('SIGTERM');
        await Promise.race([s.exited, sleep(25_000).then(() => s.child.kill('SIGKILL'))]);
      }),
    );
  }
}

export type KubeCounts = Record<string, number>;

/** chaman_kube_requests_total by `verb resource` (the operator's own count of its Kubernetes requests), summed over a text. */
export function kubeCounts(text: string): KubeCounts {
  const counts: KubeCounts = {};
  for (const line of text.split('\n')) {
    const m = /^chaman_kube_requests_total\{([^}]*)\} ([0-9.e+]+)$/.exec(line);
    if (!m) continue;
    const verb = /verb="([^"]+)"/.exec(m[1]!)?.[1] ?? '?';
    const resource = /resource="([^"]+)"/.exec(m[1]!)?.[1] ?? '?';
    const key = `${verb} ${resource}`;
    counts[key] = (counts[key] ?? 0) + Number(m[2]);
  }
  return counts;
}

/** The requests of the given verbs made between two counts. */
export function countsBetween(a: KubeCounts, b: KubeCounts, verbs: string[]): { total: number; byVerb: Record<string, number> } {
  const byVerb: Record<string, number> = {};
  let total = 0;
  for (const [key, n] of Object.entries(b)) {
    if (!verbs.includes(key.split(' ')[0]!)) continue;
    const d = n - (a[key] ?? 0);
    if (d <= 0) continue;
    byVerb[key] = d;
    total += d;
  }
  return { total, byVerb };
}

/** VmRSS and VmHWM (peak) in kB. */
function procStatus(pid: number): { VmRSS: number; VmHWM: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { VmRSS: kb('VmRSS'), VmHWM: kb('VmHWM') };
}

/** User + system CPU seconds of a process or thread (clock ticks of 1/100 s on Linux). */
function cpuSeconds(pid: number, task?: string): number {
  const stat = readFileSync(task ? `/proc/${pid}/task/${task}/stat` : `/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds by thread name (the main thread is "node"; V8's GC and compiler helpers, libuv's pool). */
function threadCpu(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim();
      byName.set(name, (byName.get(name) ?? 0) + cpuSeconds(pid, task));
    } catch {
      // the thread ended meanwhile
    }
  }
  return byName;
}

export function cpuCores(): number {
  return existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length : 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
