// The chaos benchmark's real processes: the emulator (`chaman-operator emulator`) and the operator
// (`chaman-operator run`), each a child of this Node with its output appended to a log file, so a
// SIGKILL is a real one and every restart starts from nothing but what Kubernetes and Chaman hold.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/devtools/free-port.ts';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'src', 'cli.ts');
const live = new Set<ChildProcess>();

// Whatever happens to this process (an exception, the deadline), its children die with it.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function spawnLogged(args: string[], logFile: string, entry = cli): { child: ChildProcess; exited: Promise<void> } {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  return { child, exited };
}

export interface EmulatorProcess {
  url: string;
  /** GET/PUT an admin endpoint with the bench's credential. */
  admin<T>(path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startEmulatorProcess(options: { dataDir: string; tokenFile: string; token: string; logFile: string }): Promise<EmulatorProcess> {
  const port = await freePort();
  const { child, exited } = spawnLogged(['emulator', '--port', String(port), '--data-dir', options.dataDir, '--token-file', options.tokenFile, '--log-level', 'warn'], options.logFile);
  const url = `http://127.0.0.1:${port}`;
  const admin = async <T>(path: string, body?: unknown): Promise<T> => {
    const res = await fetch(url + path, {
      method: body === undefined ? 'GET' : 'PUT',
      headers: { authorization: `Bearer ${options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`emulator ${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await admin('/admin/faults');
      break;
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the emulator did not start (see ${options.logFile}): ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url,
    admin,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** `chaman-operator run` that can be killed and started again; one process at a time. */
export class OperatorRunner {
  #args: string[];
  #logFile: string;
  #entry: string;
  #current: { child: ChildProcess; exited: Promise<void> } | undefined;
  starts = 0;
  kills = 0;

  /** `operatorRoot`: run the operator of another checkout (e.g. `git archive` of an older commit), for a before/after. */
  constructor(options: { kubeconfig: string; namespaces: string[]; chamanUrl: string; tokenFile: string; logFile: string; operatorRoot?: string; extraArgs?: string[] }) {
    this.#logFile = options.logFile;
    this.#entry = options.operatorRoot ? join(options.operatorRoot, 'src', 'cli.ts') : cli;
    this.#args = [
      'run',
      '--kubeconfig', options.kubeconfig,
      ...options.namespaces.flatMap((n) => ['--namespace', n]),
      '--chaman-url', options.chamanUrl,
      '--chaman-token-file', options.tokenFile,
      '--metrics-addr', '127.0.0.1:0',
      '--health-addr', '127.0.0.1:0',
      '--log-level', 'info',
      ...(options.extraArgs ?? []),
    ];
  }

  get running(): boolean {
    const c = this.#current?.child;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  start(): void {
    if (this.running) return;
    this.#current = spawnLogged(this.#args, this.#logFile, this.#entry);
    this.starts++;
  }

  /** SIGKILL: no drain, no Lease release, no last status write. */
  async kill(): Promise<void> {
    const current = this.#current;
    if (!current || !this.running) return;
    current.child.kill('SIGKILL');
    await current.exited;
    this.kills++;
  }

  async stop(): Promise<void> {
    const current = this.#current;
    if (!current || !this.running) return;
    current.child.kill('SIGTERM');
    const timer = setTimeout(() => current.child.kill('SIGKILL'), 10_000);
    await current.exited;
    clearTimeout(timer);
  }
}
