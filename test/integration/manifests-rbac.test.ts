// The operator's RBAC on a real API server (RBAC authorizer on), asked with the ServiceAccount's
// OWN token — not the admin's, not impersonation: `kubectl create token`, a kubeconfig with only
// that token, then `kubectl auth can-i` for what the operator needs (yes) and for the rest (no).
// The unit tests (test/unit/manifests/rbac.test.ts) check the same rules as data; helm-install.test.ts
// asks the same questions (support/rbac-checks.ts) of what the Helm chart installs.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kustomize, type K8sObject } from '../unit/manifests/support.ts';
import { kubeconfigPath } from './support/cluster.ts';
import {
  forbidden as forbiddenAnywhere,
  kubectl,
  leaseChecks,
  mismatches,
  needs,
  serviceAccountKubeconfig as tokenOf,
  startOperatorWithToken,
  toYaml,
  type Check,
  type OperatorWithToken,
} from './support/rbac-checks.ts';

const NAMESPACE = 'chaman-system';
const WATCHED = 'payroll'; // the namespace overlays/namespaced grants
const OTHER = 'chaman-rbac-elsewhere'; // a namespace no Role grants
const SA = 'chaman-operator';
const SA_NAMESPACED = 'chaman-operator-ns'; // the namespaced overlay's Roles, bound to their own account

const serviceAccountKubeconfig = (admin: string, dir: string, serviceAccount: string) => tokenOf(admin, dir, NAMESPACE, serviceAccount);
const forbidden = (ns: string): Check[] => forbiddenAnywhere(ns, NAMESPACE);
const lease = leaseChecks(NAMESPACE);

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
    const all: Check[] = [
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
  // The operator run as in the Deployment, authenticated by the ServiceAccount's token (support/rbac-checks.ts).
  let operator: OperatorWithToken;

  beforeAll(async () => {
    // Watching the examples' namespace only: on the shared control plane, an operator watching every
    // namespace would reconcile other tests' objects against this test's emulator. The cluster-wide
    // list and watch are checked with can-i above.
    operator = await startOperatorWithToken({ admin, work, kubeconfig: await serviceAccountKubeconfig(admin, work, SA), leaseNamespace: NAMESPACE, onlyExamplesNamespace: true });
  });

  afterAll(async () => {
    await operator?.stop();
  });

  it('every ChamanSender and ChannelAccount of examples/ becomes Ready', async () => {
    await operator.waitReady();
  });

  it('published the REST client ID in a ConfigMap it owns, and recorded events', async () => {
    const ns = operator.namespace;
    const cm = JSON.parse(await kubectl(admin, ['-n', ns, 'get', 'configmap', 'dimona-client', '-o', 'json'])) as K8sObject;
    expect(cm.data.clientId).toMatch(/^self_service_chaman_300010_[a-z0-9]{10}$/);
    expect(cm.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('chaman-operator');
    expect(cm.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ChannelAccount', name: 'dimona-rest', controller: true })]);
    const events = JSON.parse(await kubectl(admin, ['-n', ns, 'get', 'events.events.k8s.io', '-o', 'json'])) as { items: unknown[] };
    expect(events.items.length).toBeGreaterThan(0);
  });

  it('led through its Lease and was never refused by the API server', async () => {
    await operator.expectLeadingUnrefused();
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
    const elsewhere = needs(OTHER).map(([args]): Check => [args, false]);
    const clusterWide: Check[] = [
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
  const tenantKubeconfig = (ns: string, serviceAccount: string) => tokenOf(admin, work, ns, serviceAccount);

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
