// The operator's RBAC asked of a real API server with the ServiceAccount's OWN token (not the
// admin's, not impersonation): `kubectl create token`, a kubeconfig holding only that token, then
// `kubectl auth can-i` for what the operator needs (yes) and for the rest (no), and the operator
// itself run with that token. Shared by manifests-rbac.test.ts (kustomize) and helm-install.test.ts (the chart).
import { execFile as execFileCallback, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/server.ts';
import { exampleSecrets } from '../../../src/devtools/example-secrets.ts';
import { parseYamlDocuments, REPO_ROOT, type K8sObject } from '../../unit/manifests/support.ts';
import { kubectlPath } from './cluster.ts';

const execFile = promisify(execFileCallback);

export type Check = [string, boolean];

/**
 * The kubectl binary of the control plane's own release (no version skew), taken from the DIR/kubectl
 * wrapper the control plane writes (which also pins the admin kubeconfig, so it is not used as is:
 * the checks run with the ServiceAccount's kubeconfig). $CHAMAN_KUBECTL wins; the machine's
 * kubectl is the fallback.
 */
function kubectlCommand(): string[] {
  if (process.env.CHAMAN_KUBECTL) return [process.env.CHAMAN_KUBECTL];
  const wrapper = kubectlPath();
  if (existsSync(wrapper)) {
    const exec = /^exec\s+'([^']+)'\s+kubectl\s/m.exec(readFileSync(wrapper, 'utf8'));
    if (exec?.[1] && existsSync(exec[1])) return [exec[1], 'kubectl'];
  }
  return ['kubectl'];
}

/** Runs kubectl against `kubeconfig`; resolves with stdout, or rejects with stderr in the message. */
export async function kubectl(kubeconfig: string, args: string[], input?: string): Promise<string> {
  const [command, ...prefix] = kubectlCommand();
  const child = execFile(command!, [...prefix, '--kubeconfig', kubeconfig, ...args], { maxBuffer: 32 * 1024 * 1024 });
  if (input !== undefined) child.child.stdin!.end(input);
  try {
    return (await child).stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')}: ${e.stderr || e.message}`);
  }
}

/** `kubectl auth can-i` as the given kubeconfig: true for "yes", false for "no". */
async function canI(kubeconfig: string, args: string[]): Promise<boolean> {
  const [command, ...prefix] = kubectlCommand();
  try {
    const { stdout } = await execFile(command!, [...prefix, '--kubeconfig', kubeconfig, 'auth', 'can-i', ...args]);
    return stdout.trim() === 'yes';
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    // can-i exits 1 with "no"; anything else is a failure of the check itself.
    if (e.code === 1 && e.stdout?.trim().startsWith('no')) return false;
    throw new Error(`kubectl auth can-i ${args.join(' ')}: ${e.stderr ?? String(error)}`);
  }
}

export const toYaml = (objects: K8sObject[]): string => objects.map((o) => JSON.stringify(o)).join('\n---\n');

/** A kubeconfig that holds only a bearer token (same server and CA as the admin's). */
async function tokenKubeconfig(admin: string, token: string, dir: string, name: string): Promise<string> {
  const view = JSON.parse(await kubectl(admin, ['config', 'view', '--raw', '--minify', '-o', 'json'])) as {
    clusters: { cluster: { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string } }[];
  };
  const cluster = view.clusters[0]!.cluster;
  const path = join(dir, `${name}.kubeconfig`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster }],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: 'test', user: name } }],
    'current-context': name,
  };
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}

/** A kubeconfig with a fresh token of ServiceAccount `namespace/serviceAccount` (TokenRequest). */
export async function serviceAccountKubeconfig(admin: string, dir: string, namespace: string, serviceAccount: string): Promise<string> {
  const token = (await kubectl(admin, ['-n', namespace, 'create', 'token', serviceAccount, '--duration=1h'])).trim();
  expect(token.split('.')).toHaveLength(3); // a JWT, issued by the API server's TokenRequest
  return tokenKubeconfig(admin, token, dir, `${namespace}-${serviceAccount}`);
}

/** Each [args, expected] pair of `kubectl auth can-i`, checked in parallel; returns the mismatches. */
export async function mismatches(kubeconfig: string, checks: Check[]): Promise<string[]> {
  const answers = await Promise.all(checks.map(([args]) => canI(kubeconfig, args.split(' '))));
  return checks.flatMap(([args, expected], i) => (answers[i] === expected ? [] : [`can-i ${args}: expected ${expected ? 'yes' : 'no'}`]));
}

