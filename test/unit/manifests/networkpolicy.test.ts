// /metrics shows every tenant's namespaces, sender numbers and serials (issue 16 item 9): the
// NetworkPolicy of the base admits only the monitoring namespace to the metrics port, selects the
// operator's pods by the labels their template carries, and names ports the container has.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGoTool } from '../../../scripts/lib/gotool.ts';
import { CHART_PATH, helm, HELM_BUILD_TIMEOUT_MS, setValues, type HelmValues } from '../../support/helm.ts';
import { find, kustomize, parseYamlDocuments, type K8sObject } from './support.ts';

interface Ingress {
  from?: { namespaceSelector?: { matchLabels?: Record<string, string> }; podSelector?: unknown; ipBlock?: unknown }[];
  ports?: { port: string; protocol: string }[];
}

const policyOf = (objects: K8sObject[]) => find(objects, 'NetworkPolicy', 'chaman-operator-metrics', 'chaman-system');
const template = async (values: HelmValues) =>
  parseYamlDocuments(await helm(['template', 'chaman-operator', CHART_PATH, '--namespace', 'chaman-system', ...setValues(values)]));

describe('NetworkPolicy of /metrics (kustomize base)', () => {
  const objects = kustomize('manifests');
  const policy = policyOf(objects);
  const pod = find(objects, 'Deployment', 'chaman-operator', 'chaman-system').spec.template;

  it('selects the operator pods and limits their ingress only', () => {
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    for (const [k, v] of Object.entries(policy.spec.podSelector.matchLabels)) expect(pod.metadata.labels[k]).toBe(v);
  });

  it('admits the metrics port from the monitoring namespace only, and the health port (probes) from anywhere', () => {
    const ingress = policy.spec.ingress as Ingress[];
    const ports = pod.spec.containers[0].ports.map((p: { name: string }) => p.name).sort();
    expect(ingress.flatMap((r) => r.ports?.map((p) => p.port) ?? []).sort()).toEqual(ports);
    const metrics = ingress.find((r) => r.ports?.some((p) => p.port === 'metrics'))!;
    expect(metrics.ports).toHaveLength(1);
    expect(metrics.from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
    const health = ingress.find((r) => r.ports?.some((p) => p.port === 'health'))!;
    expect(health.ports).toEqual([{ port: 'health', protocol: 'TCP' }]);
  });
});

describe('NetworkPolicy of /metrics (chart values)', () => {
  beforeAll(async () => {
    await ensureGoTool('helm');
  }, HELM_BUILD_TIMEOUT_MS);

  it('metricsNetworkPolicy.monitoringNamespace names the namespace that may scrape', async () => {
    const policy = policyOf(await template({ 'metricsNetworkPolicy.monitoringNamespace': 'prometheus' }));
    expect((policy.spec.ingress as Ingress[])[0]!.from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'prometheus' } } }]);
  });

  it('metricsNetworkPolicy.enabled=false leaves it out', async () => {
    expect((await template({ 'metricsNetworkPolicy.enabled': false })).filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
  });
});
