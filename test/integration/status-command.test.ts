// `chaman-operator status` as a user runs it (a child process with a kubeconfig), against the real
// control plane while the in-process operator reconciles: the tree, the exit codes (0 all Ready, 1 one
// account not Ready, 2 usage or I/O), -o json, --watch until a change, and no Secret value in any output.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelAccount } from '../../src/api/types.generated.ts';
import { makeCa, makeCertificate, makeFtpPassword } from '../../src/devtools/certificates.ts';
import type { StatusView } from '../../src/status/view.ts';
import { kubeconfigPath, waitFor } from './support/cluster.ts';
import { kubectl, serviceAccountKubeconfig, toYaml } from './support/rbac-checks.ts';
import { account, harnessWithSender, stopHarness, stringSecret, tlsSecret, type Harness } from './support/operator.ts';

const root = join(import.meta.dirname, '..', '..');
let h: Harness;
const secretValues: string[] = [];

/** Runs the command without blocking this process (the operator under test runs in it). */
function status(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'src', 'cli.ts'), 'status', ...args], { cwd: root, env: { ...process.env, KUBECONFIG: kubeconfigPath() } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

function expectNoSecretValue(output: string): void {
  for (const value of secretValues) {
    expect(output).not.toContain(value);
    expect(output).not.toContain(Buffer.from(value).toString('base64'));
  }
  expect(output).not.toContain('PRIVATE KEY');
}

const ftpSpec = { type: 'FTP', permissions: ['SupplementaryPensionsPreload'], certificates: [{ name: 'ftp-cert', secretRef: { name: 'ftp-cert' } }], ftp: { username: 'WK23', passwordSecretRef: { name: 'ftp-pass' } } };
const restSpec = (secretName: string) => ({ type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'rest-cert', secretRef: { name: secretName } }] });

beforeAll(async () => {
  h = await harnessWithSender('status');
  const ca = await makeCa();
  const ftpCert = await makeCertificate({ ca, freshKey: true, subject: 'C=BE, O=APK, CN=ftp' });
  const restCert = await makeCertificate({ ca, freshKey: true, subject: 'C=BE, O=APK, CN=rest' });
  const password = makeFtpPassword();
  secretValues.push(password, ftpCert.privateKeyPem, restCert.privateKeyPem);
  await h.apply(tlsSecret('ftp-cert', ftpCert.pem, ftpCert.privateKeyPem));
  await h.apply(tlsSecret('rest-cert', restCert.pem, restCert.privateKeyPem));
  await h.apply(stringSecret('ftp-pass', { password }));
  await h.apply(account('ftp', ftpSpec));
  await h.apply(account('rest', restSpec('rest-cert')));
  await h.waitForCondition('ChannelAccount', 'ftp', 'Ready', 'True');
  await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
});

afterAll(() => stopHarness(h));

