// Least privilege, read from the built manifests: what the operator's ServiceAccount is granted.
// test/integration/manifests-rbac.test.ts asks a real API server the same questions (auth can-i).
import { describe, expect, it } from 'vitest';
import { KUSTOMIZATIONS, kustomize, type K8sObject } from './support.ts';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

const SA = { kind: 'ServiceAccount', name: 'chaman-operator', namespace: 'chaman-system' };
const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

/** Roles and ClusterRoles bound to the operator's ServiceAccount, with where they apply. */
function operatorGrants(objects: K8sObject[]): { role: K8sObject; scope: string }[] {
  const bindings = objects.filter(
    (o) => (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') && (o.subjects ?? []).some((s: typeof SA) => s.kind === SA.kind && s.name === SA.name && s.namespace === SA.namespace),
  );
  return bindings.map((b) => {
    const role = objects.find((o) => o.kind === b.roleRef.kind && o.metadata.name === b.roleRef.name && (o.kind === 'ClusterRole' || o.metadata.namespace === b.metadata.namespace));
    if (!role) throw new Error(`${b.kind} ${b.metadata.name} refers to a missing ${b.roleRef.kind} ${b.roleRef.name}`);
    return { role, scope: b.kind === 'ClusterRoleBinding' ? 'cluster' : b.metadata.namespace! };
  });
}

/** The grants flattened to "scope group/resource[/name] verb" lines, for an exact comparison. */
function flatten(grants: { role: K8sObject; scope: string }[]): string[] {
  const lines = grants.flatMap(({ role, scope }) =>
    (role.rules as Rule[]).flatMap((r) =>
      (r.apiGroups ?? []).flatMap((g) =>
        (r.resources ?? []).flatMap((res) =>
          (r.resourceNames ?? ['*any*']).flatMap((n) => r.verbs.map((v) => `${scope} ${g || 'core'}/${res}${n === '*any*' ? '' : `/${n}`} ${v}`)),
        ),
      ),
    ),
  );
  return [...new Set(lines)].sort();
}

const OWN_KINDS = (scope: string) => [
  ...['chamansenders', 'channelaccounts'].flatMap((r) => ['get', 'list', 'watch', 'patch', 'update'].map((v) => `${scope} chaman.io/${r} ${v}`)),
  ...['chamansenders/status', 'channelaccounts/status'].flatMap((r) => ['get', 'patch', 'update'].map((v) => `${scope} chaman.io/${r} ${v}`)),
  `${scope} chaman.io/chamansenders/finalizers update`,
  `${scope} chaman.io/channelaccounts/finalizers update`,
  ...['get', 'list', 'watch'].map((v) => `${scope} core/secrets ${v}`),
  ...['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'].map((v) => `${scope} core/configmaps ${v}`),
  `${scope} core/events create`,
  `${scope} core/events patch`,
  `${scope} events.k8s.io/events create`,
  `${scope} events.k8s.io/events patch`,
];
// Tenancy: read the grants (cluster-scoped), write their status only when watching every namespace,
// and list namespace labels for spec.namespaceSelector.
const GRANTS_READ = [
  ...['get', 'list', 'watch'].map((v) => `cluster chaman.io/chamansendergrants ${v}`),
  'cluster core/namespaces list',
  'cluster core/namespaces watch',
];
const GRANTS_STATUS = ['get', 'patch', 'update'].map((v) => `cluster chaman.io/chamansendergrants/status ${v}`);
const LEASE = [
  'chaman-system coordination.k8s.io/leases create',
  ...['chaman-operator', ...Array.from({ length: 16 }, (_, i) => `chaman-operator-shard-${i}`)].flatMap((name) =>
    ['get', 'update'].map((verb) => `chaman-system coordination.k8s.io/leases/${name} ${verb}`),
  ),
];

describe('RBAC of the operator', () => {
  it('cluster-wide install: exactly what it needs, leases only in its namespace', () => {
    expect(flatten(operatorGrants(kustomize('manifests')))).toEqual([...OWN_KINDS('cluster'), ...GRANTS_READ, ...GRANTS_STATUS, ...LEASE].sort());
  });

  it('namespaced install: the same by Roles, and a ClusterRole that only reads grants and namespaces', () => {
    const grants = operatorGrants(kustomize('manifests/overlays/namespaced'));
    expect(grants.map((g) => `${g.role.kind}/${g.role.metadata.name}`).sort()).toEqual(['ClusterRole/chaman-operator-grants', 'Role/chaman-operator', 'Role/chaman-operator-leader-election']);
    expect(flatten(grants)).toEqual([...OWN_KINDS('payroll'), ...GRANTS_READ, ...LEASE].sort());
  });

  for (const dir of KUSTOMIZATIONS) {
    describe(dir, () => {
      const objects = kustomize(dir);
      const roles = objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');

      it('no wildcard verb, resource or group; no escalate, bind, impersonate or non-resource URL', () => {
        for (const role of roles) {
          for (const r of role.rules as Rule[]) {
            const where = `${role.kind} ${role.metadata.name}`;
            expect(r.verbs, where).not.toContain('*');
            expect(r.resources ?? [], where).not.toContain('*');
            expect(r.apiGroups ?? [], where).not.toContain('*');
            expect(r.nonResourceURLs, where).toBeUndefined();
            for (const v of ['escalate', 'bind', 'impersonate']) expect(r.verbs, where).not.toContain(v);
            expect(role.aggregationRule, where).toBeUndefined();
          }
        }
      });

      it('no role writes Secrets', () => {
        for (const role of roles) {
          for (const r of role.rules as Rule[]) {
            if ((r.apiGroups ?? []).includes('') && (r.resources ?? []).includes('secrets')) {
              expect(r.verbs.filter((v) => WRITE_VERBS.includes(v)), `${role.kind} ${role.metadata.name}`).toEqual([]);
            }
          }
        }
      });

      it('Leases appear only in a Role, in chaman-system', () => {
        for (const role of roles) {
          const leases = (role.rules as Rule[]).some((r) => (r.resources ?? []).includes('leases'));
          if (leases) expect([role.kind, role.metadata.namespace]).toEqual(['Role', 'chaman-system']);
        }
      });
    });
  }

  it('people get edit/view on senders and accounts through aggregation; status stays the operator\'s', () => {
    const objects = kustomize('manifests');
    const edit = objects.find((o) => o.metadata.name === 'chaman-edit')!;
    const view = objects.find((o) => o.metadata.name === 'chaman-view')!;
    expect(edit.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-edit']).toBe('true');
    expect(edit.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-admin']).toBe('true');
    expect(view.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view']).toBe('true');
    expect((edit.rules as Rule[]).flatMap((r) => r.resources)).toEqual(['chamansenders', 'channelaccounts']);
    expect((view.rules as Rule[]).flatMap((r) => r.verbs)).toEqual(['get', 'list', 'watch']);
  });

  it('grants are admin-only: no aggregated role carries them, and chaman-grant-admin aggregates nowhere', () => {
    for (const dir of KUSTOMIZATIONS) {
      for (const role of kustomize(dir).filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')) {
        const aggregated = Object.keys(role.metadata.labels ?? {}).some((l) => l.startsWith('rbac.authorization.k8s.io/aggregate-to-'));
        const grants = (role.rules as Rule[]).filter((r) => (r.resources ?? []).some((res) => res.startsWith('chamansendergrants')));
        if (aggregated) expect(grants, `${dir}: ${role.metadata.name}`).toEqual([]);
        const writes = grants.filter((r) => r.resources!.includes('chamansendergrants')).flatMap((r) => r.verbs.filter((v) => WRITE_VERBS.includes(v)));
        if (role.metadata.name !== 'chaman-grant-admin') expect(writes, `${dir}: ${role.metadata.name} may not write grants`).toEqual([]);
      }
    }
    const admin = kustomize('manifests').find((o) => o.metadata.name === 'chaman-grant-admin')!;
    expect(admin.kind).toBe('ClusterRole');
    expect(flatten([{ role: admin, scope: 'cluster' }]).filter((l) => l.includes('chamansendergrants ')).map((l) => l.split(' ')[2])).toEqual(
      ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    );
  });
});
