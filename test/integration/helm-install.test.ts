// The Helm chart installed by the real helm (helm.sh/helm/v3) on the real control plane, then the
// SA-token RBAC checks of manifests-rbac.test.ts (support/rbac-checks.ts) against what it installed:
// `kubectl auth can-i` with the release's own ServiceAccount token, and the operator run with that
// token until examples/ are Ready. There is no kubelet, so the operator's pod never runs: the
// operator runs out of the cluster as the Deployment would run it.
//
// Each release has its own namespace and fullnameOverride, so its cluster-scoped objects (ClusterRoles,
// ClusterRoleBinding) do not collide with the kustomize install of manifests-rbac.test.ts. The
// control plane already has the CRDs: helm leaves existing CRDs alone, and creates any that are missing.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureGoTool } from '../../scripts/lib/gotool.ts';
import { CHART_PATH, helm, HELM_BUILD_TIMEOUT_MS, setValues, type HelmValues } from '../support/helm.ts';
import { kustomize, parseYamlDocuments, type K8sObject } from '../unit/manifests/support.ts';
import { kubeconfigPath } from './support/cluster.ts';
import { forbidden, kubectl, leaseChecks, mismatches, needs, serviceAccountKubeconfig, startOperatorWithToken, type Check, type OperatorWithToken } from './support/rbac-checks.ts';

const suffix = randomBytes(3).toString('hex');
const RELEASE = `chaman-helm-${suffix}`; // cluster-wide mode; also its namespace and fullnameOverride
const NAMESPACED_RELEASE = `chaman-helm-ns-${suffix}`; // namespaced mode, in the same namespace
const WATCHED = `chaman-helm-watched-${suffix}`;
const OTHER = `chaman-helm-other-${suffix}`;

let admin: string;
let work: string;

const install = (release: string, values: HelmValues, extra: string[] = []) =>
  helm(['install', release, CHART_PATH, '--kubeconfig', admin, '--namespace', RELEASE, ...setValues({ fullnameOverride: release, ...values }), ...extra]);

beforeAll(async () => {
  await ensureGoTool('helm');
  admin = kubeconfigPath();
  work = mkdtempSync(join(tmpdir(), 'chaman-helm-install-'));
  for (const ns of [WATCHED, OTHER]) await kubectl(admin, ['create', 'namespace', ns]);
  await install(RELEASE, {}, ['--create-namespace']);
  await install(NAMESPACED_RELEASE, { watchNamespaces: [WATCHED] }, ['--skip-crds']);
}, HELM_BUILD_TIMEOUT_MS);

