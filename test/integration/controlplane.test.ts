// The local control plane itself (test/controlplane): a real kube-apiserver that enforces RBAC, a
// real garbage collector and namespace controller, ServiceAccount tokens, the CRDs of crds/, and a
// foreground `npm run controlplane` that leaves nothing running after SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ApiException, ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinnedKubernetesVersion, repoRoot } from '../../scripts/lib/controlplane.ts';
import { createNamespace, deleteNamespace, isApiError, kubeConfigWithToken, kubectl, loadKubeConfig, useNamespace, waitFor } from './support/cluster.ts';

const core = () => loadKubeConfig().makeApiClient(CoreV1Api);

describe('control plane', () => {
  it('answers /readyz with ok through DIR/kubectl, and reports the pinned Kubernetes version', async () => {
    expect((await kubectl(['get', '--raw', '/readyz'])).stdout.trim()).toBe('ok');
    const version = JSON.parse((await kubectl(['get', '--raw', '/version'])).stdout) as { gitVersion: string };
    expect(version.gitVersion).toBe(pinnedKubernetesVersion());
  });

  describe('ServiceAccounts and RBAC', () => {
    const ns = useNamespace('rbac');

    it('creates the default ServiceAccount and kube-root-ca.crt in a new namespace (controllers run)', async () => {
      await waitFor('default ServiceAccount', () => core().readNamespacedServiceAccount({ name: 'default', namespace: ns.name }).catch(() => undefined));
      await waitFor('kube-root-ca.crt', () => core().readNamespacedConfigMap({ name: 'kube-root-ca.crt', namespace: ns.name }).catch(() => undefined));
    });

    it('forbids a ServiceAccount without bindings to list Secrets, and allows it once a Role is bound', async () => {
      await core().createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'reader' } } });
      await core().createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'hidden' }, stringData: { k: 'v' } } });

      // TokenRequest, as `kubectl create token` does it.
      const token = (await kubectl(['create', 'token', 'reader', '-n', ns.name, '--duration=10m'])).stdout.trim();
      expect(token.split('.')).toHaveLength(3);
      const asReader = kubeConfigWithToken(token).makeApiClient(CoreV1Api);

      const denied = await asReader.listNamespacedSecret({ namespace: ns.name }).catch((error: unknown) => error);
      expect(denied).toBeInstanceOf(ApiException);
      expect((denied as ApiException<unknown>).code).toBe(403);
      expect(String((denied as ApiException<unknown>).body)).toContain(`system:serviceaccount:${ns.name}:reader`);
      expect(String((denied as ApiException<unknown>).body)).toContain('cannot list resource \\"secrets\\"');

      const rbac = loadKubeConfig().makeApiClient(RbacAuthorizationV1Api);
      await rbac.createNamespacedRole({
        namespace: ns.name,
        body: { metadata: { name: 'secret-reader' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }] },
      });
      await rbac.createNamespacedRoleBinding({
        namespace: ns.name,
        body: {
          metadata: { name: 'secret-reader' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader' },
          subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns.name }],
        },
      });
      const list = await waitFor('the RoleBinding to take effect', () => asReader.listNamespacedSecret({ namespace: ns.name }).catch(() => undefined));
      expect(list.items.map((s) => s.metadata?.name)).toContain('hidden');
      // Still nothing outside the Role's scope.
      const other = await asReader.listNamespacedSecret({ namespace: 'default' }).catch((error: unknown) => error);
      expect(isApiError(other, 403)).toBe(true);
    });
  });

  describe('garbage collector', () => {
    const ns = useNamespace('gc');

    async function ownedPair(ownerName: string, childName: string): Promise<void> {
      const owner = await core().createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: ownerName } } });
      await core().createNamespacedConfigMap({
        namespace: ns.name,
        body: {
          metadata: {
            name: childName,
            ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: ownerName, uid: owner.metadata!.uid! }],
          },
        },
      });
    }
    const exists = (name: string) =>
      core()
        .readNamespacedConfigMap({ name, namespace: ns.name })
        .then(
          () => true,
          (error: unknown) => {
            if (isApiError(error, 404)) return false;
            throw error;
          },
        );

    it('deletes a child ConfigMap after its owner is deleted (background cascade)', async () => {
      await ownedPair('owner', 'child');
      await core().deleteNamespacedConfigMap({ name: 'owner', namespace: ns.name });
      await waitFor('the child ConfigMap to be garbage-collected', async () => !(await exists('child')), 60_000, 200);
    });

    it('deletes the child before the owner with foreground propagation', async () => {
      await ownedPair('fg-owner', 'fg-child');
      await core().deleteNamespacedConfigMap({ name: 'fg-owner', namespace: ns.name, propagationPolicy: 'Foreground' });
      await waitFor('owner and child to be gone', async () => !(await exists('fg-owner')) && !(await exists('fg-child')), 60_000, 200);
    });

    it('keeps the child, without its owner reference, with orphan propagation', async () => {
      await ownedPair('or-owner', 'or-child');
      await core().deleteNamespacedConfigMap({ name: 'or-owner', namespace: ns.name, propagationPolicy: 'Orphan' });
      const child = await waitFor(
        'the owner reference to be removed',
        async () => {
          if (await exists('or-owner')) return undefined;
          const c = await core().readNamespacedConfigMap({ name: 'or-child', namespace: ns.name });
          return (c.metadata?.ownerReferences ?? []).length === 0 ? c : undefined;
        },
        60_000,
        200,
      );
      expect(child.metadata?.name).toBe('or-child');
    });
  });

  describe('custom resources', () => {
    // A small CRD of this test's own: the GC and the namespace controller must handle custom resources.
    const group = 'cptest.chaman.io';
    const crdName = `widgets.${group}`;
    const crd = () => loadKubeConfig().makeApiClient(ApiextensionsV1Api);
    const custom = () => loadKubeConfig().makeApiClient(CustomObjectsApi);
    const widget = (namespace: string, name: string) => ({ group, version: 'v1', plural: 'widgets', namespace, body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name }, spec: { size: 1 } } });

    beforeAll(async () => {
      await crd()
        .createCustomResourceDefinition({
          body: {
            metadata: { name: crdName },
            spec: {
              group,
              scope: 'Namespaced',
              names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
              versions: [
                {
                  name: 'v1',
                  served: true,
                  storage: true,
                  schema: {
                    openAPIV3Schema: {
                      type: 'object',
                      properties: { spec: { type: 'object', properties: { size: { type: 'integer', minimum: 0 } } } },
                    },
                  },
                },
              ],
            },
          },
        })
        .catch((error: unknown) => {
          if (!isApiError(error, 409)) throw error;
        });
      await kubectl(['wait', '--for=condition=Established', '--timeout=60s', `crd/${crdName}`]);
    });
    afterAll(async () => {
      await crd().deleteCustomResourceDefinition({ name: crdName }).catch(() => {});
    });

    it('refuses a custom resource that breaks its schema, with the reason', async () => {
      const namespace = await createNamespace('schema');
      try {
        const bad = widget(namespace, 'bad');
        bad.body.spec.size = -1;
        const error = await custom().createNamespacedCustomObject(bad).catch((e: unknown) => e);
        expect(isApiError(error, 422)).toBe(true);
        expect(String((error as ApiException<unknown>).body)).toContain('should be greater than or equal to 0');
      } finally {
        await deleteNamespace(namespace);
      }
    });

    it('garbage-collects a ConfigMap owned by a custom resource', async () => {
      const namespace = await createNamespace('gc-cr');
      try {
        const owner = (await custom().createNamespacedCustomObject(widget(namespace, 'w'))) as { metadata: { uid: string } };
        await core().createNamespacedConfigMap({
          namespace,
          body: {
            metadata: {
              name: 'owned',
              ownerReferences: [{ apiVersion: `${group}/v1`, kind: 'Widget', name: 'w', uid: owner.metadata.uid, controller: true }],
            },
          },
        });
        await custom().deleteNamespacedCustomObject({ group, version: 'v1', plural: 'widgets', namespace, name: 'w' });
        // The GC starts watching a new resource type at its next discovery sync (every 30 s).
        await waitFor(
          'the owned ConfigMap to be garbage-collected',
          () => core().readNamespacedConfigMap({ name: 'owned', namespace }).then(() => false, (e: unknown) => isApiError(e, 404)),
          90_000,
          250,
        );
      } finally {
        await deleteNamespace(namespace);
      }
    });

    it('completes the deletion of a namespace that holds ConfigMaps, Secrets and custom resources', async () => {
      const namespace = await createNamespace('nsdel');
      await custom().createNamespacedCustomObject(widget(namespace, 'w1'));
      await core().createNamespacedConfigMap({ namespace, body: { metadata: { name: 'cm' }, data: { a: 'b' } } });
      await core().createNamespacedSecret({ namespace, body: { metadata: { name: 's' }, stringData: { a: 'b' } } });
      const started = Date.now();
      await deleteNamespace(namespace, { wait: true, timeoutMs: 90_000 });
      expect(Date.now() - started).toBeLessThan(90_000);
    });
  });

  describe('CRDs of crds/', () => {
    const files = existsSync(join(repoRoot, 'crds')) ? readdirSync(join(repoRoot, 'crds')).filter((f) => /\.ya?ml$/.test(f)) : [];
    const names = files.flatMap((f) =>
      parseAllDocuments(readFileSync(join(repoRoot, 'crds', f), 'utf8'))
        .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
        .filter((d) => d?.kind === 'CustomResourceDefinition')
        .map((d) => d!.metadata!.name!),
    );

    it.runIf(names.length > 0).each(names)('%s is installed and Established', async (name) => {
      const found = await loadKubeConfig().makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name });
      const established = found.status?.conditions?.find((c) => c.type === 'Established');
      expect(established?.status).toBe('True');
    });

    it.runIf(names.includes('channelaccounts.chaman.io'))('kubectl explain channelaccount.spec describes the fields', async () => {
      const { stdout } = await kubectl(['explain', 'channelaccount.spec']);
      expect(stdout).toMatch(/senderRef\s/);
      expect(stdout).toMatch(/type\s/);
    });
  });
});

