// Helpers for integration tests against the run's real control plane (see ../global-setup.ts).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, inject } from 'vitest';
import { releaseOperatorFinalizers, TEST_NAMESPACE_LABEL } from './finalizers.ts';

function provided(key: 'kubeconfig' | 'kubectl'): string | undefined {
  try {
    return inject(key);
  } catch {
    return undefined; // not running under the integration project's global setup
  }
}

/** The admin kubeconfig of the test run's control plane. */
export function kubeconfigPath(): string {
  const path = provided('kubeconfig') ?? process.env.CHAMAN_TEST_KUBECONFIG;
  if (!path) {
    throw new Error('no kubeconfig: run with the integration project (its global setup starts a control plane) or set CHAMAN_TEST_KUBECONFIG');
  }
  return path;
}

/** DIR/kubectl, next to the kubeconfig. */
export function kubectlPath(): string {
  return provided('kubectl') ?? join(dirname(kubeconfigPath()), 'kubectl');
}

/** A @kubernetes/client-node KubeConfig for the admin credential. */
export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  return kc;
}

/** A KubeConfig for the same cluster that authenticates with a bearer token (e.g. a ServiceAccount's). */
export function kubeConfigWithToken(token: string, name = 'token-user'): KubeConfig {
  const admin = loadKubeConfig();
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name, token }],
    contexts: [{ name, cluster: cluster.name, user: name }],
    currentContext: name,
  });
  return kc;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the control plane's kubectl (already pointed at the kubeconfig). Throws on a non-zero exit
 * unless `allowFailure` is set; `input` is passed on stdin (for `-f -`).
 */
export function kubectl(args: string[], options: { input?: string; allowFailure?: boolean; timeoutMs?: number } = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      kubectlPath(),
      args,
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 32 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        if (code !== 0 && !options.allowFailure) {
          reject(new Error(`kubectl ${args.join(' ')} failed (${code}): ${stderr.trim() || error?.message}`));
        } else {
          resolve({ code, stdout, stderr });
        }
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** Polls fn until it returns a truthy value. */
export async function waitFor<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function isApiError(error: unknown, code: number): boolean {
  return error instanceof ApiException && error.code === code;
}

/** Creates a namespace with a unique name, labelled as a test namespace. */
export async function createNamespace(prefix = 'test'): Promise<string> {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40).replace(/^-+|-+$/g, '') || 'test';
  const name = `${clean}-${randomBytes(4).toString('hex')}`;
  await loadKubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name, labels: { [TEST_NAMESPACE_LABEL]: 'true' } } } });
  return name;
}

/**
 * Deletes a namespace (the namespace controller then deletes its content) and releases the
 * operator's finalizers in it (see ./finalizers.ts: else it may stay Terminating for good). With
 * `wait`, resolves only once it is gone.
 */
export async function deleteNamespace(name: string, options: { wait?: boolean; timeoutMs?: number } = {}): Promise<void> {
  const core = loadKubeConfig().makeApiClient(CoreV1Api);
  try {
    await core.deleteNamespace({ name });
  } catch (error) {
    if (!isApiError(error, 404)) throw error;
    return;
  }
  await releaseOperatorFinalizers(kubeconfigPath(), name);
  if (options.wait) {
    await waitFor(
      `namespace ${name} to be deleted`,
      async () => {
        try {
          await core.readNamespace({ name });
          return false;
        } catch (error) {
          if (isApiError(error, 404)) return true;
          throw error;
        }
      },
      options.timeoutMs ?? 60_000,
      200,
    );
  }
}

/**
 * Gives each test of the calling file its own fresh namespace, deleted after the test:
 *
 *   const ns = useNamespace('gc');
 *   it('...', async () => { ... ns.name ... });
 */
export function useNamespace(prefix = 'test'): { readonly name: string } {
  let current: string | undefined;
  beforeEach(async () => {
    current = await createNamespace(prefix);
  });
  afterEach(async () => {
    if (current) await deleteNamespace(current);
    current = undefined;
  });
  return {
    get name(): string {
      if (!current) throw new Error('useNamespace(): the namespace exists only while a test runs');
      return current;
    },
  };
}
