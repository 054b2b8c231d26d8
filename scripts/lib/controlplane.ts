// Build and run the local Kubernetes control plane of test/controlplane (etcd + kube-apiserver + the
// garbage-collector, namespace and service-account controllers, plus kubectl, in one Go binary).
// Used by `npm run controlplane`, the integration tests' global setup and the demo.
//
// The binary is cached as test/controlplane/bin/controlplane-<hash>, the hash covering go.mod, go.sum,
// the Go sources, the build flags and the Go version: a second start skips the build. A cold build
// compiles kube-apiserver and friends from the Go module proxy and takes minutes; Go's own module
// and build caches make a rebuild after a small change take seconds.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const controlPlaneSourceDir = join(repoRoot, 'test', 'controlplane');
const binDir = join(controlPlaneSourceDir, 'bin');

export type LogFn = (line: string) => void;

export interface BuildOptions {
  /** Progress and the go tool's output, one line per call. Default: console.error. */
  log?: LogFn;
  /** Interrupts a running build (the go tool and its compilers are killed). */
  signal?: AbortSignal;
  /** How often a cold build reports its elapsed time. Default 15 s. */
  progressIntervalMs?: number;
}

/** The `go` command: $GO if set, else `go` on PATH. */
function goCommand(): string {
  return process.env.GO ?? 'go';
}

/** The k8s.io/kubernetes version pinned in test/controlplane/go.mod, e.g. v1.37.2. */
export function pinnedKubernetesVersion(): string {
  const goMod = readFileSync(join(controlPlaneSourceDir, 'go.mod'), 'utf8');
  const match = /^\s*k8s\.io\/kubernetes\s+(v\d+\.\d+\.\d+)\s*$/m.exec(goMod);
  if (!match?.[1]) throw new Error('test/controlplane/go.mod does not require k8s.io/kubernetes vX.Y.Z');
  return match[1];
}

function buildArgs(output: string): string[] {
  const version = pinnedKubernetesVersion();
  const [major, minor] = version.slice(1).split('.');
  // gitVersion makes /version and `kubectl version` report the pinned release instead of v0.0.0-master.
  const pkg = 'k8s.io/component-base/version';
  const ldflags = [
    '-s',
    '-w',
    `-X ${pkg}.gitVersion=${version}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ].join(' ');
  return ['build', '-v', '-trimpath', '-buildvcs=false', `-ldflags=${ldflags}`, '-o', output, '.'];
}

function goVersion(): string {
  const result = spawnSync(goCommand(), ['env', 'GOVERSION'], { cwd: controlPlaneSourceDir, encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new Error(
      `cannot run '${goCommand()} env GOVERSION' (${result.error?.message ?? result.stderr.trim()}): ` +
        'building the control plane needs Go 1.26 or later on PATH (or set GO=/path/to/go)',
    );
  }
  return result.stdout.trim();
}

function goSourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'bin' && !entry.name.startsWith('.')) files.push(...goSourceFiles(path));
    } else if (entry.name.endsWith('.go') || entry.name === 'go.mod' || entry.name === 'go.sum') {
      files.push(path);
    }
  }
  return files;
}

/** The cache key of the binary: sources, module files, build flags and Go version. */
export function controlPlaneBuildHash(): string {
  const hash = createHash('sha256');
  hash.update(`${goVersion()}\0${buildArgs('OUT').join('\0')}\0`);
  for (const file of goSourceFiles(controlPlaneSourceDir).sort()) {
    hash.update(`${relative(controlPlaneSourceDir, file)}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * Returns the path of the control-plane binary, building it first if this source tree has not been
 * built yet. Concurrent callers are safe: each builds to a temporary name and renames.
 */
export async function ensureControlPlaneBinary(options: BuildOptions = {}): Promise<string> {
  const log = options.log ?? ((line: string) => console.error(line));
  const binary = join(binDir, `controlplane-${controlPlaneBuildHash()}`);
  if (existsSync(binary)) return binary;

  mkdirSync(binDir, { recursive: true });
  const tmp = `${binary}.tmp-${process.pid}`;
  const started = Date.now();
  log(`controlplane: building ${relative(repoRoot, binary)} (Kubernetes ${pinnedKubernetesVersion()}); a cold build takes several minutes`);

  let compiled = 0;
  let lastPackage = '';
  const go = spawn(goCommand(), buildArgs(tmp), {
    cwd: controlPlaneSourceDir,
    stdio: ['ignore', 'inherit', 'pipe'],
    detached: true, // own process group: stopping the build stops the compilers too
  });
  const stopBuild = () => killGroup(go, 'SIGTERM');
  options.signal?.addEventListener('abort', stopBuild, { once: true });
  process.once('exit', stopBuild);
  const goOutput: string[] = [];
  createInterface({ input: go.stderr! }).on('line', (line) => {
    // `go build -v` names each package it compiles: count them; show everything else (downloads, errors).
    if (/^[\w.\-/]+$/.test(line)) {
      compiled++;
      lastPackage = line;
    } else {
      goOutput.push(line);
      log(`go: ${line}`);
    }
  });
  const ticker = setInterval(() => {
    log(`controlplane: still building, ${formatDuration(Date.now() - started)} elapsed, ${compiled} packages compiled (last: ${lastPackage || '-'})`);
  }, options.progressIntervalMs ?? 15_000);
  try {
    const code = await exitOf(go, log);
    if (code !== 0) {
      rmSync(tmp, { force: true });
      if (options.signal?.aborted) throw new Error('control plane build interrupted');
      throw new Error(`go build failed (exit ${code}) in ${relative(repoRoot, controlPlaneSourceDir)}:\n${goOutput.slice(-40).join('\n')}`);
    }
  } finally {
    clearInterval(ticker);
    options.signal?.removeEventListener('abort', stopBuild);
    process.removeListener('exit', stopBuild);
  }
  renameSync(tmp, binary);
  pruneOldBinaries(binary);
  log(`controlplane: built in ${formatDuration(Date.now() - started)} (${compiled} packages compiled)`);
  return binary;
}

/**
 * Removes older binaries (each is ~180 MB), except those a running process uses: a running
 * control plane's DIR/kubectl wrapper points at its binary.
 */
function pruneOldBinaries(keep: string): void {
  const inUse = new Set<string>();
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      inUse.add(readlinkSync(`/proc/${pid}/exe`));
    } catch {
      // not ours to read, or exited
    }
  }
  for (const name of readdirSync(binDir)) {
    const path = join(binDir, name);
    if (path !== keep && /^controlplane-[0-9a-f]{16}$/.test(name) && !inUse.has(path)) rmSync(path, { force: true });
  }
}

