// Certificate files are user input (a Secret's tls.crt, a request body to the emulator): every shape
// below must cost about what a normal certificate file of the same size costs, end in the right R9
// finding (or the certificate), and never quote the input.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_CERTIFICATE_FILE_BYTES, MAX_PEM_BLOCKS, checkCertificate, type Finding, type RulePolicy } from '../../src/domain/index.ts';
import { makeCa, makeCertificate, secretRuns, type MadeCertificate } from '../support/certs.ts';
import { KiB, MiB, expectBoundedRatio, padTo, utf8 } from './timing.ts';

const policy: RulePolicy = { now: new Date(), sha1Cutoff: new Date(Date.now() + 86_400_000) };
const FIELD = 'spec.certificates[0].secretRef';
let leaf: MadeCertificate;

beforeAll(async () => {
  leaf = await makeCertificate({ ca: await makeCa(), key: 'p384' });
});

const check = (bytes: Uint8Array) => checkCertificate(bytes, 'REST', FIELD, policy);
/** A normal certificate file of `size` bytes: the leaf, then explanatory text. */
const normalOfSize = (size: number) => utf8(padTo(leaf.pem, size));
const errors = (findings: Finding[]) => findings.filter((f) => f.severity === 'error');

async function expectRefused(bytes: Uint8Array, message: RegExp): Promise<Finding> {
  const { certificate, findings } = await check(bytes);
  expect(certificate).toBeUndefined();
  const [finding] = errors(findings);
  expect(finding).toMatchObject({ rule: 'R9', field: FIELD, reason: 'InvalidCertificate' });
  expect(finding!.message).toMatch(message);
  return finding!;
}

/** An unterminated BEGIN line followed by dashes: the input that stalled the old regex quadratically. */
const beginThenDashes = (size: number) => utf8(`-----BEGIN ${'-'.repeat(size - 11)}`);

describe('the pathological PEM ("-----BEGIN " then dashes)', () => {
  it.each([32 * KiB, 64 * KiB])('%i bytes (under the cap): scanned in linear time, R9 "not a certificate"', async (size) => {
    const hostile = beginThenDashes(size);
    await expectBoundedRatio(`begin+dashes ${size / KiB} KiB`, () => check(hostile), () => check(normalOfSize(size)));
    await expectRefused(hostile, /^R9: this is not an X\.509 certificate/);
  });

  it.each([256 * KiB, MiB])('%i bytes (over the cap): refused by size before any parsing, the cap in the message', async (size) => {
    const hostile = beginThenDashes(size);
    await expectBoundedRatio(`begin+dashes ${size / KiB} KiB`, () => check(hostile), () => check(normalOfSize(size)));
    const finding = await expectRefused(hostile, /^R9: the certificate file is [\d,]+ bytes; the limit is 65,536 bytes \(64 KiB\)/);
    expect(finding.message).toMatch(/give the certificate alone/);
  });
});

