// plan against a real emulator (in this process), read-only: each action the reconciler can take,
// decided by its own code, with the field-level changes, and nothing but GETs sent to Chaman.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeCertificate, makeFtpPassword, type MadeCa, type MadeCertificate } from '../../../src/devtools/certificates.ts';
import { renderPlan } from '../../../src/plan/cli.ts';
import type { ClusterReader } from '../../../src/plan/live.ts';
import type { Plan, PlanChange } from '../../../src/plan/types.ts';
import { account, CONTACT, grant, sender, startPlanEnv, stringSecret, tlsSecret, upload, type PlanEnv } from './plan-env.ts';

const N = '300010';
const change = (plan: Plan, name: string): PlanChange => plan.changes.find((c) => c.name === name)!;

describe('plan', () => {
  let env: PlanEnv;
  let restCert: MadeCertificate;
  let nextCert: MadeCertificate;
  let soapCert: MadeCertificate;
  let ca: MadeCa;
  const password = makeFtpPassword();
  const rest = (permissions: string[], cert = 'rest-cert', annotations?: Record<string, string>) =>
    account('dimona', { type: 'REST', accountName: 'Dimona', permissions, certificates: [{ name: 'c1', fileName: 'c1.cer', secretRef: { name: cert } }] }, annotations);
  const soap = (replacementPolicy?: string) =>
    account('soap', { type: 'SOAP', accountName: 'WKSOAP', certificates: [{ name: 's1', fileName: 's1.cer', secretRef: { name: 'soap-cert' } }], ...(replacementPolicy ? { replacementPolicy } : {}) });
  const secrets = () => [tlsSecret('rest-cert', restCert.pem, restCert.privateKeyPem), tlsSecret('next-cert', nextCert.pem, nextCert.privateKeyPem), tlsSecret('soap-cert', soapCert.pem, soapCert.privateKeyPem), stringSecret('ftp-pass', { password })];

  beforeAll(async () => {
    env = await startPlanEnv();
    ca = await makeCa();
    [restCert, nextCert, soapCert] = await Promise.all([makeCertificate({ subject: 'CN=rest1', freshKey: true }), makeCertificate({ subject: 'CN=rest2', freshKey: true }), makeCertificate({ ca, subject: 'CN=soap1', key: 'rsa3072', freshKey: true })]);
  });
  afterAll(() => env.stop());

  it('on an empty Chaman, creates every object; only GETs are sent, with a read-only token', async () => {
    const ftp = account('ftp', { type: 'FTP', accountName: 'WK23FTP', permissions: ['SupplementaryPensionsPreload'], ftp: { username: 'WK23', passwordSecretRef: { name: 'ftp-pass' } }, certificates: [{ name: 'f1', secretRef: { name: 'soap-cert' } }] });
    const before = env.emulator.requests().total;
    const plan = await env.plan([grant(), sender(), rest(['DimonaDeclaration']), soap(), ftp, ...secrets()]);
    expect(plan.changes.map((c) => [c.kind, c.name, c.action])).toEqual([
      ['ChamanSender', 'apk', 'create'],
      ['ChannelAccount', 'dimona', 'create'],
      ['ChannelAccount', 'soap', 'create'],
      ['ChannelAccount', 'ftp', 'create'],
    ]);
    expect(plan.summary).toMatchObject({ create: 4, update: 0, blocked: 0 });
    expect(change(plan, 'apk').fields).toContainEqual({ field: 'contact.email', change: 'added', after: CONTACT.email });
    expect(change(plan, 'dimona').fields).toContainEqual(expect.objectContaining({ field: 'permissions', change: 'added', after: 'DimonaDeclaration', labels: expect.objectContaining({ fr: 'Effectuer des déclarations Dimona' }) }));
    expect(change(plan, 'ftp').fields).toContainEqual({ field: 'password', change: 'set' });
    expect(change(plan, 'dimona').requests).toEqual([{ method: 'POST', operation: 'createAccount', path: `/api/v1/senders/${N}/accounts` }]);
    const sent = env.emulator.requests().recent.filter((r) => r.seq > before);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(sent.map((r) => r.operation).sort()).toEqual(['getSender', 'listAccounts', 'listPermissions']); // read once per plan
    for (const output of ['text', 'json', 'markdown'] as const) {
      const text = renderPlan(plan, output);
      expect(text).not.toContain(password);
      for (const c of [restCert, soapCert]) {
        expect(text).not.toContain(c.privateKeyPem.split('\n')[1]);
        expect(text).not.toContain(Buffer.from(c.der).toString('base64').slice(0, 40));
      }
    }
  });

  it('once Chaman holds them: no-op; then an edit of permissions, rotations, a blocked and an allowed replace, an adoption', async () => {
    const ftp = (permissions: string[], replacementPolicy?: string) =>
      account('ftp', { type: 'FTP', accountName: 'WK23FTP', permissions, ftp: { username: 'WK23', passwordSecretRef: { name: 'ftp-pass' } }, certificates: [{ name: 'f1', fileName: 'f1.cer', secretRef: { name: 'soap-cert' } }], ...(replacementPolicy ? { replacementPolicy } : {}) });
    await env.writer.putContact(N, CONTACT);
    const restAccount = await env.writer.createAccount(N, { type: 'REST', name: 'Dimona', permissions: ['DimonaDeclaration'], certificates: [upload('c1', restCert.der)] }, 'k1');
    await env.writer.createAccount(N, { type: 'SOAP', name: 'WKSOAP', permissions: [], certificates: [upload('s1', soapCert.der)] }, 'k2');
    await env.writer.createAccount(N, { type: 'FTP', name: 'WK23FTP', permissions: ['SupplementaryPensionsPreload'], username: 'WK23', password, certificates: [upload('f1', soapCert.der)] }, 'k4');
    await env.writer.createAccount(N, { type: 'REST', name: 'Legacy', permissions: ['EmployerRestPublic'], certificates: [upload('l1', nextCert.der)] }, 'k3');

    const same = await env.plan([grant(), sender(), rest(['DimonaDeclaration']), soap(), ftp(['SupplementaryPensionsPreload']), ...secrets()]);
    expect(same.changes.map((c) => c.action)).toEqual(['no-op', 'no-op', 'no-op', 'no-op']);
    expect(change(same, 'dimona').externalName).toBe(restAccount.id);

    const soapNew = await makeCertificate({ ca, subject: 'CN=soap2', key: 'rsa3072', freshKey: true });
    const edited = [grant(), sender(), rest(['DimonaConsultation', 'DimonaDeclaration'], 'next-cert'), soap(), ...secrets(), tlsSecret('soap-new', soapNew.pem, soapNew.privateKeyPem)];
    edited[3] = account('soap', { type: 'SOAP', accountName: 'WKSOAP', certificates: [{ name: 's1', fileName: 's1.cer', secretRef: { name: 'soap-new' } }] });
    const blocked = await env.plan([...edited, ftp(['SupplementaryPensionsPreload'])]);
    const dimona = change(blocked, 'dimona');
    expect(dimona.action).toBe('update');
    expect(dimona.fields).toContainEqual(expect.objectContaining({ field: 'permissions', change: 'added', after: 'DimonaConsultation' }));
    const serial = (c: MadeCertificate) => BigInt(`0x${c.certificate.serialNumber}`).toString();
    expect(dimona.fields).toContainEqual(expect.objectContaining({ field: 'certificates', change: 'added', certificate: expect.objectContaining({ name: 'c1', subject: 'CN=rest2', serialNumber: serial(nextCert) }) }));
    expect(dimona.fields).toContainEqual(expect.objectContaining({ field: 'certificates', change: 'removed', certificate: expect.objectContaining({ subject: 'CN=rest1' }) }));
    expect(dimona.requests.map((r) => r.operation)).toEqual(['editAccount', 'addCertificate', 'removeCertificate']);
    expect(change(blocked, 'soap')).toMatchObject({ action: 'update', requests: [expect.objectContaining({ method: 'PUT', operation: 'replaceCertificate' })] });
    expect(change(blocked, 'soap').fields.map((f) => [f.change, f.certificate?.subject])).toEqual([['added', 'CN=soap2'], ['removed', 'CN=soap1']]);
    expect(change(blocked, 'ftp').action).toBe('no-op');
  });

  it('an FTP edit Chaman forbids (R12) is blocked, or a replace with replacementPolicy Recreate', async () => {
    const ftp = (replacementPolicy?: string) =>
      account('ftp', { type: 'FTP', accountName: 'WK23FTP', permissions: ['SupplementaryPensionsPreload'], ftp: { username: 'WK24', passwordSecretRef: { name: 'ftp-pass' } }, certificates: [{ name: 'f1', fileName: 'f1.cer', secretRef: { name: 'soap-cert' } }], ...(replacementPolicy ? { replacementPolicy } : {}) });
    const blocked = await env.plan([grant(), sender(), ftp(), ...secrets()]);
    expect(change(blocked, 'ftp')).toMatchObject({ action: 'blocked', requests: [], fields: [] });
    expect(change(blocked, 'ftp').reason).toMatch(/^RequiresReplacement: .*user name.*replacementPolicy: Recreate/);
    const replaced = await env.plan([grant(), sender(), ftp('Recreate'), ...secrets()]);
    expect(change(replaced, 'ftp')).toMatchObject({ action: 'replace' });
    expect(change(replaced, 'ftp').requests.map((r) => r.operation)).toEqual(['deleteAccount', 'createAccount']);
    expect(change(replaced, 'ftp').fields).toContainEqual({ field: 'username', change: 'changed', before: 'EXPWK23', after: 'EXPWK24' });
    expect(renderPlan(replaced, 'text')).not.toContain(password);
  });

  it('adopts an account named by chaman.io/external-name', async () => {
    const other = (await env.reader.listAccounts(N)).find((a) => a.name === 'Legacy')!;
    const adopted = await env.plan([grant(), sender(), account('legacy', { type: 'REST', accountName: 'Legacy', permissions: ['EmployerRestPublic'], certificates: [{ name: 'l1', fileName: 'l1.cer', secretRef: { name: 'next-cert' } }] }, { 'chaman.io/external-name': other.id }), ...secrets()]);
    expect(change(adopted, 'legacy')).toMatchObject({ action: 'adopt', externalName: other.id, requests: [] });
  });

  it('a paused account and an Observe account that differs are no-ops: the operator writes nothing for them', async () => {
    const paused = rest(['DimonaConsultation'], 'rest-cert', { 'chaman.io/paused': 'true' });
    const observed = { ...soap(), spec: { ...soap().spec, managementPolicy: 'Observe', accountName: 'Renamed' } };
    const plan = await env.plan([grant(), sender(), paused, observed, ...secrets()]);
    expect(change(plan, 'dimona')).toMatchObject({ action: 'no-op', requests: [] });
    expect(change(plan, 'dimona').reason).toMatch(/paused/);
    expect(change(plan, 'soap')).toMatchObject({ action: 'no-op', requests: [] });
    expect(change(plan, 'soap').reason).toMatch(/Observe/);
  });

  it('an account whose Secret is nowhere is blocked with the reconciler\'s finding, and a note says where to give it', async () => {
    const plan = await env.plan([grant(), sender(), rest(['DimonaDeclaration'], 'no-such-secret')]);
    expect(change(plan, 'dimona')).toMatchObject({ action: 'blocked' });
    expect(change(plan, 'dimona').reason).toMatch(/^Invalid: .*Secret "no-such-secret" does not exist/);
    expect(plan.notes.at(-1)).toBe('Secrets referenced but not in the input (the cluster was not read: no --kubeconfig): payroll/no-such-secret. Give them with -f, or run with --kubeconfig where they exist.');
  });

  it('a Secret the input only holds sealed is read from the cluster (--kubeconfig); without it, a note says so', async () => {
    const sealed = { apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', metadata: { name: 'rest-cert', namespace: 'payroll' }, spec: { encryptedData: { 'tls.crt': 'AgB0c2VhbGVk', 'tls.key': 'AgB0c2VhbGVk' }, template: { type: 'kubernetes.io/tls' } } };
    const input = [grant(), sender(), rest(['DimonaDeclaration']), sealed];
    const unsealed = await env.plan(input);
    expect(change(unsealed, 'dimona').action).toBe('blocked');
    expect(unsealed.notes.at(-1)).toMatch(/payroll\/rest-cert \(encrypted or generated in the input\)/);
    const cluster: ClusterReader = {
      read: async () => ({ senders: [], accounts: [], grants: [], namespaceLabels: new Map(), notes: [] }),
      secret: async (_ns, name) => (name === 'rest-cert' ? { data: { 'tls.crt': new TextEncoder().encode(restCert.pem) }, resourceVersion: '7' } : 'absent'),
      configMapKey: async () => undefined,
    };
    const read = await env.plan(input, cluster); // no live object: the operator would create it
    expect(change(read, 'dimona').action).toBe('create');
    expect(change(read, 'dimona').fields).toContainEqual(expect.objectContaining({ field: 'certificates', change: 'added', certificate: expect.objectContaining({ subject: 'CN=rest1' }) }));
  });

  it('blocks a sender no grant covers, and its accounts, with the reconciler\'s message', async () => {
    const plan = await env.plan([grant('300099'), sender(), rest(['DimonaDeclaration']), ...secrets()]);
    expect(change(plan, 'apk')).toMatchObject({ action: 'blocked' });
    expect(change(plan, 'apk').reason).toMatch(/^NotGranted: No ChamanSenderGrant/);
    expect(change(plan, 'dimona')).toMatchObject({ action: 'blocked' });
    expect(change(plan, 'dimona').reason).toMatch(/^NotGranted: /);
  });
});
