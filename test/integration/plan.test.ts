// issue 17, done when: plan on examples/ against a fresh emulator prints a create for every object
// (exit 2 with --detailed-exitcode); once the operator made them Ready, the same plan prints no
// changes (exit 0), with and without --kubeconfig. Every plan runs with a read-only token and sends
// nothing but GETs; no secret value appears in any output.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply } from '../../src/devtools/apply.ts';
import type { KubeObject } from '../../src/kube/client.ts';
import { validatePlanJson } from '../support/plan-schema.ts';
import { createNamespace, kubeconfigPath } from './support/cluster.ts';
import { startHarness, stopHarness, type Harness } from './support/operator.ts';
import { kubectl, serviceAccountKubeconfig, toYaml } from './support/rbac-checks.ts';
import { examplesIn, parsePlan, runPlan, tokenFile, uniqueSenderNumber, writeInput, type Doc } from './support/plan.ts';

describe('plan on examples/', () => {
  let h: Harness;
  let docs: Doc[];
  let input: string;
  let ro: string;
  const secretValues: string[] = [];
  const args = (...extra: string[]) => ['-f', input, '--chaman-url', h.emulator.url, '--chaman-token-file', ro, '--detailed-exitcode', ...extra];

  beforeAll(async () => {
    h = await startHarness(await createNamespace('plan'), { tokens: { 'plan-ro': '*' }, readOnlyTokens: ['plan-ro'] });
    docs = await examplesIn(h.namespace, uniqueSenderNumber());
    input = writeInput(docs);
    ro = tokenFile('plan-ro');
    for (const s of docs.filter((d) => d.kind === 'Secret')) {
      for (const v of Object.values({ ...s.data, ...s.stringData }) as string[]) {
        const text = s.data ? Buffer.from(v, 'base64').toString() : v;
        secretValues.push(...text.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----')).slice(0, 2), ...(s.stringData ? [v] : []));
      }
    }
  });
  afterAll(async () => {
    await h.kube.request({ verb: 'delete', resource: 'chamansendergrants', method: 'DELETE', path: `/apis/chaman.io/v1alpha1/chamansendergrants/plan-${h.namespace}` }).catch(() => undefined);
    await stopHarness(h);
  });

  const noSecrets = (text: string) => {
    for (const value of secretValues) expect(text).not.toContain(value);
    expect(text).not.toContain('plan-ro');
  };

  it('on a fresh emulator: a create for every object, exit 2, GETs only with a read-only token', async () => {
    for (const output of ['json', 'text', 'markdown']) {
      const run = await runPlan(h.emulator, args('--output', output));
      expect(run.code, run.stderr).toBe(2);
      expect(run.requests.length).toBeGreaterThan(0);
      expect(run.requests.filter((r) => r.method !== 'GET')).toEqual([]);
      noSecrets(run.stdout + run.stderr);
      if (output === 'json') {
        const plan = parsePlan(run);
        expect(validatePlanJson(plan), JSON.stringify(validatePlanJson.errors)).toBe(true);
        const objects = docs.filter((d) => d.kind === 'ChamanSender' || d.kind === 'ChannelAccount').map((d) => `${d.kind}/${d.metadata.name}`);
        expect(plan.changes.map((c) => `${c.kind}/${c.name}`).sort()).toEqual(objects.sort());
        expect(new Set(plan.changes.map((c) => c.action))).toEqual(new Set(['create']));
      }
      if (output === 'text') expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('Plan: 5 to create, 0 to update, 0 to replace, 0 to delete, 0 to orphan, 0 blocked.');
    }
    expect(h.emulator.requests().mutating).toBe(0);
  });

  it('after the operator made them Ready: no changes, exit 0, with and without --kubeconfig', async () => {
    await h.startOperator({ requireSenderGrant: true });
    for (const doc of docs) await apply(h.kube, doc as KubeObject, 'integration-tests');
    for (const d of docs.filter((d) => d.kind === 'ChamanSender' || d.kind === 'ChannelAccount')) {
      await h.waitForCondition(d.kind, d.metadata.name, 'Ready', 'True', undefined, 60_000);
    }
    for (const extra of [[], ['--kubeconfig', kubeconfigPath()]]) {
      const run = await runPlan(h.emulator, args('--output', 'text', ...extra));
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain('No changes. Chaman matches the input.');
      expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 0 to orphan, 0 blocked.');
      expect(run.requests.filter((r) => r.method !== 'GET')).toEqual([]);
      noSecrets(run.stdout + run.stderr);
    }
  });

  it('with a kubeconfig that may only get and list in the namespace: no changes, and notes of what it could not read', async () => {
    const ns = h.namespace;
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'plan-reader', namespace: ns }, rules: [{ apiGroups: ['', 'chaman.io'], resources: ['chamansenders', 'channelaccounts', 'secrets', 'configmaps'], verbs: ['get', 'list'] }] };
    const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'plan-reader', namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'plan-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'plan-reader', namespace: ns }] };
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'plan-reader', namespace: ns } };
    await kubectl(kubeconfigPath(), ['apply', '-f', '-'], toYaml([sa, role, binding] as never));
    const reader = await serviceAccountKubeconfig(kubeconfigPath(), mkdtempSync(join(tmpdir(), 'plan-sa-')), ns, 'plan-reader');
    const run = await runPlan(h.emulator, args('--output', 'json', '--kubeconfig', reader));
    expect(run.code, run.stderr).toBe(0);
    const plan = parsePlan(run);
    expect(new Set(plan.changes.map((c) => c.action))).toEqual(new Set(['no-op']));
    expect(plan.notes.join('\n')).toMatch(/ChamanSenderGrants could not be read \(forbidden\)/);
    expect(plan.notes.join('\n')).toMatch(/other namespaces could not be listed \(forbidden\)/);
    expect(run.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('refuses invalid input with validate\'s findings, exit 1', async () => {
    const broken = docs.map((d) => (d.kind === 'ChannelAccount' && d.spec.type === 'REST' ? { ...d, spec: { ...d.spec, permissions: ['NoSuchPermission'] } } : d));
    const run = await runPlan(h.emulator, ['-f', writeInput(broken), '--chaman-url', h.emulator.url, '--chaman-token-file', ro]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/R11/);
    expect(run.stderr).toMatch(/no plan was made/);
    expect(run.requests).toEqual([]);
  });
});
