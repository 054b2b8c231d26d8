// The PrometheusRule and the Grafana dashboard read only metrics (and labels) the operator exports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOperatorMetrics, METRIC_NAMES } from '../../../src/observability/metrics.ts';
import { selectors, type Selector } from './promql.ts';
import { find, kustomize, REPO_ROOT } from './support.ts';

interface ExportedMetric {
  type: 'counter' | 'gauge' | 'histogram';
  labels: readonly string[];
}

/** What the operator's registry exports, read from the registry itself. */
function exportedMetrics(): Map<string, ExportedMetric> {
  const metrics = createOperatorMetrics();
  const out = new Map<string, ExportedMetric>();
  for (const value of Object.values(metrics)) {
    if (value && typeof value === 'object' && 'name' in value && 'labelNames' in value && 'type' in value) {
      const m = value as { name: string; type: ExportedMetric['type']; labelNames: readonly string[] };
      out.set(m.name, { type: m.type, labels: m.labelNames });
    }
  }
  return out;
}

const EXPORTED = exportedMetrics();
/** Labels Prometheus adds to every scraped series (Prometheus Operator ServiceMonitor target labels). */
const TARGET_LABELS = ['job', 'instance', 'pod', 'service', 'endpoint', 'container'];

/** Problems with one selector: an unknown metric, or a matcher on a label the metric does not have. */
function checkSelector(sel: Selector): string[] {
  let metric = EXPORTED.get(sel.metric);
  let extra: string[] = [];
  const series = /^(.*)_(bucket|sum|count)$/.exec(sel.metric);
  if (!metric && series && EXPORTED.get(series[1]!)?.type === 'histogram') {
    metric = EXPORTED.get(series[1]!);
    if (series[2] === 'bucket') extra = ['le'];
  }
  if (!metric) return [`${sel.metric} is not exported`];
  const allowed = new Set([...metric.labels, ...extra, ...TARGET_LABELS]);
  return sel.labels.filter((l) => !allowed.has(l)).map((l) => `${sel.metric} has no label ${l}`);
}

function problems(expr: string): string[] {
  const found = selectors(expr);
  if (found.length === 0) return [`no metric in ${expr}`];
  return found.flatMap(checkSelector);
}

describe('exported metric names', () => {
  it('METRIC_NAMES lists exactly what the registry exports', () => {
    expect([...EXPORTED.keys()].sort()).toEqual([...METRIC_NAMES].sort());
  });
});

describe('PrometheusRule', () => {
  const objects = kustomize('manifests/overlays/monitoring');
  const rule = find(objects, 'PrometheusRule', 'chaman-operator', 'chaman-system');
  const rules = (rule.spec.groups as { name: string; rules: { alert?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[])
    .flatMap((g) => g.rules);

  it('has the alerts the issue asks for, and a few more', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'ChamanApiAccessDenied',
      'ChamanApiErrors',
      'ChamanCertificateExpired',
      'ChamanCertificateExpiringIn30Days',
      'ChamanCertificateExpiringIn7Days',
      'ChamanChannelAccountNotReady',
      'ChamanOperatorNoLeader',
      'ChamanResourceNotSynced',
      'ChamanSenderNotReady',
    ]);
  });

  for (const r of rules) {
    it(`${r.alert}: reads only exported metrics and labels`, () => {
      expect(problems(r.expr)).toEqual([]);
    });
    it(`${r.alert}: has a severity, a summary and a description`, () => {
      expect(['warning', 'critical']).toContain(r.labels?.severity);
      expect(r.annotations?.summary).toBeTruthy();
      expect(r.annotations?.description).toBeTruthy();
    });
  }

  it('alerts at 30 days (warning) and 7 days (critical) before expiry, and on expiry', () => {
    const byName = new Map(rules.map((r) => [r.alert, r]));
    const in30 = byName.get('ChamanCertificateExpiringIn30Days')!;
    const in7 = byName.get('ChamanCertificateExpiringIn7Days')!;
    const expired = byName.get('ChamanCertificateExpired')!;
    expect(in30.expr).toMatch(/< 30 \* 86400/);
    expect(in30.expr).toMatch(/>= 7 \* 86400/);
    expect(in30.labels?.severity).toBe('warning');
    expect(in7.expr).toMatch(/< 7 \* 86400/);
    expect(in7.labels?.severity).toBe('critical');
    expect(expired.expr).toMatch(/chaman_certificate_expiration_timestamp_seconds\)\s*<= time\(\)/);
  });

  it('waits 15 minutes before an account counts as not Ready', () => {
    const notReady = rules.find((r) => r.alert === 'ChamanChannelAccountNotReady')!;
    expect(notReady.for).toBe('15m');
    expect(notReady.expr).toMatch(/chaman_resource_ready\{kind="ChannelAccount"\}/);
  });

  it('counts 5xx and network errors of Chaman calls', () => {
    const errors = rules.find((r) => r.alert === 'ChamanApiErrors')!;
    expect(errors.expr).toContain('code=~"5..|error"');
  });
});