afterAll(async () => {
  for (const release of [NAMESPACED_RELEASE, RELEASE]) {
    await helm(['uninstall', release, '--kubeconfig', admin, '--namespace', RELEASE]).catch(() => undefined);
  }
  for (const ns of [RELEASE, WATCHED, OTHER]) await kubectl(admin, ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('helm install on the control plane', () => {
  it('deployed the release, and every object of its manifest exists in the cluster', async () => {
    const status = JSON.parse(await helm(['status', RELEASE, '--kubeconfig', admin, '--namespace', RELEASE, '-o', 'json'])) as { info: { status: string } };
    expect(status.info.status).toBe('deployed');
    const manifest = parseYamlDocuments(await helm(['get', 'manifest', RELEASE, '--kubeconfig', admin, '--namespace', RELEASE]));
    // What kubectl kustomize manifests/ installs, less the Namespace and the CRDs (the chart's crds/ folder).
    const expected = kustomize('manifests').filter((o) => o.kind !== 'Namespace' && o.kind !== 'CustomResourceDefinition');
    expect(manifest.map((o) => o.kind).sort()).toEqual(expected.map((o) => o.kind).sort());
    for (const o of manifest) {
      const live = JSON.parse(await kubectl(admin, ['get', `${o.kind}/${o.metadata.name}`, ...(o.metadata.namespace ? ['-n', o.metadata.namespace] : []), '-o', 'json'])) as K8sObject;
      expect(live.metadata.annotations?.['meta.helm.sh/release-name'], `${o.kind}/${o.metadata.name}`).toBe(RELEASE);
    }
  });

  it('the CRDs are established', async () => {
    await kubectl(admin, ['wait', '--for=condition=Established', '--timeout=60s', 'crd/chamansenders.chaman.io', 'crd/channelaccounts.chaman.io']);
  });

  it('the Deployment passed the API server\'s validation with the chart\'s image and ServiceAccount', async () => {
    const deployment = JSON.parse(await kubectl(admin, ['-n', RELEASE, 'get', 'deployment', RELEASE, '-o', 'json'])) as K8sObject;
    expect(deployment.spec.template.spec.serviceAccountName).toBe(RELEASE);
    expect(deployment.spec.template.spec.containers[0].image).toMatch(/^chaman-operator:\d+\.\d+\.\d+/);
  });
});

describe('the sharded variant', () => {
  it('its StatefulSet passes the API server\'s validation (server-side dry run)', async () => {
    const rendered = parseYamlDocuments(
      await helm(['template', RELEASE, CHART_PATH, '--namespace', RELEASE, ...setValues({ fullnameOverride: `${RELEASE}-sharded`, 'sharding.enabled': true, 'sharding.shardCount': 3 })]),
    );
    const statefulSet = rendered.filter((o) => o.kind === 'StatefulSet');
    expect(statefulSet).toHaveLength(1);
    const out = await kubectl(admin, ['apply', '--server-side', '--dry-run=server', '--field-manager=chaman-helm-test', '-f', '-'], JSON.stringify(statefulSet[0]));
    expect(out).toMatch(/statefulset\.apps\/\S+ serverside-applied \(server dry run\)/);
  });
});

describe('the cluster-wide release\'s ServiceAccount, with its own token', () => {
  let sa: string;
  beforeAll(async () => {
    sa = await serviceAccountKubeconfig(admin, work, RELEASE, RELEASE);
  });

  it('may do what the operator needs, in any namespace', async () => {
    const all: Check[] = [...needs(WATCHED), ...needs(OTHER), ['list chamansenders.chaman.io -A', true], ['watch channelaccounts.chaman.io -A', true], ['list secrets -A', true]];
    expect(await mismatches(sa, all)).toEqual([]);
  });

  it('may not write Secrets, touch namespaces or read anything else; holds a Lease in its own namespace only', async () => {
    expect(await mismatches(sa, [...forbidden(OTHER, RELEASE), ...forbidden(RELEASE, RELEASE), ...forbidden('kube-system', RELEASE), ...leaseChecks(RELEASE)])).toEqual([]);
  });
});

describe('the operator with the release\'s ServiceAccount token: examples reach Ready', () => {
  let operator: OperatorWithToken;

  beforeAll(async () => {
    const sa = await serviceAccountKubeconfig(admin, work, RELEASE, RELEASE);
    operator = await startOperatorWithToken({ admin, work, kubeconfig: sa, leaseNamespace: RELEASE, onlyExamplesNamespace: true });
  });

  afterAll(async () => {
    await operator?.stop();
  });

  it('every ChamanSender and ChannelAccount of examples/ becomes Ready, through its Lease, never refused', async () => {
    await operator.waitReady();
    await operator.expectLeadingUnrefused();
  });
});

describe('the namespaced release (watchNamespaces), with its own token', () => {
  let sa: string;
  beforeAll(async () => {
    sa = await serviceAccountKubeconfig(admin, work, RELEASE, NAMESPACED_RELEASE);
  });

  it(`may do what the operator needs in the watched namespace`, async () => {
    expect(await mismatches(sa, needs(WATCHED))).toEqual([]);
  });

  it('may do nothing in other namespaces, nor cluster-wide', async () => {
    const elsewhere = needs(OTHER).map(([args]): Check => [args, false]);
    const clusterWide: Check[] = [['list chamansenders.chaman.io -A', false], ['list secrets -A', false], ['watch configmaps -A', false]];
    expect(await mismatches(sa, [...elsewhere, ...clusterWide, ...forbidden(WATCHED, RELEASE), ...leaseChecks(RELEASE)])).toEqual([]);
  });

  it('tells the operator which namespace to watch', async () => {
    const deployment = JSON.parse(await kubectl(admin, ['-n', RELEASE, 'get', 'deployment', NAMESPACED_RELEASE, '-o', 'json'])) as K8sObject;
    expect(deployment.spec.template.spec.containers[0].env).toContainEqual({ name: 'CHAMAN_NAMESPACES', value: WATCHED });
  });
});
