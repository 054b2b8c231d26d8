// validate refuses what the API server refuses for size, and reads huge inputs in bounded memory.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SHA1_CUTOFF } from '../../../src/domain/types.ts';
import { validatePaths } from '../../../src/validate/cli.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const MiB = 1024 * 1024;

async function validateText(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'validate-size-'));
  writeFileSync(join(dir, 'input.yaml'), text);
  return (await validatePaths([dir], { now: new Date(), sha1Cutoff: DEFAULT_SHA1_CUTOFF })).findings;
}

const secret = (name: string, body: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: payroll\n${body}`;

describe('size limits', () => {
  it('a Secret with more than 1 MiB of data is an error naming the object and the limit', async () => {
    const findings = await validateText(secret('big', `stringData:\n  a: ${'x'.repeat(MiB / 2)}\n  b: ${'y'.repeat(MiB / 2 + 1)}\n`));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'Secret', namespace: 'payroll', name: 'big', rule: 'SIZE', severity: 'error', field: 'data' });
    expect(findings[0]!.file).toMatch(/input\.yaml$/);
    expect(findings[0]!.message).toContain('holds 1,048,577 bytes');
    expect(findings[0]!.message).toContain('more than 1,048,576 bytes (1 MiB)');
  });

  it('exactly 1 MiB is accepted; data counts decoded bytes, and stringData replaces a key of data', async () => {
    const exact = Buffer.alloc(MiB - 3, 1).toString('base64');
    expect(await validateText(secret('exact', `data:\n  a: ${exact}\n  b: AAAA\nstringData:\n  b: xyz\n`))).toEqual([]);
  });

  it('a ConfigMap over 1 MiB (data and binaryData together) is an error', async () => {
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: payroll}\ndata:\n  a: ${'x'.repeat(MiB - 10)}\nbinaryData:\n  b: ${Buffer.alloc(12).toString('base64')}\n`;
    const findings = await validateText(text);
    expect(findings.map((f) => `${f.kind} ${f.name} ${f.rule}`)).toEqual(['ConfigMap cm SIZE']);
  });

  it('a SOPS-encrypted Secret is measured from its ciphertext (AES-GCM keeps the length)', async () => {
    const ciphertext = Buffer.alloc(2 * MiB).toString('base64'); // the plaintext: 2 MiB of base64 text, ~1.5 MiB of data
    const body = `data:\n  blob: ENC[AES256_GCM,data:${ciphertext},iv:${'A'.repeat(43)}=,tag:${'B'.repeat(22)}==,type:str]\nsops:\n  mac: ENC[AES256_GCM,data:AA==,iv:${'A'.repeat(43)}=,tag:${'B'.repeat(22)}==,type:str]\n  version: 3.11.0\n`;
    const findings = await validateText(secret('encrypted-big', body));
    expect(findings.map((f) => `${f.name} ${f.rule}`)).toEqual(['encrypted-big SIZE']);
    expect(findings[0]!.message).toContain('holds about 1,572,864 bytes');
  });

  it('a document over 3 MiB is measured, not parsed, and still named', async () => {
    const huge = secret('huge', `data:\n  blob: ${'A'.repeat(4 * MiB)}\n`);
    const findings = await validateText(`kind: Namespace\napiVersion: v1\nmetadata: {name: payroll}\n---\n${huge}`);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ document: 2, line: 5, kind: 'Secret', namespace: 'payroll', name: 'huge', rule: 'SIZE', severity: 'error' });
    expect(findings[0]!.message).toContain(`this document is ${huge.length.toLocaleString('en-US')} bytes; the API server refuses a request body over 3,145,728 bytes`);
    expect(findings[0]!.message).toContain('at most 1,048,576 bytes (1 MiB) of data');
  });

  it('a 60 MB Secret: exit 1 with the limit, in bounded memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'validate-60mb-'));
    const file = join(dir, 'big-secret.yaml');
    const out = createWriteStream(file);
    out.write(secret('big', 'type: Opaque\ndata:\n  blob: |\n'));
    const line = `    ${'QUJD'.repeat(19)}\n`; // base64 wrapped at 76 columns, as base64(1) writes it
    for (let written = 0; written < 60e6; written += line.length) out.write(line);
    await new Promise((resolve) => out.end(resolve));

    // maxRSS of the validate process itself, printed on exit (kB on Linux).
    const report = 'data:text/javascript,process.on("exit",()=>process.stderr.write("maxrss "+process.resourceUsage().maxRSS+"\\n"))';
    const run = spawnSync(process.execPath, ['--import', report, join(root, 'src', 'cli.ts'), 'validate', '-f', file], { cwd: root, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/ERROR SIZE Secret payroll\/big .*over 3,145,728 bytes/);
    const maxRssKb = Number(/maxrss (\d+)/.exec(run.stderr)![1]);
    // Parsing it whole took 650 MB (2.3 GB reported in issue 12); streaming stays near the ~110 MB of a small input.
    expect(maxRssKb).toBeLessThan(250_000);
  }, 60_000);
});
