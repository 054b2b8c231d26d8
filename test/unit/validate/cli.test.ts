import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// Each test starts a Node process (1–3 s alone, more when the machine is busy).
vi.setConfig({ testTimeout: 30_000 });

const root = join(import.meta.dirname, '..', '..', '..');

function validate(...args: string[]) {
  const run = spawnSync(process.execPath, [join(root, 'src', 'cli.ts'), 'validate', ...args], { cwd: root, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

interface Row {
  file: string;
  name: string;
  field: string;
  rule: string;
  severity: string;
  message: string;
}

describe('chaman-operator validate', () => {
  it('accepts the examples (exit 0)', () => {
    const run = validate('-f', 'examples/');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/0 error\(s\)/);
  });

  it('reports one finding per problem in the broken manifests, naming the rule and the field (exit 1)', () => {
    const run = validate('-f', 'test/fixtures/broken', '--output', 'json');
    expect(run.code).toBe(1);
    const rows = (JSON.parse(run.stdout) as { findings: Row[] }).findings;
    const got = rows.map((r) => `${r.name} ${r.severity} ${r.rule} ${r.field}`).sort();
    expect(got).toEqual(
      [
        'bad-email error R1 spec.contact.email',
        'bad-language error R1 spec.contact.language',
        'bad-number error SCHEMA spec.senderNumber',
        'bad-username error R4 spec.ftp.username',
        'soap-with-permissions error R11 spec.permissions',
        'unknown-permission error R11 spec.permissions[1]',
        'permission-not-allowed error R11 spec.permissions[0]',
        'soap-two-certificates error R3 spec.certificates',
        'intermediary-with-certificate error R15 spec.certificates',
        'ftp-without-section error SCHEMA spec.ftp',
        'dangling-sender warning R1 spec.senderRef.name',
        'soap-second error R2 spec.type',
        'ftp-weak-password error R5 spec.ftp.passwordSecretRef',
        'ftp-weak-password error R9 spec.certificates[0].secretRef',
      ].sort(),
    );
    for (const row of rows) {
      expect(row.message.length).toBeGreaterThan(20);
      expect(row.file).toMatch(/test\/fixtures\/broken\/.+\.yaml$/);
    }
  });

  it('text output names file, line, rule and field', () => {
    const run = validate('-f', 'test/fixtures/broken/duplicates.yaml');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/duplicates\.yaml:\d+ \(document 2\) ERROR R2 ChannelAccount other\/soap-second spec\.type: /);
  });

  it('never prints a secret value', () => {
    const run = validate('-f', 'test/fixtures/broken/secrets.yaml', '-o', 'json');
    expect(run.stdout + run.stderr).not.toContain('abcdefgh1');
    expect(run.stdout + run.stderr).not.toContain('bm90IGEgY2VydGlmaWNhdGU');
    expect(run.stdout + run.stderr).not.toContain('not a certificate');
  });

  it('never prints any part of a private key or a token given where a certificate or key belongs', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { makeCertificate, makeSshKey, secretRuns } = await import('../../../src/devtools/certificates.ts');
    const cert = await makeCertificate({ freshKey: true });
    const ssh = makeSshKey('ed25519');
    const dir = mkdtempSync(join(tmpdir(), 'validate-keys-'));
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    writeFileSync(
      join(dir, 'keys.yaml'),
      [
        'apiVersion: v1\nkind: Secret\nmetadata: {name: key-as-cert, namespace: p}\ntype: kubernetes.io/tls',
        `data:\n  tls.crt: ${b64(cert.privateKeyPem)}\n  tls.key: ${b64(cert.privateKeyPem)}`,
        '---\napiVersion: v1\nkind: Secret\nmetadata: {name: ssh, namespace: p}',
        `stringData:\n  ssh-publickey: ${JSON.stringify(ssh.privateOpenSsh)}`,
        '---\napiVersion: chaman.io/v1alpha1\nkind: ChannelAccount\nmetadata: {name: a, namespace: p}',
        'spec: {senderRef: {name: s}, type: SFTP, permissions: [SupplementaryPensionsPreload], certificates: [{name: c, secretRef: {name: key-as-cert}}], sftp: {username: WK23, publicKeySecretRef: {name: ssh}}}',
      ].join('\n'),
    );
    const run = validate('-f', dir, '-o', 'json');
    expect(run.code).toBe(1);
    const rules = (JSON.parse(run.stdout) as { findings: Row[] }).findings.map((f) => `${f.rule} ${f.field}`);
    expect(rules).toContain('R9 spec.certificates[0].secretRef');
    expect(rules).toContain('R17 spec.sftp.publicKeySecretRef');
    const out = run.stdout + run.stderr;
    for (const piece of [...secretRuns(cert.privateKeyPem), ...secretRuns(ssh.privateOpenSsh)]) {
      if (out.includes(piece)) throw new Error('validate printed a piece of a private key');
    }
  });

  it.each([
    [['-f'], 'argument missing'],
    [[], 'no path'],
    [['-f', 'examples', '--output', 'xml'], 'bad format'],
    [['-f', 'does/not/exist'], 'missing file'],
    [['--nope'], 'unknown flag'],
  ])('exits 2 on usage or I/O errors: %j (%s)', (args) => {
    const run = validate(...(args as string[]));
    expect(run.code).toBe(2);
    expect(run.stderr.length).toBeGreaterThan(0);
  });

  it('reports YAML syntax errors as findings with the file (exit 1)', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'validate-'));
    writeFileSync(join(dir, 'bad.yaml'), 'kind: ChamanSender\nspec: [unclosed\n');
    const run = validate('-f', dir, '-o', 'json');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).findings[0].file).toBe(join(dir, 'bad.yaml'));
  });
});
