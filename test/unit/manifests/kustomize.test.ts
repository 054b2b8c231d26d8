// `kubectl kustomize` builds the base and every overlay, with the objects each one promises.
import { describe, expect, it } from 'vitest';
import { find, KUSTOMIZATIONS, kustomize } from './support.ts';

const ids = (dir: string) => kustomize(dir).map((o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`).sort();

const BASE = [
  'ClusterRole/chaman-edit',
  'ClusterRole/chaman-grant-admin',
  'ClusterRole/chaman-operator',
  'ClusterRole/chaman-view',
  'ClusterRoleBinding/chaman-operator',
  'CustomResourceDefinition/chamansendergrants.chaman.io',
  'CustomResourceDefinition/chamansenders.chaman.io',
  'CustomResourceDefinition/channelaccounts.chaman.io',
  'Deployment/chaman-system/chaman-operator',
  'Namespace/chaman-system',
  'NetworkPolicy/chaman-system/chaman-operator-metrics',
  'PodDisruptionBudget/chaman-system/chaman-operator',
  'Role/chaman-system/chaman-operator-leader-election',
  'RoleBinding/chaman-system/chaman-operator-leader-election',
  'Service/chaman-system/chaman-operator-metrics',
  'ServiceAccount/chaman-system/chaman-operator',
];

describe('kubectl kustomize', () => {
  for (const dir of KUSTOMIZATIONS) {
    it(`builds ${dir}/`, () => {
      expect(kustomize(dir).length).toBeGreaterThan(0);
    });
  }

  it('manifests/ is the base: namespace, CRDs, ServiceAccount, RBAC, Deployment, PDB, metrics Service', () => {
    expect(ids('manifests')).toEqual(BASE);
    expect(ids('manifests/base')).toEqual(BASE);
  });

  it('the CRDs are those of crds/ (group chaman.io, senders and accounts namespaced, grants cluster-scoped, status subresource)', () => {
    for (const [name, scope] of [['chamansenders.chaman.io', 'Namespaced'], ['channelaccounts.chaman.io', 'Namespaced'], ['chamansendergrants.chaman.io', 'Cluster']]) {
      const crd = find(kustomize('manifests'), 'CustomResourceDefinition', name!);
      expect(crd.spec.group).toBe('chaman.io');
      expect(crd.spec.scope).toBe(scope);
      for (const v of crd.spec.versions) expect(v.subresources?.status).toEqual({});
    }
  });

  it('overlays/namespaced replaces the ClusterRole by a Role with the same namespaced rules, reads grants, and watches that namespace', () => {
    const objects = kustomize('manifests/overlays/namespaced');
    const names = ids('manifests/overlays/namespaced');
    expect(names).not.toContain('ClusterRole/chaman-operator');
    expect(names).not.toContain('ClusterRoleBinding/chaman-operator');
    const role = find(objects, 'Role', 'chaman-operator', 'payroll');
    const clusterRole = find(kustomize('manifests'), 'ClusterRole', 'chaman-operator');
    // Cluster-scoped kinds (grants, namespaces) mean nothing in a Role: chaman-operator-grants reads them.
    const clusterScoped = (r: { resources: string[] }) => r.resources.some((res) => res.startsWith('chamansendergrants') || res === 'namespaces');
    expect(role.rules).toEqual(clusterRole.rules.filter((r: { resources: string[] }) => !clusterScoped(r)));
    const grants = find(objects, 'ClusterRole', 'chaman-operator-grants');
    expect(grants.rules).toEqual(clusterRole.rules.filter((r: { resources: string[] }) => clusterScoped(r) && !r.resources.includes('chamansendergrants/status')));
    expect(find(objects, 'ClusterRoleBinding', 'chaman-operator-grants').subjects).toEqual([{ kind: 'ServiceAccount', name: 'chaman-operator', namespace: 'chaman-system' }]);
    const binding = find(objects, 'RoleBinding', 'chaman-operator', 'payroll');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'chaman-operator' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'chaman-operator', namespace: 'chaman-system' }]);
    const env = find(objects, 'Deployment', 'chaman-operator', 'chaman-system').spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'CHAMAN_NAMESPACES', value: 'payroll' });
  });

  it('overlays/monitoring adds a ServiceMonitor, a PrometheusRule and the dashboard ConfigMap', () => {
    expect(ids('manifests/overlays/monitoring')).toEqual(
      [...BASE, 'ServiceMonitor/chaman-system/chaman-operator', 'PrometheusRule/chaman-system/chaman-operator', 'ConfigMap/chaman-system/chaman-operator-grafana-dashboard'].sort(),
    );
  });

  it('overlays/emulator adds the emulator, trusts its CA, and uses the same image', () => {
    const objects = kustomize('manifests/overlays/emulator');
    const operator = find(objects, 'Deployment', 'chaman-operator', 'chaman-system').spec.template.spec.containers[0];
    const emulator = find(objects, 'Deployment', 'chaman-emulator', 'chaman-system').spec.template.spec.containers[0];
    expect(operator.env).toContainEqual({ name: 'CHAMAN_CA', value: '/var/run/secrets/chaman/ca.crt' });
    expect(emulator.image).toBe(operator.image);
    expect(emulator.args.slice(0, 1)).toEqual(['emulator']);
    // The token comes from a file, never from argv (visible in the process list).
    expect(emulator.args).toContain('--token-file=/etc/chaman-emulator/tokens');
    expect(emulator.args.some((a: string) => a.startsWith('--token='))).toBe(false);
    expect(find(objects, 'Service', 'chaman-emulator', 'chaman-system').spec.ports[0].port).toBe(8443);
  });
});
