// The Helm chart charts/chaman-operator, with the real helm: it is generated from manifests/
// (scripts/lib/helm-chart.ts, `npm run generate`), and `helm template` with the matching values
// gives exactly the objects `kubectl kustomize` builds of manifests/ and its overlays.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderChartFromManifests } from '../../../scripts/lib/helm-chart.ts';
import { ensureGoTool } from '../../../scripts/lib/gotool.ts';
import { CHART_PATH, helm, HELM_BUILD_TIMEOUT_MS, setValues, type HelmValues } from '../../support/helm.ts';
import { find, kustomize, parseYamlDocuments, REPO_ROOT, type K8sObject } from './support.ts';

const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const sorted = (objects: K8sObject[]) => [...objects].sort((a, b) => key(a).localeCompare(key(b)));

/** `helm template` of the chart into chaman-system (as manifests/ installs), CRDs included. */
async function template(values: HelmValues = {}): Promise<K8sObject[]> {
  const out = await helm(['template', 'chaman-operator', CHART_PATH, '--namespace', 'chaman-system', '--include-crds', ...setValues(values)]);
  return sorted(parseYamlDocuments(out));
}

/** kustomize's objects less the Namespace: Helm installs into an existing one (or --create-namespace). */
const kustomized = (dir: string) => sorted(kustomize(dir).filter((o) => o.kind !== 'Namespace'));

beforeAll(async () => {
  await ensureGoTool('helm');
}, HELM_BUILD_TIMEOUT_MS);

describe('charts/chaman-operator is generated from manifests/', () => {
  it('the committed chart is what `npm run generate` renders from manifests/ now', () => {
    const stale = Object.entries(renderChartFromManifests()).flatMap(([path, content]) => {
      let committed: string | undefined;
      try {
        committed = readFileSync(join(REPO_ROOT, path), 'utf8');
      } catch {
        committed = undefined;
      }
      return committed === content ? [] : [path];
    });
    expect(stale, 'charts/chaman-operator is stale: run `npm run generate` and commit the chart with your manifests/ change').toEqual([]);
  });

  it('helm template with default values = kubectl kustomize manifests/', async () => {
    expect(await template()).toEqual(kustomized('manifests'));
  });

  it('helm template --set watchNamespaces={payroll} = kubectl kustomize manifests/overlays/namespaced', async () => {
    expect(await template({ watchNamespaces: ['payroll'] })).toEqual(kustomized('manifests/overlays/namespaced'));
  });

  it('helm template --set monitoring.enabled=true = kubectl kustomize manifests/overlays/monitoring', async () => {
    expect(await template({ 'monitoring.enabled': true })).toEqual(kustomized('manifests/overlays/monitoring'));
  });
});

describe('helm lint', () => {
  for (const [name, values] of [
    ['default values', {}],
    ['namespaced mode', { watchNamespaces: ['payroll', 'billing'] }],
    ['monitoring on', { 'monitoring.enabled': true }],
    ['sharding on', { 'sharding.enabled': true, 'sharding.shardCount': 3 }],
  ] as [string, HelmValues][]) {
    it(`passes with ${name}, strict`, async () => {
      const out = await helm(['lint', '--strict', CHART_PATH, ...setValues(values)]);
      expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }
});

describe('chart settings', () => {
  it('image, replicas, resources, flags and the credentials Secret', async () => {
    const objects = await template({
      'image.repository': 'registry.example/chaman-operator',
      'image.tag': '1.2.3',
      replicas: 3,
      'resources.limits.memory': '1Gi',
      'extraArgs[0]': '--concurrency=8',
      'extraEnv[0].name': 'CHAMAN_LOG_LEVEL_OVERRIDE',
      'extraEnv[0].value': 'debug',
      credentialsSecret: 'my-chaman',
    });
    const deployment = find(objects, 'Deployment', 'chaman-operator', 'chaman-system');
    const container = deployment.spec.template.spec.containers[0];
    expect(deployment.spec.replicas).toBe(3);
    expect(container.image).toBe('registry.example/chaman-operator:1.2.3');
    expect(container.resources.limits).toEqual({ cpu: '1', memory: '1Gi' });
    expect(container.args).toEqual(['run', '--leader-elect', '--concurrency=8']);
    expect(container.env).toContainEqual({ name: 'CHAMAN_LOG_LEVEL_OVERRIDE', value: 'debug' });
    expect(container.env).toContainEqual({ name: 'CHAMAN_URL', valueFrom: { secretKeyRef: { name: 'my-chaman', key: 'url' } } });
    expect(deployment.spec.template.spec.volumes).toContainEqual(expect.objectContaining({ secret: expect.objectContaining({ secretName: 'my-chaman' }) }));
  });

  it('sharding: a StatefulSet of shardCount pods (the operator takes its shard from the pod ordinal), one Lease per shard', async () => {
    const objects = await template({ 'sharding.enabled': true, 'sharding.shardCount': 3 });
    expect(objects.filter((o) => o.kind === 'Deployment')).toEqual([]);
    const set = find(objects, 'StatefulSet', 'chaman-operator', 'chaman-system');
    expect(set.spec.replicas).toBe(3);
    expect(set.spec.serviceName).toBe('chaman-operator-metrics');
    expect(set.spec.strategy).toBeUndefined();
    const container = set.spec.template.spec.containers[0];
    expect(container.args).toEqual(['run', '--leader-elect', '--shard-count=3']);
    expect(container.env).toContainEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    const lease = find(objects, 'Role', 'chaman-operator-leader-election', 'chaman-system').rules.find((r: { resourceNames?: string[] }) => r.resourceNames);
    expect(lease.resourceNames).toEqual(['chaman-operator', ...Array.from({ length: 16 }, (_, i) => `chaman-operator-shard-${i}`)]);
  });

  it('fullnameOverride renames every object and every reference to it, so two releases do not collide', async () => {
    const objects = (await template({ fullnameOverride: 'chaman-b' })).filter((o) => o.kind !== 'CustomResourceDefinition');
    expect(objects.map((o) => o.metadata.name).filter((n) => !n.startsWith('chaman-b'))).toEqual([]);
    expect(objects.length).toBeGreaterThan(5);
    for (const binding of objects.filter((o) => o.kind.endsWith('Binding'))) {
      expect(objects.some((o) => o.kind === binding.roleRef.kind && o.metadata.name === binding.roleRef.name), `${key(binding)} roleRef`).toBe(true);
      for (const s of binding.subjects) expect(find(objects, 'ServiceAccount', s.name, s.namespace)).toBeTruthy();
    }
    expect(find(objects, 'Deployment', 'chaman-b', 'chaman-system').spec.template.spec.serviceAccountName).toBe('chaman-b');
  });

  it('monitoring.labels reach the ServiceMonitor and the PrometheusRule; alert templates stay text', async () => {
    const objects = await template({ 'monitoring.enabled': true, 'monitoring.labels.release': 'kube-prometheus-stack' });
    for (const kind of ['ServiceMonitor', 'PrometheusRule']) {
      expect(find(objects, kind, 'chaman-operator', 'chaman-system').metadata.labels?.release).toBe('kube-prometheus-stack');
    }
    const rule = find(objects, 'PrometheusRule', 'chaman-operator', 'chaman-system');
    expect(JSON.stringify(rule)).toContain('{{ $labels.certificate }}');
  });
});
