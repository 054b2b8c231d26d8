// `chaman-operator run` as a real child process, for what only a process shows: SIGKILL, SIGTERM,
// two replicas and their Lease. Its stdout and stderr are kept for grepping.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../../src/devtools/free-port.ts';
import { kubeconfigPath } from './cluster.ts';

const root = join(import.meta.dirname, '..', '..', '..');

export interface OperatorProcess {
  child: ChildProcess;
  output: string[];
  metricsUrl: string;
  exited: Promise<number | null>;
  /** SIGTERM (graceful) or SIGKILL; resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A free TCP port on loopback, so the test knows where /metrics is. */
export { freePort };

export async function startOperatorProcess(options: { namespace: string; chamanUrl: string; tokenFile: string; kubeconfig?: string; extraArgs?: string[] }): Promise<OperatorProcess> {
  const metricsPort = await freePort();
  const output: string[] = [];
  const child = spawn(
    process.execPath,
    [
      join(root, 'src', 'cli.ts'), 'run',
      '--kubeconfig', options.kubeconfig ?? kubeconfigPath(),
      '--namespace', options.namespace,
      '--chaman-url', options.chamanUrl,
      '--chaman-token-file', options.tokenFile,
      '--metrics-addr', `127.0.0.1:${metricsPort}`,
      '--health-addr', '127.0.0.1:0',
      '--log-level', 'debug',
      '--require-sender-grant=false', // single-tenant unless extraArgs say otherwise (the last value wins)
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => output.push(String(d)));
  child.stderr!.on('data', (d) => output.push(String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    exited,
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The value of a metric without labels (e.g. chaman_leader) from a running operator, or undefined. */
export async function scrape(url: string, name: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(url)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{}`));
    return line ? Number(line.split(' ').at(-1)) : undefined;
  } catch {
    return undefined;
  }
}