/** What the operator needs, in a namespace it reconciles (`ns`) — all "yes". */
export const needs = (ns: string): Check[] => [
  ...['get', 'list', 'watch', 'patch', 'update'].flatMap((v): Check[] => [
    [`${v} chamansenders.chaman.io -n ${ns}`, true],
    [`${v} channelaccounts.chaman.io -n ${ns}`, true],
  ]),
  ...['get', 'patch', 'update'].flatMap((v): Check[] => [
    [`${v} chamansenders.chaman.io --subresource=status -n ${ns}`, true],
    [`${v} channelaccounts.chaman.io --subresource=status -n ${ns}`, true],
  ]),
  [`update channelaccounts.chaman.io --subresource=finalizers -n ${ns}`, true],
  ...['get', 'list', 'watch'].map((v): Check => [`${v} secrets -n ${ns}`, true]),
  ...['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'].map((v): Check => [`${v} configmaps -n ${ns}`, true]),
  [`create events -n ${ns}`, true],
  [`patch events -n ${ns}`, true],
  [`create events.events.k8s.io -n ${ns}`, true],
  [`patch events.events.k8s.io -n ${ns}`, true],
];

/** What it must never do, in `ns` or anywhere — all "no". `home` is the operator's own namespace. */
export const forbidden = (ns: string, home: string): Check[] => [
  ...['create', 'update', 'patch', 'delete', 'deletecollection'].map((v): Check => [`${v} secrets -n ${ns}`, false]),
  ['create chamansenders.chaman.io -n ' + ns, false],
  ['delete channelaccounts.chaman.io -n ' + ns, false],
  ['delete namespaces', false],
  ['create namespaces', false],
  ['update namespaces', false],
  ['get namespaces', false],
  [`get pods -n ${ns}`, false],
  [`list pods -n ${ns}`, false],
  [`create pods -n ${ns}`, false],
  [`list deployments.apps -n ${ns}`, false],
  [`get serviceaccounts -n ${ns}`, false],
  [`create serviceaccounts --subresource=token -n ${ns}`, false],
  [`list roles.rbac.authorization.k8s.io -n ${ns}`, false],
  ['list clusterroles.rbac.authorization.k8s.io', false],
  ['escalate clusterroles.rbac.authorization.k8s.io', false],
  ['bind clusterroles.rbac.authorization.k8s.io', false],
  ['impersonate users', false],
  ['list nodes', false],
  ['list customresourcedefinitions.apiextensions.k8s.io', false],
  ['list persistentvolumes', false],
  [`list services -n ${ns}`, false],
  ...(ns === home ? [] : [[`create leases.coordination.k8s.io -n ${ns}`, false] as Check]),
  ['* *', false],
];

/** Leader election: a Lease in its own namespace (`home`) only, get/update only on its own Lease. */
export const leaseChecks = (home: string): Check[] => [
  [`create leases.coordination.k8s.io -n ${home}`, true],
  [`get leases.coordination.k8s.io/chaman-operator -n ${home}`, true],
  [`update leases.coordination.k8s.io/chaman-operator -n ${home}`, true],
  // Every shard's Lease (the fence reads them all, sharded or not), and no more than 16.
  [`get leases.coordination.k8s.io/chaman-operator-shard-0 -n ${home}`, true],
  [`update leases.coordination.k8s.io/chaman-operator-shard-15 -n ${home}`, true],
  [`get leases.coordination.k8s.io/chaman-operator-shard-16 -n ${home}`, false],
  [`get leases.coordination.k8s.io/someone-else -n ${home}`, false],
  [`update leases.coordination.k8s.io/someone-else -n ${home}`, false],
  [`delete leases.coordination.k8s.io/chaman-operator -n ${home}`, false],
  [`list leases.coordination.k8s.io -n ${home}`, false],
  ['create leases.coordination.k8s.io -n kube-system', false],
  ['update leases.coordination.k8s.io/chaman-operator -n kube-system', false],
];

/** The objects of examples/, moved to namespace `ns`; the (cluster-scoped) grant names `ns` instead of payroll. */
function examples(ns: string): K8sObject[] {
  return readdirSync(join(REPO_ROOT, 'examples'))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((f) => parseYamlDocuments(readFileSync(join(REPO_ROOT, 'examples', f), 'utf8')))
    .filter((o) => o.kind !== 'Namespace')
    .map((o) =>
      o.kind === 'ChamanSenderGrant'
        ? { ...o, metadata: { ...o.metadata, name: grantName(o.metadata.name, ns) }, spec: { ...o.spec, namespaces: [ns] } }
        : { ...o, metadata: { ...o.metadata, namespace: ns } },
    );
}

const grantName = (name: string, ns: string) => `${name}-${ns}`;

export interface OperatorWithToken {
  /** The namespace the examples were applied in. */
  namespace: string;
  /** Waits until every example (one account of each type) is Ready; on time-out the error holds the objects and the operator's output. */
  waitReady(): Promise<void>;
  /** Expects the operator to hold its Lease and never to have been refused by the API server. */
  expectLeadingUnrefused(): Promise<void>;
  /** Deletes the examples (the operator releases its finalizers), then stops the operator and the emulator. */
  stop(): Promise<void>;
}

