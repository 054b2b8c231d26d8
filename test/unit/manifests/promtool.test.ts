// The alerts, evaluated by Prometheus itself: the PrometheusRule that manifests/overlays/monitoring
// deploys is built with kustomize, its spec.groups written as a Prometheus rules file, then
// `promtool check rules` and `promtool test rules` run on it with test/promtool/alerts.test.yaml.
// promtool is built from github.com/prometheus/prometheus/cmd/promtool (test/tools/promtool),
// cached like the control plane. Mutated rules prove the unit tests catch a broken alert.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ensureGoTool } from '../../../scripts/lib/gotool.ts';
import { kustomize, REPO_ROOT } from './support.ts';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroup {
  name: string;
  rules: Rule[];
}

const UNIT_TESTS = join(REPO_ROOT, 'test/promtool/alerts.test.yaml');

let promtool = '';
const work = mkdtempSync(join(tmpdir(), 'chaman-promtool-'));
beforeAll(async () => {
  promtool = await ensureGoTool('promtool');
}, 600_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The deployed PrometheusRule's groups, as kustomize renders the monitoring overlay. */
function deployedGroups(): RuleGroup[] {
  const rule = kustomize('manifests/overlays/monitoring').find((o) => o.kind === 'PrometheusRule');
  if (!rule) throw new Error('manifests/overlays/monitoring renders no PrometheusRule');
  return structuredClone((rule.spec as { groups: RuleGroup[] }).groups);
}

let runs = 0;
/** Writes rules.yaml and the unit tests into a fresh directory and runs promtool there. */
function promtoolOn(groups: RuleGroup[], ...args: string[]): { code: number; output: string } {
  const dir = join(work, `run-${runs++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'rules.yaml'), stringify({ groups }));
  copyFileSync(UNIT_TESTS, join(dir, 'alerts.test.yaml'));
  const result = spawnSync(promtool, args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

function alertRule(groups: RuleGroup[], alert: string): Rule {
  const rule = groups.flatMap((g) => g.rules).find((r) => r.alert === alert);
  if (!rule) throw new Error(`no alert ${alert} in the PrometheusRule`);
  return rule;
}

describe('PrometheusRule under promtool', () => {
  it('promtool check rules accepts every group', () => {
    const groups = deployedGroups();
    const { code, output } = promtoolOn(groups, 'check', 'rules', 'rules.yaml');
    expect(output).toContain(`SUCCESS: ${groups.flatMap((g) => g.rules).length} rules found`);
    expect(code).toBe(0);
  });

  it('promtool test rules passes test/promtool/alerts.test.yaml', () => {
    const { code, output } = promtoolOn(deployedGroups(), 'test', 'rules', 'alerts.test.yaml');
    expect(output).toMatch(/SUCCESS/);
    expect(code, output).toBe(0);
  });

  it('every alert is tested both firing and silent', () => {
    const tests = (parse(readFileSync(UNIT_TESTS, 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] }).tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of deployedGroups().flatMap((g) => g.rules).flatMap((r) => (r.alert ? [r.alert] : []))) {
      const cases = tests.filter((t) => t.alertname === alert);
      expect(cases.some((t) => (t.exp_alerts ?? []).length > 0), `${alert} is never expected to fire`).toBe(true);
      expect(cases.some((t) => (t.exp_alerts ?? []).length === 0), `${alert} is never expected to stay silent`).toBe(true);
    }
  });

  it('promtool check rules refuses a broken expression', () => {
    const groups = deployedGroups();
    alertRule(groups, 'ChamanApiErrors').expr = 'sum by (operation (chaman_api_requests_total)';
    const { code, output } = promtoolOn(groups, 'check', 'rules', 'rules.yaml');
    expect(code).not.toBe(0);
    expect(output).toMatch(/parse error/);
  });
});

/** Broken variants of the rules, each of which a unit test must catch (a test that cannot fail is a defect). */
const MUTATIONS: { name: string; alert: string; mutate: (rule: Rule) => void }[] = [
  { name: '30-day warning window shrunk to 10 days', alert: 'ChamanCertificateExpiringIn30Days', mutate: (r) => void (r.expr = r.expr.replace('< 30 * 86400', '< 10 * 86400')) },
  {
    name: 'no aggregation over the replicas (each alert twice, with a pod label)',
    alert: 'ChamanCertificateExpiringIn7Days',
    mutate: (r) => void (r.expr = r.expr.replaceAll('min by (namespace, account, sender, type, certificate, serial) (chaman_certificate_expiration_timestamp_seconds)', 'chaman_certificate_expiration_timestamp_seconds')),
  },
  {
    name: 'a deleted object keeps alerting (last value over an hour)',
    alert: 'ChamanCertificateExpired',
    mutate: (r) => void (r.expr = r.expr.replace('(chaman_certificate_expiration_timestamp_seconds)', '(last_over_time(chaman_certificate_expiration_timestamp_seconds[1h]))')),
  },
  { name: 'not Ready alert after 5 minutes instead of 15', alert: 'ChamanChannelAccountNotReady', mutate: (r) => void (r.for = '5m') },
  { name: '"no HTTP answer" errors forgotten', alert: 'ChamanApiErrors', mutate: (r) => void (r.expr = r.expr.replace('5..|error', '5..')) },
  { name: 'a template names a label that does not exist', alert: 'ChamanCertificateExpiringIn7Days', mutate: (r) => void (r.annotations!.summary = r.annotations!.summary!.replace('$labels.certificate', '$labels.cert')) },
];

describe('the unit tests catch a broken rule', () => {
  it.each(MUTATIONS.map((m) => [m.name, m] as const))('%s', (_, { alert, mutate }) => {
    const groups = deployedGroups();
    const rule = alertRule(groups, alert);
    const before = JSON.stringify(rule);
    mutate(rule);
    expect(JSON.stringify(rule), 'the mutation changed nothing: the rule text moved on').not.toBe(before);
    const { code, output } = promtoolOn(groups, 'test', 'rules', 'alerts.test.yaml');
    expect(code).not.toBe(0);
    expect(output).toContain(`alertname: ${alert}`);
  });
});
