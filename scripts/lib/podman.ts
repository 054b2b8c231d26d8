// podman as it runs on these machines (Debian's podman with runc, no Docker engine): shared by
// scripts/image.ts and the image tests (test/image/).
//
// crun, podman's default runtime, refuses here (cgroups in hybrid mode, rlimits that may not be
// raised), so every call names runc, and every container gets rlimits it may keep.
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';

export type LogFn = (line: string) => void;

/** Before the podman verb: the OCI runtime that works here. */
export const PODMAN_GLOBAL_ARGS = ['--runtime', 'runc'];
/** For `podman run` and `podman build`: rlimits at or below the machine's, which runc may set. */
export const ULIMIT_ARGS = ['--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096'];

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; stdout and stderr are kept (and streamed to `log` when given). */
export function runCommand(command: string, args: string[], options: SpawnOptions & { log?: LogFn; input?: string } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const stream = (chunk: Buffer, kind: 'out' | 'err') => {
      const text = String(chunk);
      if (kind === 'out') stdout += text;
      else stderr += text;
      if (options.log) for (const line of text.split('\n')) if (line.trim()) options.log(line);
    };
    child.stdout!.on('data', (d: Buffer) => stream(d, 'out'));
    child.stderr!.on('data', (d: Buffer) => stream(d, 'err'));
    child.once('error', (error) => resolve({ code: -1, stdout, stderr: `${stderr}${error.message}` }));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin!.end(options.input ?? '');
  });
}

/** `podman --runtime runc ARGS...`. */
export function podman(args: string[], options: SpawnOptions & { log?: LogFn; input?: string } = {}): Promise<CommandResult> {
  return runCommand('podman', [...PODMAN_GLOBAL_ARGS, ...args], options);
}

/** Like podman(), but throws with podman's own message when it fails. */
export async function podmanOk(args: string[], options: SpawnOptions & { log?: LogFn; input?: string } = {}): Promise<string> {
  const result = await podman(args, options);
  if (result.code !== 0) throw new Error(`podman ${args.slice(0, 3).join(' ')} failed (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-15).join('\n')}`);
  return result.stdout;
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** The Debian packages that provide each command this project's image build needs. */
const TOOL_PACKAGES: Record<string, string> = { podman: 'podman', runc: 'runc', strip: 'binutils', 'dpkg-deb': 'dpkg', 'apt-get': 'apt' };

/**
 * Installs podman, runc and binutils with apt-get when one is missing (CI runs as root on a new
 * machine). Elsewhere it says what to install instead of trying.
 */
export async function ensureContainerTools(log: LogFn): Promise<void> {
  const missing = Object.keys(TOOL_PACKAGES).filter((c) => !onPath(c));
  if (missing.length === 0) return;
  if (missing.includes('apt-get') || process.getuid?.() !== 0) {
    throw new Error(
      `the image build needs ${missing.join(', ')} on PATH: install the Debian packages ${missing.map((c) => TOOL_PACKAGES[c]).join(' ')} (as root: apt-get install ...)`,
    );
  }
  const packages = [...new Set(missing.map((c) => TOOL_PACKAGES[c]!))];
  log(`image: installing ${packages.join(' ')} with apt-get (missing: ${missing.join(', ')})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...packages]]) {
    const result = await runCommand('apt-get', args, { env });
    if (result.code !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-10).join('\n')}`);
  }
}