/**
 * Runs the operator out of the cluster exactly as in the Deployment (`node src/cli.ts run --leader-elect`,
 * all namespaces), authenticated by `kubeconfig` (a ServiceAccount's token), against an emulator, and
 * applies examples/ (with their Secrets) in a new namespace: if its RBAC missed anything it needs (a
 * watch, a status write, a finalizer, the client-ID ConfigMap, an event, the Lease), the examples
 * would not reach Ready.
 */
export async function startOperatorWithToken(options: {
  admin: string;
  work: string;
  kubeconfig: string;
  leaseNamespace: string;
  /** Watch only the examples' namespace (--namespace), so it leaves the shared control plane's other tests alone. */
  onlyExamplesNamespace?: boolean;
}): Promise<OperatorWithToken> {
  const { admin, work } = options;
  const ns = `chaman-rbac-examples-${randomBytes(3).toString('hex')}`;
  const chamanToken = randomBytes(16).toString('hex');
  await kubectl(admin, ['create', 'namespace', ns]);
  const emulator: RunningEmulator = await startEmulator({ tokens: { [chamanToken]: '*' } });
  const tokenFile = join(work, `chaman-token-${ns}`);
  writeFileSync(tokenFile, chamanToken, { mode: 0o600 });

  let output = '';
  const operator: ChildProcess = spawn(
    process.execPath,
    [
      'src/cli.ts', 'run',
      '--kubeconfig', options.kubeconfig,
      '--chaman-url', emulator.url,
      '--chaman-token-file', tokenFile,
      '--leader-elect', '--leader-election-namespace', options.leaseNamespace,
      '--metrics-addr', '127.0.0.1:0', '--health-addr', '127.0.0.1:0',
      ...(options.onlyExamplesNamespace ? ['--namespace', ns] : []),
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } },
  );
  operator.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  operator.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const operatorExit = new Promise<number | null>((resolve) => operator.once('exit', (code) => resolve(code)));

  const secrets = (await exampleSecrets({ namespace: ns })) as K8sObject[];
  await kubectl(admin, ['apply', '-f', '-'], toYaml([...secrets, ...examples(ns)]));

  return {
    namespace: ns,
    async waitReady() {
      try {
        await kubectl(admin, ['-n', ns, 'wait', '--for=condition=Ready', 'chamansenders', '--all', '--timeout=90s']);
        await kubectl(admin, ['-n', ns, 'wait', '--for=condition=Ready', 'channelaccounts', '--all', '--timeout=90s']);
      } catch (error) {
        const status = await kubectl(admin, ['-n', ns, 'get', 'chamansenders,channelaccounts', '-o', 'yaml']).catch(() => '');
        throw new Error(`${(error as Error).message}\n--- objects ---\n${status}\n--- operator output ---\n${output.slice(-8000)}`);
      }
      const accounts = JSON.parse(await kubectl(admin, ['-n', ns, 'get', 'channelaccounts', '-o', 'json'])) as { items: K8sObject[] };
      expect(accounts.items.map((a) => a.spec.type).sort()).toEqual(['FTP', 'REST', 'SFTP', 'SOAP']);
    },
    async expectLeadingUnrefused() {
      const lease = JSON.parse(await kubectl(admin, ['-n', options.leaseNamespace, 'get', 'lease', 'chaman-operator', '-o', 'json'])) as K8sObject;
      expect(lease.spec.holderIdentity).toBeTruthy();
      expect(output).not.toMatch(/forbidden|"status":403|\b403\b.*(kube|Kubernetes)/i);
    },
    async stop() {
      // Let the operator release its finalizers (with the same token) before it stops, so nothing
      // is left stuck in the shared control plane; then stop it, the emulator and the namespace.
      try {
        if (operator.exitCode === null) {
          await kubectl(admin, ['-n', ns, 'delete', 'channelaccounts,chamansenders', '--all', '--wait=true', '--timeout=90s']);
        }
      } finally {
        if (operator.exitCode === null) {
          operator.kill('SIGTERM');
          await Promise.race([operatorExit, new Promise((r) => setTimeout(r, 15_000))]);
          if (operator.exitCode === null) operator.kill('SIGKILL');
        }
        await emulator.stop();
        await kubectl(admin, ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
        const grants = examples(ns).filter((o) => o.kind === 'ChamanSenderGrant').map((o) => `chamansendergrants.chaman.io/${o.metadata.name}`);
        if (grants.length > 0) await kubectl(admin, ['delete', '--ignore-not-found', ...grants]).catch(() => undefined);
      }
    },
  };
}
