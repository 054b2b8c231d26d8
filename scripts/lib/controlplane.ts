// Build and run the local Kubernetes control plane of test/controlplane (etcd + kube-apiserver + the
// garbage-collector, namespace and service-account controllers, plus kubectl, in one Go binary).
// Used by `npm run controlplane`, the integration tests' global setup and the demo.
//
// The binary is built and cached by go-build.ts as test/controlplane/bin/controlplane-<hash> (the
// same builder as the test tools of test/tools): a second start skips the build. A cold build
// compiles kube-apiserver and friends from the Go module proxy and takes minutes.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ensureGoBinary, exitOf, formatDuration, killGroup, repoRoot, type BuildOptions, type GoBinarySpec, type LogFn } from './go-build.ts';

export { repoRoot, type BuildOptions, type LogFn };
export const controlPlaneSourceDir = join(repoRoot, 'test', 'controlplane');

/** The k8s.io/kubernetes version pinned in test/controlplane/go.mod, e.g. v1.37.2. */
export function pinnedKubernetesVersion(): string {
  const goMod = readFileSync(join(controlPlaneSourceDir, 'go.mod'), 'utf8');
  const match = /^\s*k8s\.io\/kubernetes\s+(v\d+\.\d+\.\d+)\s*$/m.exec(goMod);
  if (!match?.[1]) throw new Error('test/controlplane/go.mod does not require k8s.io/kubernetes vX.Y.Z');
  return match[1];
}

function controlPlaneSpec(): GoBinarySpec {
  const version = pinnedKubernetesVersion();
  const [major, minor] = version.slice(1).split('.');
  // gitVersion makes /version and `kubectl version` report the pinned release instead of v0.0.0-master.
  const pkg = 'k8s.io/component-base/version';
  return {
    name: 'controlplane',
    moduleDir: controlPlaneSourceDir,
    pkg: '.',
    ldflags: [`-X ${pkg}.gitVersion=${version}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`, `-X ${pkg}.gitTreeState=clean`],
    note: `Kubernetes ${version}; a cold build takes several minutes`,
  };
}

/**
 * Returns the path of the control-plane binary, building it first if this source tree has not been
 * built yet. Concurrent callers are safe: each builds to a temporary name and renames.
 */
export function ensureControlPlaneBinary(options: BuildOptions = {}): Promise<string> {
  return ensureGoBinary(controlPlaneSpec(), options);
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
