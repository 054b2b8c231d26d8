// validate in a GitOps repository: Secrets encrypted with SOPS (files as sops 3.11 writes them),
// sealed with kubeseal, or filled by External Secrets. Keys still count; content checks are reported
// as not done (INFO), and `--decrypt-with sops` checks the plaintext without printing it.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { makeCertificate, secretRuns } from '../../../src/devtools/certificates.ts';
import { DEFAULT_SHA1_CUTOFF } from '../../../src/domain/types.ts';
import { validatePaths } from '../../../src/validate/cli.ts';
import type { Decrypter } from '../../../src/validate/load.ts';

// Several tests start a Node process (1–3 s alone, more when the machine is busy).
vi.setConfig({ testTimeout: 30_000 });

const root = join(import.meta.dirname, '..', '..', '..');
const FIXTURES = join(root, 'test', 'fixtures', 'gitops');

async function validate(dir: string, decrypt?: Decrypter) {
  const { findings } = await validatePaths([dir], { now: new Date(), sha1Cutoff: DEFAULT_SHA1_CUTOFF, decrypt });
  // Tenancy (no ChamanSenderGrant in the input) is not what these tests are about.
  return findings.filter((f) => f.rule !== 'TENANCY');
}

const brief = (f: { name: string; severity: string; rule: string; field: string }) => `${f.name} ${f.severity} ${f.rule} ${f.field}`;

/** A copy of the fixtures where the test may change a file. */
function fixtureCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'validate-gitops-'));
  cpSync(FIXTURES, dir, { recursive: true });
  return dir;
}

function cli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const run = spawnSync(process.execPath, [join(root, 'src', 'cli.ts'), 'validate', ...args], { cwd: root, encoding: 'utf8', env });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('validate on a GitOps repository', () => {
  it('accepts SOPS-encrypted, sealed and external Secrets, and says which content checks it could not do', async () => {
    const findings = await validate(FIXTURES);
    expect(findings.map(brief).sort()).toEqual(
      [
        'dimona-rest info R6-R10 spec.certificates[0].secretRef',
        'pensions-ftp info R5 spec.ftp.passwordSecretRef',
        'pensions-ftp info R6-R10 spec.certificates[0].secretRef',
        'pensions-sftp info R6-R10 spec.certificates[0].secretRef',
        'pensions-sftp info R17 spec.sftp.publicKeySecretRef',
      ].sort(),
    );
    const byName = (name: string, rule: string) => findings.find((f) => f.name === name && f.rule === rule)!.message;
    expect(byName('dimona-rest', 'R6-R10')).toBe(
      'R6–R10 (key, signature, issuer, format, validity) of certificate "certwk23" not checked: key "tls.crt" of Secret "dimona-rest-cert" is SOPS-encrypted; run validate with --decrypt-with sops to check it.',
    );
    expect(byName('pensions-ftp', 'R6-R10')).toContain('provided by SealedSecret wk23-ftp-cert');
    expect(byName('pensions-sftp', 'R17')).toContain('provided by ExternalSecret sftp-ssh-key');
  });

  it('exits 0 and prints the notices as INFO (the fixtures as they are in git)', () => {
    const run = cli(['-f', 'test/fixtures/gitops']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/base64/);
    expect(run.stdout).toMatch(/INFO R6-R10 ChannelAccount payroll\/dimona-rest spec\.certificates\[0\]\.secretRef: .*--decrypt-with sops/);
    expect(run.stdout).toMatch(/0 error\(s\), \d+ warning\(s\), 5 check\(s\) not done \(INFO\) — valid/);
  });

  it('still checks what needs no plaintext: a key missing from a SOPS Secret is an error', async () => {
    const dir = fixtureCopy();
    const accounts = readFileSync(join(dir, 'accounts.yaml'), 'utf8').replace('secretRef: { name: dimona-rest-cert }', 'secretRef: { name: dimona-rest-cert, key: ca.crt }');
    writeFileSync(join(dir, 'accounts.yaml'), accounts);
    const findings = await validate(dir);
    const missing = findings.find((f) => f.name === 'dimona-rest' && f.severity === 'error');
    expect(missing).toMatchObject({ rule: 'SCHEMA', field: 'spec.certificates[0].secretRef' });
    expect(missing!.message).toContain('Secret "dimona-rest-cert" has no key "ca.crt"');
  });

  it('refuses a kubernetes.io/tls Secret without tls.key, encrypted or sealed', async () => {
    const dir = fixtureCopy();
    const sops = readFileSync(join(dir, 'secrets.sops.yaml'), 'utf8').replace(/^ {4}tls\.key: ENC\[.*\]\n/m, '');
    writeFileSync(join(dir, 'secrets.sops.yaml'), sops);
    const sealed = readFileSync(join(dir, 'sealed-secret.yaml'), 'utf8').replace(/^ {4}tls\.key: .*\n/m, '');
    writeFileSync(join(dir, 'sealed-secret.yaml'), sealed);
    const errors = (await validate(dir)).filter((f) => f.severity === 'error');
    expect(errors.map(brief).sort()).toEqual(['dimona-rest-cert error SCHEMA data', 'wk23-ftp-cert error SCHEMA spec.encryptedData']);
    expect(errors[0]!.message).toContain('tls.key');
  });

  it('says so when SOPS encrypted a document\'s kind and name (sops without encrypted_regex)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'validate-sops-all-'));
    const enc = (data: string) => `ENC[AES256_GCM,data:${Buffer.from(data).toString('base64')},iv:${'A'.repeat(43)}=,tag:${'B'.repeat(22)}==,type:str]`;
    writeFileSync(
      join(dir, 'all.sops.yaml'),
      `apiVersion: ${enc('v1')}\nkind: ${enc('Secret')}\nmetadata:\n    name: ${enc('x')}\ndata:\n    tls.crt: ${enc('AAAA')}\nsops:\n    lastmodified: "2026-12-02T04:07:45Z"\n    mac: ${enc('mac')}\n    version: 3.11.0\n`,
    );
    expect((await validate(dir)).map((f) => `${f.severity} ${f.rule} ${f.kind} ${f.name}`)).toEqual(['info ENCRYPTED (SOPS-encrypted) (SOPS-encrypted)']);
  });
});

