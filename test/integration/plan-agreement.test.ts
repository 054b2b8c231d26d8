// issue 17 item 3, plan and apply agree: plan a set of changes (a create, an edit of permissions, a
// certificate rotation, a deletion under each policy, an adoption, a blocked replace) with a read-only
// token and --kubeconfig, apply them with the operator running, and compare the emulator's log of
// mutating requests with the plan's requests, one to one. A mismatch fails the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply } from '../../src/devtools/apply.ts';
import { makeCa, makeCertificate } from '../../src/devtools/certificates.ts';
import { RESOURCES, resourcePath, type KubeObject } from '../../src/kube/client.ts';
import type { PlanChange } from '../../src/plan/types.ts';
import { validatePlanJson } from '../support/plan-schema.ts';
import { createNamespace, kubeconfigPath, waitFor } from './support/cluster.ts';
import { startHarness, stopHarness, tlsSecret, type Harness } from './support/operator.ts';
import { examplesIn, parsePlan, runPlan, tokenFile, uniqueSenderNumber, writeInput, type Doc } from './support/plan.ts';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const restAccount = (name: string, spec: Doc, annotations?: Record<string, string>): Doc => ({
  apiVersion: 'chaman.io/v1alpha1',
  kind: 'ChannelAccount',
  metadata: { name, ...(annotations ? { annotations } : {}) },
  spec: { senderRef: { name: 'apk-recycling' }, type: 'REST', ...spec },
});

