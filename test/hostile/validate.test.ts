// `validate` reads YAML a user wrote (a pull request, in CI): every shape below must cost about what
// normal manifests of the same size cost, end in a finding that names the problem, and never print
// a Secret's bytes. The yaml package's cost is per line as much as per byte, and a file of two-byte
// lines has ten times the lines of manifests of the same size: its bound is 10, which still tells a
// linear parse from the quadratic ones fixed here (a ratio of 60 and more at these sizes).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SHA1_CUTOFF } from '../../src/domain/types.ts';
import { validatePaths } from '../../src/validate/cli.ts';
import { MAX_ALIAS_COUNT, parseManifestStream } from '../../src/validate/load.ts';
import { MAX_DOCUMENT_BYTES, MAX_OBJECT_DATA_BYTES } from '../../src/validate/size-limits.ts';
import { makeCa, makeCertificate, type MadeCertificate } from '../support/certs.ts';
import { KiB, expectBoundedRatio, padTo } from './timing.ts';

// YAML is parsed at a few µs per byte: each case parses 256 KiB to 3 MiB several times.
vi.setConfig({ testTimeout: 120_000 });
const YAML_BOUND = 10;

const dir = mkdtempSync(join(tmpdir(), 'hostile-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const load = (text: string) => parseManifestStream('input.yaml', [Buffer.from(text)]);
/** Normal manifests of `size` bytes: small ConfigMaps, one after the other. */
function normalOfSize(size: number): string {
  const docs: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const doc = `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-${i}, namespace: team}\ndata: {a: "1", b: "2", c: "3"}\n`;
    docs.push(doc);
    length += doc.length;
  }
  return docs.join('');
}

const keys = (n: number, line: (i: number) => string) => Array.from({ length: n }, (_, i) => line(i)).join('');
const SIZE = 64 * KiB;
/** The duplicate-key check was quadratic: large enough that the old one shows it. */
const KEYS_SIZE = 512 * KiB;

describe('hostile YAML', () => {
  it.each([
    ['one mapping of 26,000 keys', () => `kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\ndata:\n${keys(KEYS_SIZE / 20, (i) => `  k${String(i).padStart(8, '0')}: value\n`)}`],
    ['one flow mapping of 21,000 keys', () => `kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\ndata: {${keys(KEYS_SIZE / 24, (i) => `k${String(i).padStart(6, '0')}: v, `)}}\n`],
    ['blank lines', () => `${'\n'.repeat(SIZE)}kind: ConfigMap\n`],
    ['comment lines', () => `${'#\n'.repeat(SIZE / 2)}kind: ConfigMap\n`],
    ['flow collections nested 32,000 deep', () => `${'['.repeat(SIZE / 2)}${']'.repeat(SIZE / 2)}\n`],
    ['block mappings nested 700 deep', () => `${keys(700, (i) => `${' '.repeat(i)}a:\n`)}${' '.repeat(700)}b: 1\n`],
    ['separator lines', () => '---\n'.repeat(SIZE / 4)],
  ] as const)('%s: linear, and read or refused with a YAML problem', async (label, make) => {
    const hostile = make();
    const normal = normalOfSize(hostile.length);
    await expectBoundedRatio(label, () => load(hostile), () => load(normal), YAML_BOUND);
    const loaded = await load(hostile);
    for (const problem of loaded.problems) expect(problem.message).toMatch(/^YAML/);
  });

  it('a key repeated in a mapping is still found, on its line', async () => {
    const loaded = await load('kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\ndata:\n  a: "1"\n  b: "2"\n  a: "3"\n');
    expect(loaded.problems).toEqual([expect.objectContaining({ message: 'YAML syntax: Map keys must be unique (line 7 repeats a key)' })]);
  });

  it(`aliases of aliases ("billion laughs") are refused past ${MAX_ALIAS_COUNT} expansions, quickly`, async () => {
    const lol = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [prev, name] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh', 'hi']) lol.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    const hostile = `kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\n${lol.join('\n')}\n`;
    // Against 4 KiB of manifests: at 400 bytes both sides are within the timer's noise.
    await expectBoundedRatio('billion laughs', () => load(hostile), () => load(normalOfSize(4 * KiB)), YAML_BOUND);
    const loaded = await load(hostile);
    expect(loaded.documents).toEqual([]);
    expect(loaded.problems[0]!.message).toMatch(/^YAML aliases: the document expands aliases more than 100 times/);
  });

  it('a document over the API server body limit is measured while streaming, not parsed', async () => {
    const hostile = `apiVersion: v1\nkind: Secret\nmetadata: {name: big}\ndata:\n${keys(1, () => `  x: ${'A'.repeat(MAX_DOCUMENT_BYTES + 1024)}\n`)}`;
    const normal = `apiVersion: v1\nkind: Secret\nmetadata: {name: big}\ndata:\n  x: ${'A'.repeat(MAX_DOCUMENT_BYTES - 1024)}\n`;
    await expectBoundedRatio('over 3 MiB', () => load(hostile), () => load(normal));
    const loaded = await load(hostile);
    expect(loaded.oversize).toEqual([expect.objectContaining({ kind: 'Secret', name: 'big' })]);
  });
});

describe('a Secret holding a hostile certificate, at and past 1 MiB', () => {
  const marker = 'hostile-marker-4b1d';
  let leaf: MadeCertificate;
  beforeAll(async () => {
    leaf = await makeCertificate({ ca: await makeCa(), key: 'p384' });
  });
  const account = `apiVersion: chaman.io/v1alpha1
kind: ChannelAccount
metadata: {name: rest, namespace: team}
spec:
  senderRef: {name: apk}
  type: REST
  permissions: [DimonaDeclaration]
  certificates: [{name: main, secretRef: {name: cert}}]
`;
  /** A ChannelAccount and the Secret it references, whose tls.crt is `crt`. */
  function secretFile(name: string, crt: string): string {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `${account}---\napiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: team}\ndata:\n  tls.crt: ${Buffer.from(crt).toString('base64')}\n`);
    return file;
  }
  /** `bytes` of a marker, then "-----BEGIN " and dashes. */
  const hostileCrt = (bytes: number) => `${marker}\n-----BEGIN ${'-'.repeat(bytes - marker.length - 12)}`;
  // The sender is not in the input: R1 warns about that, which is not what these cases are about.
  const errorRules = (findings: { rule: string; severity: string }[]) => findings.filter((f) => f.severity === 'error').map((f) => f.rule).sort();
  const run = (file: string) => validatePaths([file], { now: new Date(), sha1Cutoff: DEFAULT_SHA1_CUTOFF });

  it.each([
    ['exactly 1 MiB', MAX_OBJECT_DATA_BYTES, ['R9']],
    ['1 MiB and one byte', MAX_OBJECT_DATA_BYTES + 1, ['R9', 'SIZE']],
  ] as const)('%s: the certificate cap (R9) and the Secret cap (SIZE), and no byte of it printed', async (label, bytes, rules) => {
    const file = secretFile(`hostile-${bytes}`, hostileCrt(bytes));
    const normal = secretFile(`normal-${bytes}`, padTo(leaf.pem, bytes));
    await expectBoundedRatio(`Secret ${label}`, () => run(file), () => run(normal));
    const { findings } = await run(file);
    expect(errorRules(findings)).toEqual([...rules]);
    expect(findings.find((f) => f.rule === 'R9')!.message).toContain('the limit is 65,536 bytes (64 KiB)');
    expect(JSON.stringify(findings)).not.toContain(marker);
    expect(JSON.stringify(findings)).not.toContain('-'.repeat(32));
  });

  it('a hostile certificate under the cap costs no more than a normal one', async () => {
    const file = secretFile('hostile-small', hostileCrt(64 * KiB));
    const normal = secretFile('normal-small', padTo(leaf.pem, 64 * KiB));
    await expectBoundedRatio('Secret 64 KiB', () => run(file), () => run(normal));
    const { findings } = await run(file);
    expect(errorRules(findings)).toEqual(['R9']);
    expect(findings.find((f) => f.rule === 'R9')!.message).toMatch(/^R9: this is not an X\.509 certificate/);
    expect(JSON.stringify(findings)).not.toContain(marker);
  });
});
