// validate and tenancy: a ChamanSender that no ChamanSenderGrant of the input covers is a warning
// (grants usually live in the cluster admins' repository); grants are checked by their schema.
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PERMISSION_CATALOG } from '../../../src/domain/catalog.ts';
import { defaultPolicy } from '../../../src/domain/types.ts';
import { validateDocuments } from '../../../src/validate/validate.ts';

const SENDER = (namespace: string, number: string, extra = '') => `
apiVersion: chaman.io/v1alpha1
kind: ChamanSender
metadata: { name: apk, namespace: ${namespace} }
spec:
  senderNumber: "${number}"
  contact: { name: Jane, phone: { countryCode: "+32", number: "0486531619" }, email: jane@apk.example, language: fr }
${extra}`;

const GRANT = (spec: string) => `
apiVersion: chaman.io/v1alpha1
kind: ChamanSenderGrant
metadata: { name: team }
spec: ${spec}
`;

async function findings(...documents: string[]) {
  const sources = parseAllDocuments(documents.join('\n---\n')).map((d, i) => ({ file: 'in.yaml', document: i + 1, line: 1, object: d.toJS() }));
  const all = await validateDocuments(sources, { catalog: PERMISSION_CATALOG, policy: defaultPolicy() });
  return all.map((f) => ({ kind: f.kind, ns: f.namespace, name: f.name, rule: f.rule, severity: f.severity, field: f.field, message: f.message }));
}

describe('validate: senders and grants', () => {
  it('warns (not an error) about a sender no grant covers, with the grant to create', async () => {
    const got = await findings(SENDER('payroll', '300010'));
    expect(got).toEqual([expect.objectContaining({ kind: 'ChamanSender', ns: 'payroll', name: 'apk', rule: 'TENANCY', severity: 'warning', field: 'spec.senderNumber' })]);
    expect(got[0]!.message).toContain('namespace payroll and sender number 300010');
    expect(got[0]!.message).toContain('metadata: {name: payroll-300010}, spec: {senderNumbers: ["300010"], namespaces: [payroll]}');
  });

  it('no warning when a grant covers the sender by name or by a selector on a Namespace of the input', async () => {
    expect(await findings(SENDER('payroll', '300010'), GRANT('{ senderNumbers: ["300010"], namespaces: [payroll] }'))).toEqual([]);
    const ns = 'apiVersion: v1\nkind: Namespace\nmetadata: { name: payroll, labels: { team: payroll } }';
    expect(await findings(ns, SENDER('payroll', '300010'), GRANT('{ senderNumbers: ["300010"], namespaceSelector: { matchLabels: { team: payroll } } }'))).toEqual([]);
    // The label Kubernetes puts on every namespace counts too.
    expect(await findings('apiVersion: v1\nkind: Namespace\nmetadata: { name: payroll }', SENDER('payroll', '300010'), GRANT('{ senderNumbers: ["300010"], namespaceSelector: { matchExpressions: [{ key: kubernetes.io/metadata.name, operator: In, values: [payroll] }] } }'))).toEqual([]);
  });

  it('says when a selector grant could not be checked because the Namespace is not in the input', async () => {
    const [warning] = await findings(SENDER('payroll', '300010'), GRANT('{ senderNumbers: ["300010"], namespaceSelector: { matchLabels: { team: payroll } } }'));
    expect(warning).toMatchObject({ rule: 'TENANCY', severity: 'warning' });
    expect(warning!.message).toContain('add Namespace payroll to check one offline');
    const [plain] = await findings(SENDER('payroll', '300010'));
    expect(plain!.message).not.toContain('offline');
  });

  it('still warns when the grant is for another number or another namespace', async () => {
    const other = await findings(SENDER('payroll', '300010'), GRANT('{ senderNumbers: ["300011"], namespaces: [payroll, hr] }'), SENDER('finance', '300011'));
    expect(other.map((f) => `${f.ns} ${f.rule}`).sort()).toEqual(['finance TENANCY', 'payroll TENANCY']);
  });

  it('no warning for a sender with its own credentials', async () => {
    expect(await findings(SENDER('payroll', '300010', '  credentialsSecretRef: { name: chaman-api }'))).toEqual([]);
  });

  it('checks grants by their schema and CEL rules, as the API server would', async () => {
    const got = await findings(
      GRANT('{ senderNumbers: ["3000A"], namespaces: [Payroll] }'),
      GRANT('{ senderNumbers: ["300010"] }'),
      GRANT('{ senderNumbers: [], namespaceSelector: { matchExpressions: [{ key: team, operator: In }] } }'),
    );
    const rows = got.map((f) => `${f.kind} ${f.severity} ${f.field}`).sort();
    expect(rows).toEqual(
      [
        'ChamanSenderGrant error spec.namespaceSelector.matchExpressions',
        'ChamanSenderGrant error spec.namespaces',
        'ChamanSenderGrant error spec.namespaces[0]',
        'ChamanSenderGrant error spec.senderNumbers',
        'ChamanSenderGrant error spec.senderNumbers[0]',
      ].sort(),
    );
    expect(got.find((f) => f.field === 'spec.namespaces')!.message).toContain('needs spec.namespaces, spec.namespaceSelector or both');
    expect(got.every((f) => f.ns === '')).toBe(true); // cluster-scoped
  });
});
