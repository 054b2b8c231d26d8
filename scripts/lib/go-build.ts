// One way to build a Go binary from a module in this repository and cache it: used for the local
// control plane (test/controlplane) and for the Go tools the tests run (test/tools/<name>).
//
// The binary is cached as <module>/bin/<name>-<hash>, the hash covering the module's Go sources,
// go.mod, go.sum, tool.json, the build arguments and the Go version: a second call skips the build.
// Go's own module and build caches make a rebuild after a small change take seconds; modules that
// pin the same k8s.io versions share those caches.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type LogFn = (line: string) => void;

export interface BuildOptions {
  /** Progress and the go tool's output, one line per call. Default: console.error. */
  log?: LogFn;
  /** Interrupts a running build (the go tool and its compilers are killed). */
  signal?: AbortSignal;
  /** How often a cold build reports its elapsed time. Default 15 s. */
  progressIntervalMs?: number;
}

export interface GoBinarySpec {
  /** Names the binary (<name>-<hash>) and prefixes the progress lines. */
  name: string;
  /** The Go module's directory (holds go.mod). */
  moduleDir: string;
  /** The package to build: '.' or an import path the module requires (e.g. through a go.mod `tool` line). */
  pkg: string;
  /** -ldflags beyond '-s -w'. */
  ldflags?: string[];
  /** Build tags, e.g. ['remove_all_sd'] to leave Prometheus's cloud service discovery out. */
  tags?: string[];
  /** Said once when a build starts, e.g. 'Kubernetes v1.37.2; a cold build takes several minutes'. */
  note?: string;
}

/** The `go` command: $GO if set, else `go` on PATH. */
function goCommand(): string {
  return process.env.GO ?? 'go';
}

function buildArgs(spec: GoBinarySpec, output: string): string[] {
  const ldflags = ['-s', '-w', ...(spec.ldflags ?? [])].join(' ');
  const tags = spec.tags?.length ? [`-tags=${spec.tags.join(',')}`] : [];
  return ['build', '-v', '-trimpath', '-buildvcs=false', ...tags, `-ldflags=${ldflags}`, '-o', output, spec.pkg];
}

let cachedGoVersion: string | undefined;
function goVersion(cwd: string): string {
  if (cachedGoVersion) return cachedGoVersion;
  const result = spawnSync(goCommand(), ['env', 'GOVERSION'], { cwd, encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new Error(
      `cannot run '${goCommand()} env GOVERSION' (${result.error?.message ?? result.stderr.trim()}): ` +
        'building the control plane and the test tools needs Go 1.26 or later on PATH (or set GO=/path/to/go)',
    );
  }
  cachedGoVersion = result.stdout.trim();
  return cachedGoVersion;
}

function moduleFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'bin' && !entry.name.startsWith('.')) files.push(...moduleFiles(path));
    } else if (entry.name.endsWith('.go') || ['go.mod', 'go.sum', 'tool.json'].includes(entry.name)) {
      files.push(path);
    }
  }
  return files;
}

/** The cache key of the binary: sources, module files, build arguments and Go version. */
export function goBuildHash(spec: GoBinarySpec): string {
  const hash = createHash('sha256');
  hash.update(`${goVersion(spec.moduleDir)}\0${buildArgs(spec, 'OUT').join('\0')}\0`);
  for (const file of moduleFiles(spec.moduleDir).sort()) {
    hash.update(`${relative(spec.moduleDir, file)}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * Returns the path of the binary, building it first if this source tree has not been built yet.
 * Concurrent callers are safe: each builds to a temporary name and renames.
 */
export async function ensureGoBinary(spec: GoBinarySpec, options: BuildOptions = {}): Promise<string> {
  const log = options.log ?? ((line: string) => console.error(line));
  const binDir = join(spec.moduleDir, 'bin');
  const binary = join(binDir, `${spec.name}-${goBuildHash(spec)}`);
  if (existsSync(binary)) return binary;

  mkdirSync(binDir, { recursive: true });
  const tmp = `${binary}.tmp-${process.pid}`;
  const started = Date.now();
  log(`${spec.name}: building ${relative(repoRoot, binary)}${spec.note ? ` (${spec.note})` : ''}`);

  let compiled = 0;
  let lastPackage = '';
  const go = spawn(goCommand(), buildArgs(spec, tmp), {
    cwd: spec.moduleDir,
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
    log(`${spec.name}: still building, ${formatDuration(Date.now() - started)} elapsed, ${compiled} packages compiled (last: ${lastPackage || '-'})`);
  }, options.progressIntervalMs ?? 15_000);
  try {
    const code = await exitOf(go, log);
    if (code !== 0) {
      rmSync(tmp, { force: true });
      if (options.signal?.aborted) throw new Error(`${spec.name} build interrupted`);
      throw new Error(`go build failed (exit ${code}) in ${relative(repoRoot, spec.moduleDir)}:\n${goOutput.slice(-40).join('\n')}`);
    }
  } finally {
    clearInterval(ticker);
    options.signal?.removeEventListener('abort', stopBuild);
    process.removeListener('exit', stopBuild);
  }
  renameSync(tmp, binary);
  pruneOldBinaries(spec.name, binary);
  log(`${spec.name}: built in ${formatDuration(Date.now() - started)} (${compiled} packages compiled)`);
  return binary;
}

/**
 * Removes the older builds of this binary (a control plane is ~180 MB), except those a running
 * process uses: a running control plane's DIR/kubectl wrapper points at its binary.
 */
function pruneOldBinaries(name: string, keep: string): void {
  const inUse = new Set<string>();
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      inUse.add(readlinkSync(`/proc/${pid}/exe`));
    } catch {
      // not ours to read, or exited
    }
  }
  const dir = dirname(keep);
  const ours = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{16}$`);
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (path !== keep && ours.test(entry) && !inUse.has(path)) rmSync(path, { force: true });
  }
}

/** Settles with the exit code (null if killed by a signal); a failure to spawn is logged and gives -1. */
export function exitOf(child: ChildProcess, log: LogFn): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('error', (error) => {
      log(`${error.message}`);
      resolve(-1);
    });
    child.once('exit', (code) => resolve(code));
  });
}

/** Signals the child's whole process group (it was spawned detached, as its group leader). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}