describe('other hostile PEM shapes, each at the cap', () => {
  const size = MAX_CERTIFICATE_FILE_BYTES;
  const fill = (unit: string) => () => utf8(unit.repeat(Math.floor(size / unit.length)));
  const truncated = () => utf8(padTo(`-----BEGIN CERTIFICATE-----\n${leaf.pem.split('\n')[1]!}\n`, size, 'A'));
  const randomBlock = () => utf8(`-----BEGIN CERTIFICATE-----\n${randomBytes((size * 3) / 4 - 64).toString('base64')}\n-----END CERTIFICATE-----\n`);
  const tooMany = /^R9: the file holds more than 200 PEM blocks/;
  const notCertificate = /^R9: this is not an X\.509 certificate/;
  it.each([
    ['unterminated BEGIN lines', fill('-----BEGIN CERTIFICATE-----\n'), notCertificate],
    ['BEGIN lines of other labels', fill('-----BEGIN A-----'), notCertificate],
    ['END lines alone', fill('-----END CERTIFICATE-----\n'), notCertificate],
    ['long labels', fill(`-----BEGIN ${'A'.repeat(500)}`), notCertificate],
    ['a truncated certificate', truncated, notCertificate],
    ['mismatched END labels', fill('-----BEGIN CERTIFICATE-----\nAAAA\n-----END X509 CRL-----\n'), tooMany],
    ['blocks nested in blocks', fill('-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nAAAA\n'), notCertificate],
    ['nested blocks that end', fill('-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), tooMany],
    ['more PEM blocks than the cap', fill('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), tooMany],
    ['random bytes', () => new Uint8Array(randomBytes(size)), notCertificate],
    ['random base64 in a block', randomBlock, /^R9: the PEM certificate could not be read as an X\.509 certificate/],
  ] as const)('%s: linear, R9', async (label, make, message) => {
    const hostile = make();
    expect(hostile.length).toBeLessThanOrEqual(size);
    await expectBoundedRatio(label, () => check(hostile), () => check(normalOfSize(hostile.length)));
    await expectRefused(hostile, message);
  });

  it(`a bundle of ${MAX_PEM_BLOCKS} real certificates is over the size cap: R9 with the cap`, async () => {
    const bundle = utf8(leaf.pem.repeat(MAX_PEM_BLOCKS));
    expect(bundle.length).toBeGreaterThan(size);
    await expectBoundedRatio('200-certificate bundle', () => check(bundle), () => check(normalOfSize(bundle.length)));
    await expectRefused(bundle, /the limit is 65,536 bytes/);
  });

  it('a bundle that fits the cap is read as its leaf, in time linear in its size', async () => {
    const count = Math.floor(size / leaf.pem.length);
    const bundle = utf8(leaf.pem.repeat(count));
    await expectBoundedRatio('bundle under the cap', () => check(bundle), () => check(normalOfSize(bundle.length)));
    const { certificate } = await check(bundle);
    expect(certificate).toMatchObject({ format: 'PEM_BUNDLE', certificateCount: count });
  });
});

describe('hostile DER', () => {
  /** SEQUENCE { SEQUENCE { … } } nested `depth` times around `inner`, with definite lengths. */
  function nested(depth: number, inner: Uint8Array): Uint8Array {
    let out = inner;
    for (let i = 0; i < depth; i++) {
      const len = out.length;
      const header = len < 0x80 ? [0x30, len] : len < 0x100 ? [0x30, 0x81, len] : [0x30, 0x82, len >> 8, len & 0xff];
      out = new Uint8Array([...header, ...out]);
    }
    return out;
  }

  it.each([
    ['truncated', () => leaf.der.subarray(0, leaf.der.length - 100), /could not|not an X\.509/],
    ['a length that claims 2 GiB', () => new Uint8Array([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, ...leaf.der]), /not an X\.509/],
    ['deeply nested SEQUENCEs', () => nested(4000, new Uint8Array([0x05, 0x00])), /not an X\.509/],
    ['a certificate shape around nested SEQUENCEs', () => nested(1, new Uint8Array([...nested(4000, new Uint8Array([0x05, 0x00])), 0x30, 0x00, 0x03, 0x01, 0x00])), /could not be read/],
    ['over the cap', () => new Uint8Array([0x30, 0x83, 0x01, 0x00, 0x00, ...new Uint8Array(0x10000)]), /the limit is 65,536 bytes/],
  ] as const)('%s: linear, R9', async (label, make, message) => {
    const hostile = make();
    await expectBoundedRatio(label, () => check(hostile), () => check(normalOfSize(hostile.length)));
    await expectRefused(hostile, message);
  });
});

describe('messages never quote the input', () => {
  it('a private key padded to the cap and over it: R9, and no run of its bytes in any message', async () => {
    for (const size of [8 * KiB, 128 * KiB]) {
      const input = utf8(padTo(`${leaf.privateKeyPem}${leaf.pem}`, size));
      const { findings } = await check(input);
      const text = JSON.stringify(findings);
      for (const run of secretRuns(leaf.privateKeyPem)) expect(text).not.toContain(run);
      expect(findings.map((f) => f.rule)).toContain('R9');
    }
  });
});
