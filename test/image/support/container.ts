// Containers of the image under test (inject('image')), run with podman as the machines here can.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../../../scripts/lib/go-build.ts';
import { PODMAN_GLOBAL_ARGS, podman, ULIMIT_ARGS, type CommandResult } from '../../../scripts/lib/podman.ts';
import { kubectl } from '../../integration/support/cluster.ts';
import type { Deployment } from './pod-to-podman.ts';

export function imageRef(): string {
  return inject('image');
}

export function containerName(prefix: string): string {
  return `chaman-test-${prefix}-${randomBytes(3).toString('hex')}`;
}

/** One command in a fresh container of the image, to its end: `podman run --rm ... IMAGE ARGS`. */
export function runImage(args: string[], options: { podmanArgs?: string[]; network?: 'none' | 'host' } = {}): Promise<CommandResult> {
  return podman(['run', '--rm', '--network', options.network ?? 'none', ...ULIMIT_ARGS, ...(options.podmanArgs ?? []), imageRef(), ...args]);
}

export interface RunningContainer {
  name: string;
  child: ChildProcess;
  /** What the container printed so far (stdout and stderr). */
  output: () => string;
  exited: Promise<number | null>;
  /** The container's main process as the host sees it. */
  hostPid(): Promise<number>;
  /** Sends a signal through podman (as the kubelet's runtime does) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Removes the container whatever its state (cleanup). */
  remove(): Promise<void>;
}

/** `podman run` in the foreground (for its exit code and output), from arguments that start with 'run'. */
export function startContainer(name: string, runArgs: string[]): RunningContainer {
  const child = spawn('podman', [...PODMAN_GLOBAL_ARGS, ...runArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: string[] = [];
  child.stdout!.on('data', (d) => chunks.push(String(d)));
  child.stderr!.on('data', (d) => chunks.push(String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    child,
    output: () => chunks.join(''),
    exited,
    async hostPid() {
      // `podman run` takes a moment to create the container: wait for it while podman runs.
      for (const deadline = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 200))) {
        const result = await podman(['inspect', '--format', '{{.State.Pid}}', name]);
        const pid = Number(result.stdout.trim());
        if (result.code === 0 && pid > 0) return pid;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`container ${name} has no process: ${result.stderr.trim()}\n${chunks.join('')}`);
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) await podman(['kill', '--signal', signal, name]);
      return exited;
    },
    async remove() {
      await podman(['rm', '--force', '--time', '0', name]);
      await exited;
    },
  };
}

/** The Uid, Gid, CapEff and NoNewPrivs lines of a host process, as the kernel reports them. */
export function processStatus(pid: number): Record<string, string> {
  const fields = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .map((line) => /^(\w+):\s*(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!.replace(/\s+/g, ' ')]);
  return Object.fromEntries(fields);
}

/** The objects of `kubectl kustomize manifests/<dir>`, as a platform team would apply them. */
export async function renderManifests(dir: string): Promise<Record<string, unknown>[]> {
  const { stdout } = await kubectl(['kustomize', `${repoRoot}/manifests/${dir}`]);
  return parseAllDocuments(stdout).map((d) => d.toJS() as Record<string, unknown>);
}

export function deploymentNamed(objects: Record<string, unknown>[], name: string): Deployment {
  const found = objects.find((o) => o.kind === 'Deployment' && (o.metadata as { name?: string }).name === name);
  if (!found) throw new Error(`the rendered manifests have no Deployment ${name}`);
  return found as unknown as Deployment;
}