describe('plan and apply agree', () => {
  let h: Harness;
  let docs: Doc[];
  beforeAll(async () => {
    h = await startHarness(await createNamespace('plan-agree'), { tokens: { 'plan-ro': '*' }, readOnlyTokens: ['plan-ro'] });
    await h.startOperator({ requireSenderGrant: true });
  });
  afterAll(async () => {
    await h.kube.request({ verb: 'delete', resource: 'chamansendergrants', method: 'DELETE', path: resourcePath(RESOURCES.chamanSenderGrants, undefined, `plan-${h.namespace}`) }).catch(() => undefined);
    await stopHarness(h);
  });

  it('the emulator receives exactly the mutating requests the plan listed', async () => {
    const ns = h.namespace;
    const number = uniqueSenderNumber();
    const cert = { name: 'c1', secretRef: { name: 'dimona-rest-cert' } };
    const extra = [
      restAccount('del-delete', { accountName: 'To delete', permissions: ['EmployerRestPublic'], certificates: [cert], deletionPolicy: 'Delete' }),
      restAccount('del-orphan', { accountName: 'To orphan', permissions: ['EmployerRestPublic'], certificates: [cert], deletionPolicy: 'Orphan' }),
    ].map((d) => ({ ...d, metadata: { ...d.metadata, namespace: ns } }));
    docs = [...(await examplesIn(ns, number)), ...extra];
    for (const doc of docs) await apply(h.kube, doc as KubeObject, 'integration-tests');
    const objects = docs.filter((d) => d.kind === 'ChamanSender' || d.kind === 'ChannelAccount');
    for (const d of objects) await h.waitForCondition(d.kind, d.metadata.name, 'Ready', 'True', undefined, 60_000);

    // An account made in Chaman by hand, to adopt.
    const legacyCert = await makeCertificate({ subject: 'CN=legacy', freshKey: true });
    const legacy = await h.chaman.createAccount(number, { type: 'REST', name: 'Legacy', permissions: ['EmployerRestPublic'], certificates: [{ name: 'l1', fileName: 'l1.cer', content: Buffer.from(legacyCert.der).toString('base64') }] }, 'legacy-1');
    const ca = await makeCa();
    const soapCert = await makeCertificate({ ca, key: 'p384', subject: 'CN=wk23soap2', freshKey: true });

    const edit = (d: Doc): Doc => {
      if (d.metadata.name === 'dimona-rest') return { ...d, spec: { ...d.spec, permissions: ['DimonaDeclaration', 'CheckInAtWorkConsultation'] } };
      if (d.metadata.name === 'pensions-ftp') return { ...d, spec: { ...d.spec, ftp: { ...d.spec.ftp, username: 'WK24' }, replacementPolicy: 'Never' } };
      if (d.kind === 'Secret' && d.metadata.name === 'wk23-soap-cert') return { ...tlsSecret('wk23-soap-cert', soapCert.pem, soapCert.privateKeyPem), metadata: { name: 'wk23-soap-cert', namespace: ns } };
      return d;
    };
    const next: Doc[] = [
      ...docs.filter((d) => !d.metadata.name.startsWith('del-')).map(edit),
      { ...restAccount('new-rest', { accountName: 'New', permissions: ['WithholdingObligation'], certificates: [cert] }), metadata: { name: 'new-rest', namespace: ns } },
      { ...restAccount('legacy', { accountName: 'Legacy', permissions: ['EmployerRestFrontOffice', 'EmployerRestPublic'], certificates: [{ name: 'l1', fileName: 'l1.cer', secretRef: { name: 'legacy-cert' } }] }, { 'chaman.io/external-name': legacy.id }), metadata: { name: 'legacy', namespace: ns, annotations: { 'chaman.io/external-name': legacy.id } } },
      { ...tlsSecret('legacy-cert', legacyCert.pem, legacyCert.privateKeyPem), metadata: { name: 'legacy-cert', namespace: ns } },
    ];

    const run = await runPlan(h.emulator, ['-f', writeInput(next), '--chaman-url', h.emulator.url, '--chaman-token-file', tokenFile('plan-ro'), '--kubeconfig', kubeconfigPath(), '--output', 'json', '--detailed-exitcode', '--fail-on', 'delete']);
    expect(run.code, run.stderr).toBe(3);
    expect(run.requests.filter((r) => MUTATING.has(r.method))).toEqual([]);
    const plan = parsePlan(run);
    expect(validatePlanJson(plan), JSON.stringify(validatePlanJson.errors)).toBe(true);
    const actions = Object.fromEntries(plan.changes.map((c: PlanChange) => [c.name, c.action]));
    expect(actions).toEqual({
      'apk-recycling': 'no-op',
      'pensions-ftp': 'blocked',
      'pensions-sftp': 'no-op',
      'webservices-soap': 'update',
      'dimona-rest': 'update',
      'new-rest': 'create',
      legacy: 'adopt',
      'del-delete': 'delete',
      'del-orphan': 'orphan',
    });
    expect(plan.changes.find((c) => c.name === 'pensions-ftp')!.reason).toMatch(/RequiresReplacement/);

    // Apply: what `kubectl apply --prune` (or Flux, Argo CD) would do with the pull request merged.
    const since = h.emulator.requests().recent.at(-1)?.seq ?? 0;
    for (const doc of next) await apply(h.kube, doc as KubeObject, 'integration-tests');
    for (const name of ['del-delete', 'del-orphan']) {
      await h.kube.request({ verb: 'delete', resource: 'channelaccounts', method: 'DELETE', path: resourcePath(RESOURCES.channelAccounts, ns, name) });
    }
    for (const name of ['dimona-rest', 'new-rest', 'legacy']) await h.waitForCondition('ChannelAccount', name, 'Ready', 'True', undefined, 60_000);
    await h.waitForCondition('ChannelAccount', 'pensions-ftp', 'Ready', 'False', 'RequiresReplacement', 60_000);
    await waitFor('the SOAP certificate to be rotated', async () => (await h.get('ChannelAccount', 'webservices-soap'))?.status?.certificates?.[0]?.subject?.includes('wk23soap2'), 60_000, 200);
    for (const name of ['del-delete', 'del-orphan']) await waitFor(`${name} to be gone`, async () => (await h.get('ChannelAccount', name)) === undefined, 60_000, 200);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // room for any request nobody planned

    const sent = h.emulator.requests(since).recent.filter((r) => MUTATING.has(r.method));
    expect(sent.filter((r) => r.status >= 400)).toEqual([]);
    const key = (r: { method: string; operation: string; path: string }) => `${r.method} ${r.operation} ${r.path}`;
    const planned = plan.changes.flatMap((c) => c.requests.map(key)).sort();
    expect(sent.map(key).sort()).toEqual(planned);
    expect(planned).toHaveLength(5); // PATCH dimona, PUT soap certificate, POST new-rest, PATCH legacy, DELETE del-delete; the orphan and the blocked send nothing
  });
});