describe('ServiceMonitor', () => {
  const objects = kustomize('manifests/overlays/monitoring');
  it('scrapes the metrics Service by label and port name, keeping the operator\'s namespace label', () => {
    const monitor = find(objects, 'ServiceMonitor', 'chaman-operator', 'chaman-system');
    const service = find(objects, 'Service', 'chaman-operator-metrics', 'chaman-system');
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    const [endpoint] = monitor.spec.endpoints;
    expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain(endpoint.port);
    expect(endpoint.path).toBe('/metrics');
    expect(endpoint.honorLabels).toBe(true);
  });
});

interface Target {
  expr?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
  gridPos?: { h: number; w: number; x: number; y: number };
}

describe('Grafana dashboard', () => {
  const text = readFileSync(join(REPO_ROOT, 'manifests/monitoring/grafana-dashboard.json'), 'utf8');
  const dashboard = JSON.parse(text) as { uid: string; title: string; panels: Panel[]; templating: { list: { name: string; type: string; query?: unknown; datasource?: Target['datasource'] }[] } };
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
  const datasourceVariable = dashboard.templating.list.find((v) => v.type === 'datasource');

  it('parses, has a uid and a Prometheus data-source variable', () => {
    expect(dashboard.uid).toBe('chaman-operator');
    expect(datasourceVariable).toMatchObject({ name: 'datasource', query: 'prometheus' });
  });

  it('has unique panel ids and a position for each panel', () => {
    const ids = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) expect(p.gridPos, p.title).toBeDefined();
  });

  for (const p of panels) {
    it(`panel "${p.title}": has a Prometheus data source and queries of exported metrics`, () => {
      expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.targets?.length ?? 0).toBeGreaterThan(0);
      const refIds = p.targets!.map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
      for (const t of p.targets!) {
        expect(t.datasource).toEqual(p.datasource);
        expect(t.expr?.trim()).toBeTruthy();
        expect(problems(t.expr!)).toEqual([]);
      }
    });
  }

  it('template variables query exported metrics', () => {
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
      const query = typeof v.query === 'string' ? v.query : (v.query as { query: string }).query;
      // Grafana's label_values(selector, label): only the selector is PromQL.
      const m = /^label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\)$/.exec(query);
      expect(m, `${v.name}: ${query}`).not.toBeNull();
      expect(problems(m![1]!)).toEqual([]);
      expect(v.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });

  it('shows what the issue asks for: expiry per account, states, reconciles, Chaman calls, latency, codes', () => {
    const exprs = panels.flatMap((p) => p.targets!.map((t) => t.expr!)).join('\n');
    expect(exprs).toMatch(/chaman_certificate_expiration_timestamp_seconds/);
    expect(exprs).toMatch(/chaman_resources\b/);
    expect(exprs).toMatch(/rate\(chaman_reconcile_total/);
    expect(exprs).toMatch(/sum by \(operation\) \(rate\(chaman_api_requests_total/);
    expect(exprs).toMatch(/sum by \(code\) \(rate\(chaman_api_requests_total/);
    expect(exprs).toMatch(/histogram_quantile\(0\.\d+, sum by \(le[^)]*\) \(rate\(chaman_api_request_duration_seconds_bucket/);
  });

  it('is shipped unchanged in the ConfigMap the Grafana sidecar loads', () => {
    const cm = find(kustomize('manifests/overlays/monitoring'), 'ConfigMap', 'chaman-operator-grafana-dashboard', 'chaman-system');
    expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
    expect(cm.data['chaman-operator.json']).toBe(text);
  });
});
