// The CRDs on a real API server: Established, explained, printer columns, and every category of bad
// manifest that the schema and the CEL rules cover refused with the rule's message — the same
// manifests `validate` refuses offline (test/fixtures/broken).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAMAN_SENDER_GRANT_SPEC_RULES as G, MATCH_EXPRESSION_RULES as M } from '../../src/api/chamansendergrant.ts';
import { CHANNEL_ACCOUNT_SPEC_RULES as R } from '../../src/api/channelaccount.ts';
import { sshKeyRule } from '../../src/api/channelaccount-types.ts';
import { readManifests } from '../../src/devtools/apply.ts';
import { createKubeClient, resourcePath, RESOURCES, type KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { createNamespace, deleteNamespace, kubeconfigPath, kubectl } from './support/cluster.ts';

const root = join(import.meta.dirname, '..', '..');
let kube: KubeClient;
let namespace: string;

beforeAll(async () => {
  kube = await createKubeClient({ kubeconfig: kubeconfigPath() });
  namespace = await createNamespace('crds');
});

afterAll(async () => {
  // Grants are cluster-scoped: the ones this file created carry its namespace in a label.
  await kubectl(['delete', 'chamansendergrants', '-l', `chaman.io/test-namespace=${namespace}`, '--ignore-not-found']).catch(() => undefined);
  await deleteNamespace(namespace);
  await kube.close();
});

const rtOf = (kind: string) =>
  kind === 'ChamanSender' ? RESOURCES.chamanSenders : kind === 'ChamanSenderGrant' ? RESOURCES.chamanSenderGrants : RESOURCES.channelAccounts;

/** Server-side apply (dry run unless told otherwise); resolves to the API server's error message, or '' when accepted. */
async function tryApply(object: KubeObject, dryRun = true): Promise<string> {
  const body = rtOf(object.kind!).namespaced ? { ...object, metadata: { ...object.metadata, namespace } } : object;
  try {
    await kube.request({
      verb: 'apply',
      resource: rtOf(object.kind!).plural,
      method: 'PATCH',
      path: resourcePath(rtOf(object.kind!), namespace, object.metadata.name),
      query: { fieldManager: 'crd-tests', force: true, ...(dryRun ? { dryRun: 'All' } : {}) },
      contentType: 'application/apply-patch+yaml',
      body,
    });
    return '';
  } catch (error) {
    const message = (error as Error).message;
    expect((error as { status?: number }).status, message).toBe(422);
    return message;
  }
}

/**
 * A dry-run create; resolves to "status message" when refused, '' when accepted. For duplicates in a
 * set: server-side apply answers 500 for those, before validation.
 */
async function tryCreate(object: KubeObject): Promise<string> {
  const rt = rtOf(object.kind!);
  return kube
    .request({ verb: 'create', resource: rt.plural, method: 'POST', path: resourcePath(rt, namespace), query: { dryRun: 'All' }, body: object })
    .then(() => '', (error: Error & { status?: number }) => `${error.status} ${error.message}`);
}

describe('CRDs', () => {
  it('are Established and explained by kubectl explain', async () => {
    const explain = await kubectl(['explain', 'channelaccount.spec']);
    expect(explain.stdout).toContain('certificates');
    expect(explain.stdout).toContain('Permissions sécurisées');
    expect(explain.stdout).toContain('deletionPolicy');
    const short = await kubectl(['explain', 'chs.spec.contact.language']);
    expect(short.stdout).toMatch(/fr, nl, de or en/);
  });

  it('accept the examples, and kubectl shows the printer columns', async () => {
    const examples = readManifests(...['10-sender.yaml', '20-ftp.yaml', '30-sftp.yaml', '40-soap.yaml', '50-rest.yaml'].map((f) => join(root, 'examples', f)));
    for (const object of examples) expect(await tryApply(object, false), object.metadata.name).toBe('');
    const accounts = await kubectl(['get', 'ca', '-n', namespace, '-o', 'wide']);
    expect(accounts.stdout.split('\n')[0]).toMatch(/NAME\s+TYPE\s+SENDER\s+READY\s+REASON\s+CERT-EXPIRY\s+CLIENT-ID\s+AGE/);
    expect(accounts.stdout).toMatch(/dimona-rest\s+REST\s+apk-recycling/);
    const senders = await kubectl(['get', 'chaman', '-n', namespace]);
    expect(senders.stdout).toMatch(/apk-recycling\s+300010/);
  });

  it('refuse what the schema and the CEL rules forbid, with the rule\'s message (the fixtures of validate)', async () => {
    const broken = readManifests(...['sender.yaml', 'accounts.yaml', 'duplicates.yaml', 'secrets.yaml'].map((f) => join(root, 'test', 'fixtures', 'broken', f)));
    const verdicts = new Map<string, string>();
    for (const object of broken.filter((o) => o.kind === 'ChamanSender' || o.kind === 'ChannelAccount')) {
      verdicts.set(object.metadata.name!, await tryApply(object));
    }
    const refused = [...verdicts].filter(([, message]) => message).map(([name]) => name).sort();
    expect(refused).toEqual(
      ['bad-email', 'bad-language', 'bad-number', 'bad-username', 'soap-with-permissions', 'soap-two-certificates', 'intermediary-with-certificate', 'ftp-without-section'].sort(),
    );
    expect(verdicts.get('soap-with-permissions')).toContain(R.noPermissions!.message);
    expect(verdicts.get('soap-two-certificates')).toContain(R.singleCertificate!.message);
    expect(verdicts.get('intermediary-with-certificate')).toContain(R.intermediaryNoCertificates!.message);
    expect(verdicts.get('ftp-without-section')).toContain(R.ftpSection!.message);
    expect(verdicts.get('bad-username')).toContain('spec.ftp.username');
    expect(verdicts.get('bad-language')).toContain('spec.contact.language');
  });

  it.each([
    ['SFTP with both key forms', { type: 'SFTP', permissions: ['SupplementaryPensionsPreload'], certificates: [{ name: 'c', secretRef: { name: 's' } }], sftp: { username: 'WK23', publicKey: 'k', publicKeySecretRef: { name: 'k' } } }, sshKeyRule('sftp').message],
    ['REST without certificate', { type: 'REST', permissions: ['DimonaDeclaration'] }, R.internalCertificates!.message],
    ['FTP without permissions', { type: 'FTP', certificates: [{ name: 'c', secretRef: { name: 's' } }], ftp: { username: 'WK23', passwordSecretRef: { name: 'p' } } }, R.permissionsRequired!.message],
    ['management on SOAP', { type: 'SOAP', management: 'Internal', certificates: [{ name: 'c', secretRef: { name: 's' } }] }, R.managementOnly!.message],
    ['rest on FTP', { type: 'FTP', permissions: ['x'], certificates: [{ name: 'c', secretRef: { name: 's' } }], ftp: { username: 'WK23', passwordSecretRef: { name: 'p' } }, rest: {} }, R.restSection!.message],
    ['an unknown type', { type: 'X400', certificates: [] }, 'spec.type'],
    ['a username of 11 characters (R4)', { type: 'FTP', permissions: ['x'], certificates: [{ name: 'c', secretRef: { name: 's' } }], ftp: { username: 'ABCDEFGHIJK', passwordSecretRef: { name: 'p' } } }, 'spec.ftp.username'],
    ['a certificate file name not ending in .cer', { type: 'SOAP', certificates: [{ name: 'c', secretRef: { name: 's' }, fileName: 'cert.pfx' }] }, 'fileName'],
  ])('refuse %s', async (_name, spec, message) => {
    const result = await tryApply({ apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', metadata: { name: 'x' }, spec: { senderRef: { name: 'apk' }, ...spec } } as KubeObject);
    expect(result).toContain(message);
  });

  it('refuse duplicate permissions (a set)', async () => {
    const refused = await tryCreate({ apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', metadata: { name: 'dup', namespace }, spec: { senderRef: { name: 'apk' }, type: 'REST', permissions: ['A', 'A'], certificates: [{ name: 'c', secretRef: { name: 's' } }] } });
    expect(refused).toMatch(/^422 .*spec\.permissions\[1\].*Duplicate value/);
  });

  it('keep type, senderRef and senderNumber immutable (tested through an update)', async () => {
    const account = { apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', metadata: { name: 'immutable' }, spec: { senderRef: { name: 'apk' }, type: 'SOAP', certificates: [{ name: 'c', secretRef: { name: 's' } }] } };
    expect(await tryApply(account as KubeObject, false)).toBe('');
    expect(await tryApply({ ...account, spec: { ...account.spec, type: 'REST', permissions: ['DimonaDeclaration'] } } as KubeObject)).toContain('spec.type is immutable');
    expect(await tryApply({ ...account, spec: { ...account.spec, senderRef: { name: 'other' } } } as KubeObject)).toContain('spec.senderRef is immutable');
    const sender = readManifests(join(root, 'examples', '10-sender.yaml'))[0]!;
    expect(await tryApply(sender, false)).toBe('');
    expect(await tryApply({ ...sender, spec: { ...(sender.spec as object), senderNumber: '300099' } } as KubeObject)).toContain('spec.senderNumber is immutable');
  });

  describe('ChamanSenderGrant', () => {
    const grant = (name: string, spec: Record<string, unknown>) =>
      ({
        apiVersion: 'chaman.io/v1alpha1',
        kind: 'ChamanSenderGrant',
        metadata: { name: `${namespace}-${name}`, labels: { 'chaman.io/test-namespace': namespace } },
        spec,
      }) as KubeObject;

    it('is cluster-scoped, explained, short name csg, category chaman', async () => {
      const resources = await kubectl(['api-resources', '--api-group=chaman.io', '-o', 'wide']);
      expect(resources.stdout).toMatch(/chamansendergrants\s+csg\s+chaman\.io\/v1alpha1\s+false\s+ChamanSenderGrant/);
      const explain = await kubectl(['explain', 'csg.spec.namespaceSelector']);
      expect(explain.stdout).toContain('matchExpressions');
      expect(explain.stdout).toContain('every namespace');
    });

    it('accepts the example grant, and kubectl shows its printer columns', async () => {
      const example = readManifests(join(root, 'examples', '05-grant.yaml'))[0]!;
      const mine = { ...example, metadata: { name: `${namespace}-example`, labels: { 'chaman.io/test-namespace': namespace } } };
      expect(await tryApply(mine, false)).toBe('');
      const listed = await kubectl(['get', 'csg', `${namespace}-example`]);
      expect(listed.stdout.split('\n')[0]).toMatch(/NAME\s+SENDERS\s+NAMESPACES\s+READY\s+AGE/);
      expect(listed.stdout).toMatch(/\["300010"\]\s+\["payroll"\]/);
      expect((await kubectl(['get', 'chaman', '-A'])).stdout).toContain(`${namespace}-example`);
    });

    it('accepts a selector alone, with every operator used right', async () => {
      const spec = { senderNumbers: ['300010'], namespaceSelector: { matchLabels: { team: 'payroll' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['prod'] }, { key: 'chaman.io/frozen', operator: 'DoesNotExist' }] } };
      expect(await tryApply(grant('selector', spec))).toBe('');
    });

    it.each([
      ['neither namespaces nor a selector', { senderNumbers: ['300010'] }, G.namespacesOrSelector.message],
      ['an empty namespaces list and no selector', { senderNumbers: ['300010'], namespaces: [] }, G.namespacesOrSelector.message],
      ['In without values', { senderNumbers: ['300010'], namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In' }] } }, M.valuesForInNotIn.message],
      ['Exists with values', { senderNumbers: ['300010'], namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Exists', values: ['x'] }] } }, M.noValuesForExists.message],
      ['an unknown operator', { senderNumbers: ['300010'], namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Equals', values: ['x'] }] } }, 'spec.namespaceSelector.matchExpressions[0].operator'],
      ['no sender number', { senderNumbers: [], namespaces: ['payroll'] }, 'spec.senderNumbers'],
      ['a sender number with a letter', { senderNumbers: ['30A010'], namespaces: ['payroll'] }, 'spec.senderNumbers[0]'],
      ['a namespace name that cannot exist', { senderNumbers: ['300010'], namespaces: ['Payroll'] }, 'spec.namespaces[0]'],
    ])('refuses %s', async (_name, spec, message) => {
      expect(await tryApply(grant('bad', spec))).toContain(message);
    });

    it('refuses a sender number listed twice (a set)', async () => {
      const refused = await tryCreate(grant('dup', { senderNumbers: ['300010', '300010'], namespaces: ['payroll'] }));
      expect(refused).toMatch(/^422 .*spec\.senderNumbers\[1\].*Duplicate value/);
    });
  });
});
