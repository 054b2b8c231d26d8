// The operator's RBAC on a real API server (RBAC authorizer on), asked with the ServiceAccount's
// OWN token — not the admin's, not impersonation: `kubectl create token`, a kubeconfig with only
// that token, then `kubectl auth can-i` for what the operator needs (yes) and for the rest (no).
// The unit tests (test/unit/manifests/rbac.test.ts) check the same rules as data.
import { execFile as execFileCallback, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.ts';
import { exampleSecrets } from '../../src/devtools/example-secrets.ts';
import { kustomize, parseYamlDocuments, REPO_ROOT, type K8sObject } from '../unit/manifests/support.ts';
import { kubeconfigPath, kubectlPath } from './support/cluster.ts';

const execFile = promisify(execFileCallback);

const NAMESPACE = 'chaman-system';
const WATCHED = 'payroll'; // the namespace overlays/namespaced grants
const OTHER = 'chaman-rbac-elsewhere'; // a namespace no Role grants
const SA = 'chaman-operator';
const SA_NAMESPACED = 'chaman-operator-ns'; // the namespaced overlay's Roles, bound to their own account

/**
 * The kubectl binary of the control plane's own release (no version skew), taken from the DIR/kubectl
 * wrapper the control plane writes (which also pins the admin kubeconfig, so it is not used as is:
 * the checks below run with the ServiceAccount's kubeconfig). $CHAMAN_KUBECTL wins; the machine's
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
async function kubectl(kubeconfig: string, args: string[], input?: string): Promise<string> {
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

const toYaml = (objects: K8sObject[]): string => objects.map((o) => JSON.stringify(o)).join('\n---\n');

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

async function serviceAccountKubeconfig(admin: string, dir: string, serviceAccount: string): Promise<string> {
  const token = (await kubectl(admin, ['-n', NAMESPACE, 'create', 'token', serviceAccount, '--duration=1h'])).trim();
  expect(token.split('.')).toHaveLength(3); // a JWT, issued by the API server's TokenRequest
  return tokenKubeconfig(admin, token, dir, serviceAccount);
}

/** Each [args, expected] pair of `kubectl auth can-i`, checked in parallel; returns the mismatches. */
async function mismatches(kubeconfig: string, checks: [string, boolean][]): Promise<string[]> {
  const answers = await Promise.all(checks.map(([args]) => canI(kubeconfig, args.split(' '))));
  return checks.flatMap(([args, expected], i) => (answers[i] === expected ? [] : [`can-i ${args}: expected ${expected ? 'yes' : 'no'}`]));
}

// What the operator needs, in a namespace it reconciles (`ns`) — all "yes".
const needs = (ns: string): [string, boolean][] => [
  ...['get', 'list', 'watch', 'patch', 'update'].flatMap((v): [string, boolean][] => [
    [`${v} chamansenders.chaman.io -n ${ns}`, true],
    [`${v} channelaccounts.chaman.io -n ${ns}`, true],
  ]),
  ...['get', 'patch', 'update'].flatMap((v): [string, boolean][] => [
    [`${v} chamansenders.chaman.io --subresource=status -n ${ns}`, true],
    [`${v} channelaccounts.chaman.io --subresource=status -n ${ns}`, true],
  ]),
  [`update channelaccounts.chaman.io --subresource=finalizers -n ${ns}`, true],
  ...['get', 'list', 'watch'].map((v): [string, boolean] => [`${v} secrets -n ${ns}`, true]),
  ...['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'].map((v): [string, boolean] => [`${v} configmaps -n ${ns}`, true]),
  [`create events -n ${ns}`, true],
  [`patch events -n ${ns}`, true],
  [`create events.events.k8s.io -n ${ns}`, true],
  [`patch events.events.k8s.io -n ${ns}`, true],
];

// What it must never do, anywhere — all "no".
const forbidden = (ns: string): [string, boolean][] => [
  ...['create', 'update', 'patch', 'delete', 'deletecollection'].map((v): [string, boolean] => [`${v} secrets -n ${ns}`, false]),
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
  ...(ns === NAMESPACE ? [] : [[`create leases.coordination.k8s.io -n ${ns}`, false] as [string, boolean]]),
  ['* *', false],
];

// Leader election: a Lease in its own namespace only, get/update only on its own Lease.
const lease: [string, boolean][] = [
  [`create leases.coordination.k8s.io -n ${NAMESPACE}`, true],
  [`get leases.coordination.k8s.io/chaman-operator -n ${NAMESPACE}`, true],
  [`update leases.coordination.k8s.io/chaman-operator -n ${NAMESPACE}`, true],
  [`get leases.coordination.k8s.io/someone-else -n ${NAMESPACE}`, false],
  [`update leases.coordination.k8s.io/someone-else -n ${NAMESPACE}`, false],
  [`delete leases.coordination.k8s.io/chaman-operator -n ${NAMESPACE}`, false],
  [`list leases.coordination.k8s.io -n ${NAMESPACE}`, false],
  ['create leases.coordination.k8s.io -n kube-system', false],
  ['update leases.coordination.k8s.io/chaman-operator -n kube-system', false],
];

type Check = [string, boolean];

// Tenancy: read the cluster-scoped grants and the namespaces' labels; never write a grant. Status: only
// the cluster-wide install writes it (a namespaced one sees only part of the claims).
const grantsChecks = (writesStatus: boolean): Check[] => [
  ...['get', 'list', 'watch'].map((v): Check => [`${v} chamansendergrants.chaman.io`, true]),
  ['list namespaces', true],
  ['watch namespaces', true],
  ...['create', 'update', 'patch', 'delete', 'deletecollection'].map((v): Check => [`${v} chamansendergrants.chaman.io`, false]),
  [`patch chamansendergrants.chaman.io --subresource=status`, writesStatus],
  [`update chamansendergrants.chaman.io --subresource=status`, writesStatus],
];

let admin: string;
let work: string;

beforeAll(async () => {
  admin = kubeconfigPath();
  work = mkdtempSync(join(tmpdir(), 'chaman-rbac-'));
  for (const ns of [WATCHED, OTHER]) {
    await kubectl(admin, ['create', 'namespace', ns, '--dry-run=client', '-o', 'json']).then((json) => kubectl(admin, ['apply', '-f', '-'], json));
  }
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('kubectl kustomize manifests/ on a real API server', () => {
  const objects = kustomize('manifests');
  const workloads = new Set(['Deployment', 'PodDisruptionBudget', 'Service']);

  it('applies: namespace, CRDs, ServiceAccount and RBAC for real; the workloads pass a server-side dry run', async () => {
    const setup = objects.filter((o) => !workloads.has(o.kind));
    await kubectl(admin, ['apply', '--server-side', '--force-conflicts', '--field-manager=chaman-manifests-test', '-f', '-'], toYaml(setup));
    await kubectl(admin, ['wait', '--for=condition=Established', '--timeout=60s', 'crd/chamansenders.chaman.io', 'crd/channelaccounts.chaman.io']);
    const out = await kubectl(admin, ['apply', '--server-side', '--dry-run=server', '--field-manager=chaman-manifests-test', '-f', '-'], toYaml(objects.filter((o) => workloads.has(o.kind))));
    expect(out).toMatch(/deployment\.apps\/chaman-operator serverside-applied \(server dry run\)/);
  });
});

describe('the ServiceAccount of the cluster-wide install, with its own token', () => {
  let sa: string;
  beforeAll(async () => {
    sa = await serviceAccountKubeconfig(admin, work, SA);
  });

  it('authenticates as system:serviceaccount:chaman-system:chaman-operator', async () => {
    const review = JSON.parse(await kubectl(sa, ['auth', 'whoami', '-o', 'json'])) as { status: { userInfo: { username: string } } };
    expect(review.status.userInfo.username).toBe(`system:serviceaccount:${NAMESPACE}:${SA}`);
  });

  it('may do what the operator needs, in any namespace', async () => {
    const all: [string, boolean][] = [
      ...needs(WATCHED),
      ...needs(OTHER),
      ['list chamansenders.chaman.io -A', true],
      ['watch channelaccounts.chaman.io -A', true],
      ['list secrets -A', true],
      ['watch configmaps -A', true],
      ...grantsChecks(true),
    ];
    expect(await mismatches(sa, all)).toEqual([]);
  });

  it('may not write Secrets, delete namespaces or read anything else', async () => {
    expect(await mismatches(sa, [...forbidden(WATCHED), ...forbidden(NAMESPACE), ...forbidden('kube-system')])).toEqual([]);
  });

  it('holds a Lease in its own namespace only', async () => {
    expect(await mismatches(sa, lease)).toEqual([]);
  });
});

describe('the operator with the ServiceAccount\'s own token: examples reach Ready', () => {
  // The operator runs out of the cluster exactly as in the Deployment (`node src/cli.ts run
  // --leader-elect`, all namespaces), but authenticated by the ServiceAccount's token: if the
  // ClusterRole missed anything it needs, a watch, a status write, a finalizer, the client-ID
  // ConfigMap, an event or the Lease would fail, and the examples would not reach Ready.
  const ns = `chaman-rbac-examples-${randomBytes(3).toString('hex')}`;
  const chamanToken = randomBytes(16).toString('hex');
  let emulator: RunningEmulator;
  let operator: ChildProcess;
  let operatorExit: Promise<number | null>;
  let output = '';

  const examples = (): K8sObject[] =>
    readdirSync(join(REPO_ROOT, 'examples'))
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .flatMap((f) => parseYamlDocuments(readFileSync(join(REPO_ROOT, 'examples', f), 'utf8')))
      .filter((o) => o.kind !== 'Namespace')
      // The (cluster-scoped) grant, named after the namespace, grants that namespace.
      .map((o) => (o.kind === 'ChamanSenderGrant' ? { ...o, metadata: { name: ns }, spec: { ...o.spec, namespaces: [ns] } } : { ...o, metadata: { ...o.metadata, namespace: ns } }));

  beforeAll(async () => {
    await kubectl(admin, ['create', 'namespace', ns]);
    emulator = await startEmulator({ tokens: { [chamanToken]: '*' } });
    const tokenFile = join(work, 'chaman-token');
    writeFileSync(tokenFile, chamanToken, { mode: 0o600 });
    const sa = await serviceAccountKubeconfig(admin, work, SA);

    operator = spawn(
      process.execPath,
      [
        'src/cli.ts', 'run',
        '--kubeconfig', sa,
        '--chaman-url', emulator.url,
        '--chaman-token-file', tokenFile,
        '--leader-elect', '--leader-election-namespace', NAMESPACE,
        '--metrics-addr', '127.0.0.1:0', '--health-addr', '127.0.0.1:0',
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } },
    );
    operator.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    operator.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    operatorExit = new Promise((resolve) => operator.once('exit', (code) => resolve(code)));

    const secrets = (await exampleSecrets({ namespace: ns })) as K8sObject[];
    await kubectl(admin, ['apply', '-f', '-'], toYaml([...secrets, ...examples()]));
  });

  afterAll(async () => {
    // Let the operator release its finalizers (with the same token) before it stops, so nothing
    // is left stuck in the shared control plane; then stop it, the emulator and the namespace.
    try {
      if (operator && operator.exitCode === null) {
        await kubectl(admin, ['-n', ns, 'delete', 'channelaccounts,chamansenders', '--all', '--wait=true', '--timeout=90s']);
      }
    } finally {
      if (operator && operator.exitCode === null) {
        operator.kill('SIGTERM');
        await Promise.race([operatorExit, new Promise((r) => setTimeout(r, 15_000))]);
        if (operator.exitCode === null) operator.kill('SIGKILL');
      }
      await emulator?.stop();
      await kubectl(admin, ['delete', 'chamansendergrant', ns, '--ignore-not-found']).catch(() => undefined);
      await kubectl(admin, ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
    }
  });

  it('every ChamanSender and ChannelAccount of examples/ becomes Ready', async () => {
    try {
      await kubectl(admin, ['-n', ns, 'wait', '--for=condition=Ready', 'chamansenders', '--all', '--timeout=90s']);
      await kubectl(admin, ['-n', ns, 'wait', '--for=condition=Ready', 'channelaccounts', '--all', '--timeout=90s']);
    } catch (error) {
      const status = await kubectl(admin, ['-n', ns, 'get', 'chamansenders,channelaccounts', '-o', 'yaml']).catch(() => '');
      throw new Error(`${(error as Error).message}\n--- objects ---\n${status}\n--- operator output ---\n${output.slice(-8000)}`);
    }
    const accounts = JSON.parse(await kubectl(admin, ['-n', ns, 'get', 'channelaccounts', '-o', 'json'])) as { items: K8sObject[] };
    expect(accounts.items.map((a) => a.spec.type).sort()).toEqual(['FTP', 'REST', 'SFTP', 'SOAP']);
  });

  it('published the REST client ID in a ConfigMap it owns, and recorded events', async () => {
    const cm = JSON.parse(await kubectl(admin, ['-n', ns, 'get', 'configmap', 'dimona-client', '-o', 'json'])) as K8sObject;
    expect(cm.data.clientId).toMatch(/^self_service_chaman_300010_[a-z0-9]{10}$/);
    expect(cm.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('chaman-operator');
    expect(cm.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ChannelAccount', name: 'dimona-rest', controller: true })]);
    const events = JSON.parse(await kubectl(admin, ['-n', ns, 'get', 'events.events.k8s.io', '-o', 'json'])) as { items: unknown[] };
    expect(events.items.length).toBeGreaterThan(0);
  });

  it('led through its Lease and was never refused by the API server', async () => {
    const lease = JSON.parse(await kubectl(admin, ['-n', NAMESPACE, 'get', 'lease', 'chaman-operator', '-o', 'json'])) as K8sObject;
    expect(lease.spec.holderIdentity).toBeTruthy();
    expect(output).not.toMatch(/forbidden|"status":403|\b403\b.*(kube|Kubernetes)/i);
  });
});

describe('the namespaced install (overlays/namespaced), with its own token', () => {
  // The overlay's Roles and RoleBindings, bound to a ServiceAccount of their own so this check does
  // not depend on (or remove) the cluster-wide grant of the account above.
  let sa: string;
  beforeAll(async () => {
    const rename = (o: K8sObject): K8sObject => {
      const copy = structuredClone(o);
      copy.metadata.name = `${o.metadata.name}-ns`;
      if (copy.roleRef) copy.roleRef.name = `${o.roleRef.name}-ns`;
      if (copy.subjects) copy.subjects = copy.subjects.map((s: { name: string }) => ({ ...s, name: SA_NAMESPACED }));
      return copy;
    };
    const objects = kustomize('manifests/overlays/namespaced');
    const clusterBindings = objects.filter((o) => o.kind === 'ClusterRoleBinding' && (o.subjects ?? []).some((s: { name: string }) => s.name === SA));
    expect(clusterBindings.map((b) => b.roleRef.name)).toEqual(['chaman-operator-grants']); // read grants, nothing else
    const grantRoles = objects.filter((o) => o.kind.startsWith('Cluster') && o.metadata.name === 'chaman-operator-grants');
    const rbac = [...objects.filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding'), ...grantRoles].map(rename);
    const account = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SA_NAMESPACED, namespace: NAMESPACE } } as K8sObject;
    await kubectl(admin, ['apply', '--server-side', '--field-manager=chaman-manifests-test', '-f', '-'], toYaml([account, ...rbac]));
    sa = await serviceAccountKubeconfig(admin, work, SA_NAMESPACED);
  });

  it(`may do what the operator needs in ${WATCHED}, and read grants and namespace labels`, async () => {
    expect(await mismatches(sa, [...needs(WATCHED), ...grantsChecks(false)])).toEqual([]);
  });

  it('may do nothing in other namespaces, nor cluster-wide', async () => {
    const elsewhere = needs(OTHER).map(([args]): [string, boolean] => [args, false]);
    const clusterWide: [string, boolean][] = [
      ['list chamansenders.chaman.io -A', false],
      ['list secrets -A', false],
      ['watch configmaps -A', false],
    ];
    expect(await mismatches(sa, [...elsewhere, ...clusterWide, ...forbidden(WATCHED), ...lease])).toEqual([]);
  });
});

describe('a tenant bound to edit or admin in its namespace (the aggregated chaman-edit), with its own token', () => {
  // The test control plane runs a minimal controller set without the clusterrole-aggregation
  // controller, so the built-in edit and admin ClusterRoles stay empty there. Each role is rebuilt the
  // way that controller builds it: the union of the rules of the ClusterRoles its own aggregationRule
  // selects (read from this API server: Kubernetes' aggregate-to-* roles and this install's).
  const tenantNs = `chaman-rbac-tenant-${randomBytes(3).toString('hex')}`;
  const tenants: Record<string, string> = {};
  const tenantKubeconfig = async (ns: string, serviceAccount: string) =>
    tokenKubeconfig(admin, (await kubectl(admin, ['-n', ns, 'create', 'token', serviceAccount, '--duration=1h'])).trim(), work, `${ns}-${serviceAccount}`);

  async function aggregated(role: string): Promise<K8sObject> {
    const builtIn = JSON.parse(await kubectl(admin, ['get', 'clusterrole', role, '-o', 'json'])) as K8sObject;
    const selectors = (builtIn.aggregationRule?.clusterRoleSelectors ?? []) as { matchLabels: Record<string, string> }[];
    expect(selectors.length, `${role} aggregates`).toBeGreaterThan(0);
    const rules = [];
    for (const { matchLabels } of selectors) {
      const selector = Object.entries(matchLabels).map(([k, v]) => `${k}=${v}`).join(',');
      const roles = JSON.parse(await kubectl(admin, ['get', 'clusterroles', '-l', selector, '-o', 'json'])) as { items: K8sObject[] };
      rules.push(...roles.items.flatMap((r) => r.rules ?? []));
    }
    return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `${tenantNs}-${role}` }, rules };
  }

  beforeAll(async () => {
    await kubectl(admin, ['create', 'namespace', tenantNs]);
    for (const role of ['edit', 'admin']) {
      const clusterRole = await aggregated(role);
      expect(JSON.stringify(clusterRole.rules)).toContain('channelaccounts'); // chaman-edit is among them
      const binding = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: `tenant-${role}`, namespace: tenantNs },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole.metadata.name },
        subjects: [{ kind: 'ServiceAccount', name: `tenant-${role}`, namespace: tenantNs }],
      };
      const account = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `tenant-${role}`, namespace: tenantNs } };
      await kubectl(admin, ['apply', '--server-side', '--field-manager=chaman-manifests-test', '-f', '-'], toYaml([clusterRole, account, binding] as K8sObject[]));
      tenants[role] = await tenantKubeconfig(tenantNs, `tenant-${role}`);
    }
  });

  afterAll(async () => {
    await kubectl(admin, ['delete', 'clusterrole', `${tenantNs}-edit`, `${tenantNs}-admin`, '--ignore-not-found']).catch(() => undefined);
    await kubectl(admin, ['delete', 'chamansendergrant', `${tenantNs}-self-granted`, '--ignore-not-found']).catch(() => undefined);
    await kubectl(admin, ['delete', 'namespace', tenantNs, '--wait=false']).catch(() => undefined);
  });

  it.each(['edit', 'admin'])('%s: may manage ChamanSenders and ChannelAccounts in its namespace, not their status, and no grant', async (role) => {
    const checks: Check[] = [
      ...['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'].flatMap((v): Check[] => [
        [`${v} chamansenders.chaman.io -n ${tenantNs}`, true],
        [`${v} channelaccounts.chaman.io -n ${tenantNs}`, true],
      ]),
      [`patch channelaccounts.chaman.io --subresource=status -n ${tenantNs}`, false],
      [`create channelaccounts.chaman.io -n ${OTHER}`, false],
      ...['create', 'update', 'patch', 'delete', 'deletecollection'].map((v): Check => [`${v} chamansendergrants.chaman.io`, false]),
      ['patch chamansendergrants.chaman.io --subresource=status', false],
    ];
    expect(await mismatches(tenants[role]!, checks)).toEqual([]);
  });

  it('edit: creating a ChannelAccount works; creating a ChamanSenderGrant is refused with 403', async () => {
    const created = await kubectl(tenants.edit!, ['create', '--dry-run=server', '-o', 'name', '-f', '-'], JSON.stringify({ apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', metadata: { name: 'dimona-soap', namespace: tenantNs }, spec: { senderRef: { name: 'apk' }, type: 'SOAP', certificates: [{ name: 'c', secretRef: { name: 's' } }] } }));
    expect(created.trim()).toBe('channelaccount.chaman.io/dimona-soap');
    const grant = { apiVersion: 'chaman.io/v1alpha1', kind: 'ChamanSenderGrant', metadata: { name: `${tenantNs}-self-granted` }, spec: { senderNumbers: ['300010'], namespaces: [tenantNs] } };
    const refused = await kubectl(tenants.edit!, ['create', '-f', '-'], JSON.stringify(grant)).then(() => 'created', (error: Error) => error.message);
    // "Error from server (Forbidden)" is kubectl's rendering of an HTTP 403 Status.
    expect(refused).toMatch(/Error from server \(Forbidden\).*chamansendergrants\.chaman\.io is forbidden: User "system:serviceaccount:[^"]+:tenant-edit" cannot create resource "chamansendergrants"/);
    const exists = await kubectl(admin, ['get', 'chamansendergrant', grant.metadata.name, '--ignore-not-found', '-o', 'name']);
    expect(exists.trim()).toBe('');
  });
});