describe('chaman-operator status', () => {
  it('a Ready sender with its accounts: the whole tree, exit 0, no Secret value', async () => {
    const rest = (await h.get<ChannelAccount>('ChannelAccount', 'rest'))!;
    const run = await status('sender', 'apk', '-n', h.namespace);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(new RegExp(`^ChamanSender ${h.namespace}/apk \\(sender 300010\\): Ready\n`));
    expect(out).toContain(`├─ ChannelAccount ${h.namespace}/ftp FTP: Ready`);
    expect(out).toContain(`└─ ChannelAccount ${h.namespace}/rest REST: Ready`);
    expect(out).toContain(`held by Chaman: serial ${rest.status!.certificates![0]!.serialNumber}`);
    expect(out).toMatch(/Secret ftp-pass key password \(ftp-password\): present; keys password; resourceVersion \d+/);
    expect(out).toMatch(/Secret rest-cert key tls.crt \(certificate\): present; keys tls.crt, tls.key; resourceVersion \d+/);
    expect(out).toMatch(/Ready=True Available \(generation 1, since /);
    expect(out).toContain(`Chaman last read: ${rest.status!.lastSyncTime!.replace(/\.\d+Z$/, 'Z')}`);
    expect(out).toMatch(/events \(newest first\):\n/);
    expect(out).toMatch(/ Normal Created: /);
    expect(out.trimEnd().split('\n').at(-1)).toBe('Ready: all 3 object(s) shown are Ready.');
    expectNoSecretValue(out);
  });

  it('-o json: the same tree, with generations, lastSyncTime, the next expiry and events', async () => {
    const run = await status('account', 'rest', '-n', h.namespace, '-o', 'json');
    expect(run.code).toBe(0);
    const view = JSON.parse(run.stdout) as StatusView;
    expect(view).toMatchObject({ formatVersion: '1', namespace: h.namespace, ready: true, nextCertificateExpiry: expect.any(String) });
    const [sender] = view.senders;
    expect(sender).toMatchObject({ name: 'apk', senderNumber: '300010', ready: true });
    expect(sender!.accounts.map((a) => a.name)).toEqual(['rest']);
    const rest = sender!.accounts[0]!;
    expect(rest.generation).toBe(rest.observedGeneration);
    expect(rest.lastSyncTime).toEqual(expect.any(String));
    expect(rest.events.length).toBeGreaterThan(0);
    expect(rest.certificates[0]).toMatchObject({ name: 'rest-cert', inSpec: true, secret: { name: 'rest-cert', found: true }, held: { serialNumber: expect.stringMatching(/^\d+$/) } });
    expectNoSecretValue(run.stdout);
  });

  it('a forced reconcile: the value requested and status.lastHandledReconcileAt, once the operator answered it', async () => {
    const requested = new Date().toISOString();
    await h.apply({ ...account('ftp', ftpSpec), metadata: { name: 'ftp', annotations: { 'chaman.io/reconcile-requested-at': requested } } });
    await waitFor('the forced reconcile handled', async () => (await h.get<ChannelAccount>('ChannelAccount', 'ftp'))?.status?.lastHandledReconcileAt === requested, 30_000, 200);
    const run = await status('ca/ftp', '-n', h.namespace);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`reconcile requested at: ${requested}; last handled: ${requested}`);
  });

  it('one account not Ready: exit 1 with its condition\'s full message; --watch prints the fix and exits 0', async () => {
    await h.apply(account('rest', restSpec('no-such-secret')));
    const broken = await h.waitForCondition<ChannelAccount>('ChannelAccount', 'rest', 'Ready', 'False');
    const message = broken.status!.conditions!.find((c) => c.type === 'Ready')!.message;
    const all = await status('-n', h.namespace, '--all');
    expect(all.code).toBe(1);
    expect(all.stdout).toContain(`ChannelAccount ${h.namespace}/rest REST: NOT READY`);
    expect(all.stdout).toContain(message);
    expect(all.stdout).toContain('Secret no-such-secret key tls.crt (certificate): NOT FOUND');
    expect(all.stdout.trimEnd().split('\n').at(-1)).toBe('Not ready: 1 of 3 object(s): ChannelAccount rest.');
    expect((await status('account', 'ftp', '-n', h.namespace)).code).toBe(0);

    const watch = spawn(process.execPath, [join(root, 'src', 'cli.ts'), 'status', 'ca/rest', '-n', h.namespace, '-o', 'json', '--watch', '--interval', '300ms', '--kubeconfig', kubeconfigPath()], { cwd: root });
    const views: StatusView[] = [];
    let buffer = '';
    watch.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        views.push(JSON.parse(buffer.slice(0, i)) as StatusView);
        buffer = buffer.slice(i + 1);
      }
    });
    const exited = new Promise<number | null>((resolve) => watch.on('exit', (code) => resolve(code)));
    await waitFor('the first view, not ready', () => views[0] && !views[0].ready, 30_000);
    await h.apply(account('rest', restSpec('rest-cert')));
    await waitFor('a view printed after the fix, ready', () => views.some((v) => v.ready), 60_000, 200);
    watch.kill('SIGINT');
    expect(await exited).toBe(0);
    expectNoSecretValue(JSON.stringify(views));
  });

  it('with the read rights the view role gives (no Secrets): Secrets show as not readable, exit 0; the namespace comes from the context', async () => {
    const ns = h.namespace;
    const rules = [
      { apiGroups: ['chaman.io'], resources: ['chamansenders', 'channelaccounts'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
    ];
    await kubectl(kubeconfigPath(), ['apply', '-f', '-'], toYaml([
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'viewer', namespace: ns } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'viewer', namespace: ns }, rules },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'viewer', namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'viewer' }, subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: ns }] },
    ]));
    const file = await serviceAccountKubeconfig(kubeconfigPath(), mkdtempSync(join(tmpdir(), 'status-')), ns, 'viewer');
    const config = JSON.parse(readFileSync(file, 'utf8')) as { contexts: { context: { namespace?: string } }[] };
    config.contexts[0]!.context.namespace = ns;
    writeFileSync(file, JSON.stringify(config));
    const run = await status('sender', 'apk', '--kubeconfig', file);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Secret ftp-pass key password (ftp-password): not readable with your credentials');
    expect(run.stdout).toMatch(/events \(newest first\):/);
  });

  it('not found is not Ready (1); usage and I/O errors are 2', async () => {
    const ghost = await status('account', 'ghost', '-n', h.namespace);
    expect(ghost.code).toBe(1);
    expect(ghost.stdout).toContain(`ChannelAccount ${h.namespace}/ghost not found`);
    expect((await status('-n', h.namespace)).code).toBe(2);
    expect((await status('cs/apk', '-n', h.namespace, '--kubeconfig', '/nonexistent/kubeconfig')).stderr).toContain('no file /nonexistent/kubeconfig');
    const unreachable = join(mkdtempSync(join(tmpdir(), 'status-')), 'kubeconfig');
    writeFileSync(unreachable, readFileSync(kubeconfigPath(), 'utf8').replace(/server: https:\/\/[^\s]+/, 'server: https://127.0.0.1:1'));
    const io = await status('cs/apk', '-n', h.namespace, '--kubeconfig', unreachable);
    expect(io.code).toBe(2);
    expect(io.stderr).toMatch(new RegExp(`cannot read namespace ${h.namespace}: .*request failed`));
  });
});