// `npm run controlplane -- --dir X` in the foreground, then SIGTERM: nothing it started may survive.
describe('npm run controlplane', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chaman-cp-orphans-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints ready, serves, and leaves no process or open port behind after SIGTERM', async () => {
    const npm = spawn('npm', ['run', '--silent', 'controlplane', '--', '--dir', dir], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CHAMAN_TEST_KUBECONFIG: '' },
    });
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    const output: string[] = [];
    createInterface({ input: npm.stderr! }).on('line', (line) => output.push(line));
    const ready = new Promise<string>((resolve, reject) => {
      createInterface({ input: npm.stdout! }).on('line', (line) => {
        output.push(line);
        if (/\bready\b/.test(line) && line.includes('kubeconfig=')) resolve(line);
      });
      void exited.then((code) => reject(new Error(`exited (${code}) before ready:\n${output.join('\n')}`)));
    });
    try {
      const readyLine = await ready;
      const apiPort = Number(/https:\/\/127\.0\.0\.1:(\d+)/.exec(readyLine)?.[1]);
      const etcdPort = Number(output.map((l) => /etcd listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(l)?.[1]).find(Boolean));
      expect(apiPort).toBeGreaterThan(0);
      expect(etcdPort).toBeGreaterThan(0);

      // It works, through its own DIR/kubectl.
      const readyz = await runKubectl(join(dir, 'kubectl'), ['get', '--raw', '/readyz']);
      expect(readyz).toBe('ok');

      const tree = descendants(npm.pid!);
      expect(tree.length).toBeGreaterThan(0);
      const serveProcesses = tree.filter((p) => p.cmdline.includes('serve') && p.cmdline.includes(dir));
      expect(serveProcesses).toHaveLength(1);
      expect(await portOpen(apiPort)).toBe(true);
      expect(await portOpen(etcdPort)).toBe(true);

      npm.kill('SIGTERM');
      await exited;
      // Everything npm started (sh, node, the control plane) is gone, and so are its ports.
      await waitFor('every started process to exit', () => tree.every((p) => !alive(p.pid)), 30_000, 100);
      expect(await portOpen(apiPort)).toBe(false);
      expect(await portOpen(etcdPort)).toBe(false);
      expect(allProcesses().filter((p) => p.cmdline.includes('controlplane-') && p.cmdline.includes(dir))).toEqual([]);
      expect(existsSync(join(dir, 'run'))).toBe(false); // its state (etcd data, keys) removed
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
      for (const p of descendants(npm.pid!)) process.kill(p.pid, 'SIGKILL');
    }
  });
});

function runKubectl(path: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`kubectl exited ${code}`))));
  });
}

interface ProcessInfo {
  pid: number;
  ppid: number;
  cmdline: string;
}

function allProcesses(): ProcessInfo[] {
  const result: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may contain spaces and parentheses: fields after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue; // a zombie has exited already
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      result.push({ pid: Number(entry), ppid: Number(fields[1]), cmdline });
    } catch {
      // exited meanwhile
    }
  }
  return result;
}

function descendants(root: number): ProcessInfo[] {
  const all = allProcesses();
  const found: ProcessInfo[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const p of all) {
      if (p.ppid === parent) {
        found.push(p);
        queue.push(p.pid);
      }
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