describe('validate --decrypt-with sops', () => {
  /** A `sops` on PATH that answers `--decrypt -- FILE` with FILE.plain, and records its calls. */
  function fakeSops(): string {
    const bin = mkdtempSync(join(tmpdir(), 'fake-sops-'));
    writeFileSync(
      join(bin, 'sops'),
      `#!/bin/sh\necho "$@" >> "${bin}/calls"\n[ "$1" = "--decrypt" ] && [ "$2" = "--" ] || exit 64\nif [ -f "$3.plain" ]; then cat "$3.plain"; else echo "Failed to get the data key required to decrypt the SOPS file." >&2; exit 128; fi\n`,
    );
    chmodSync(join(bin, 'sops'), 0o755);
    return bin;
  }

  it('checks the plaintext (an expired certificate, a weak password) and never prints it', async () => {
    const dir = fixtureCopy();
    const expired = await makeCertificate({ freshKey: true, notBefore: new Date(Date.now() - 400 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const password = 'weakpassword1';
    writeFileSync(
      join(dir, 'secrets.sops.yaml.plain'),
      [
        'apiVersion: v1\nkind: Secret\nmetadata:\n    name: dimona-rest-cert\n    namespace: payroll\ntype: kubernetes.io/tls\ndata:',
        `    tls.crt: ${Buffer.from(expired.pem).toString('base64')}\n    tls.key: ${Buffer.from(expired.privateKeyPem).toString('base64')}`,
        '---\napiVersion: v1\nkind: Secret\nmetadata:\n    name: wk23-ftp-password\n    namespace: payroll\nstringData:',
        `    password: ${password}\n`,
      ].join('\n'),
    );
    const bin = fakeSops();
    const run = cli(['-f', dir, '--decrypt-with', 'sops', '-o', 'json'], { ...process.env, PATH: `${bin}:${process.env.PATH}` });
    expect(run.code).toBe(1);
    const findings = (JSON.parse(run.stdout) as { findings: { name: string; severity: string; rule: string; field: string }[] }).findings;
    const errors = findings.filter((f) => f.severity === 'error').map(brief);
    expect(errors).toContain('dimona-rest error R10 spec.certificates[0].secretRef');
    expect(errors).toContain('pensions-ftp error R5 spec.ftp.passwordSecretRef');
    // SOPS notices are gone; the sealed and external ones stay.
    expect(findings.filter((f) => f.severity === 'info').map(brief).sort()).toEqual([
      'pensions-ftp info R6-R10 spec.certificates[0].secretRef',
      'pensions-sftp info R17 spec.sftp.publicKeySecretRef',
      'pensions-sftp info R6-R10 spec.certificates[0].secretRef',
    ]);
    expect(readFileSync(join(bin, 'calls'), 'utf8').trim()).toBe(`--decrypt -- ${join(dir, 'secrets.sops.yaml')}`);
    const out = run.stdout + run.stderr;
    expect(out).not.toContain(password);
    for (const piece of [...secretRuns(expired.privateKeyPem), ...secretRuns(expired.pem)]) {
      if (out.includes(piece)) throw new Error('validate printed a piece of the decrypted Secret');
    }
  });

  it('a file sops cannot decrypt is an error that says what to do (exit 1)', () => {
    const bin = fakeSops();
    const run = cli(['-f', 'test/fixtures/gitops', '--decrypt-with', 'sops'], { ...process.env, PATH: `${bin}:${process.env.PATH}` });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/secrets\.sops\.yaml:1 .*ERROR ENCRYPTED .*Failed to get the data key.*SOPS_AGE_KEY_FILE/);
  });

  it('without a sops binary on PATH it is a usage error (exit 2)', () => {
    const run = cli(['-f', 'test/fixtures/gitops', '--decrypt-with', 'sops'], { ...process.env, PATH: mkdtempSync(join(tmpdir(), 'empty-path-')) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no sops binary on PATH');
  });
});