export interface StartOptions {
  /** Where the kubeconfig, the kubectl wrapper and the logs go (created if missing). */
  dir: string;
  /** The binary; default: ensureControlPlaneBinary(). */
  binary?: string;
  /** The control plane's own progress lines (stdout and stderr), including the ready line. */
  log?: LogFn;
  /** Default 3 minutes. */
  readyTimeoutMs?: number;
  /** Aborting before ready stops the control plane and rejects. */
  signal?: AbortSignal;
}

export interface ControlPlane {
  dir: string;
  kubeconfigPath: string;
  /** DIR/kubectl: kubectl from the same Kubernetes release, already pointed at the kubeconfig. */
  kubectlPath: string;
  /** https://127.0.0.1:PORT */
  serverUrl: string;
  /** The ready line, as printed. */
  readyLine: string;
  /** The process id of `controlplane serve` (etcd, kube-apiserver and the controllers run in it). */
  pid: number;
  /** Settles when the process exits, with its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM, wait for a clean stop (etcd included), SIGKILL after the grace period. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `controlplane serve --dir DIR` and resolves once it printed its ready line. */
export async function startControlPlane(options: StartOptions): Promise<ControlPlane> {
  const binary = options.binary ?? (await ensureControlPlaneBinary({ log: options.log }));
  const log = options.log ?? (() => {});
  mkdirSync(options.dir, { recursive: true });
  const child = spawn(binary, ['serve', '--dir', options.dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group, so a Ctrl-C in the terminal reaches only its parent, which then stops it
    // once with SIGTERM. (The binary also asks the kernel to SIGTERM it if its parent dies.)
    detached: true,
  });
  const exited = exitOf(child, log);
  const killOnExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);
  void exited.finally(() => process.removeListener('exit', killOnExit));

  const stop = async (graceMs = 30_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return void (await exited);
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  const stderrTail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    log(line);
  });

  const readyLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`control plane not ready after ${formatDuration(options.readyTimeoutMs ?? 180_000)} (logs: ${join(options.dir, 'controlplane.log')})`));
    }, options.readyTimeoutMs ?? 180_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log(line);
      if (/\bready\b/.test(line) && line.includes('kubeconfig=')) {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve(line);
      }
    });
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('control plane start interrupted'));
    };
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    void exited.finally(() => options.signal?.removeEventListener('abort', onAbort));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `control plane exited (${code ?? child.signalCode}) before it was ready: ${stderrTail.join('\n') || '(no output)'}\n` +
            `logs: ${join(options.dir, 'controlplane.log')}`,
        ),
      );
    });
  }).catch(async (error: unknown) => {
    await stop(5_000);
    throw error;
  });

  const serverUrl = /(https:\/\/127\.0\.0\.1:\d+)/.exec(readyLine)?.[1] ?? '';
  return {
    dir: options.dir,
    kubeconfigPath: join(options.dir, 'kubeconfig'),
    kubectlPath: join(options.dir, 'kubectl'),
    serverUrl,
    readyLine,
    pid: child.pid!,
    exited,
    stop,
  };
}

/** Settles with the exit code (null if killed by a signal); a failure to spawn is logged and gives -1. */
function exitOf(child: ChildProcess, log: LogFn): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('error', (error) => {
      log(`controlplane: ${error.message}`);
      resolve(-1);
    });
    child.once('exit', (code) => resolve(code));
  });
}

/** Signals the child's whole process group (it was spawned detached, as its group leader). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}
