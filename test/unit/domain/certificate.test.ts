import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateFormatError,
  certificateDetails,
  checkCertificate,
  containsPrivateKey,
  detectCertificateFormat,
  inspectCertificate,
  toDer,
  type Finding,
  type RulePolicy,
} from '../../../src/domain/index.ts';
import { makeCa, makeCertificate, makePkcs12, secretRuns, type MadeCa } from '../../support/certs.ts';

const DAY = 86_400_000;
const NOW = new Date();
const policy: RulePolicy = { now: NOW, sha1Cutoff: new Date(NOW.getTime() + 30 * DAY) };
const afterCutoff: RulePolicy = { now: NOW, sha1Cutoff: new Date(NOW.getTime() - DAY) };
const text = (s: string) => new TextEncoder().encode(s);
const rules = (findings: Finding[]) => findings.filter((f) => f.severity === 'error').map((f) => f.rule);

let ca: MadeCa;
beforeAll(async () => {
  ca = await makeCa();
});

describe('R6 key', () => {
  it.each([
    ['rsa2048', true, 'RSA-2048'],
    ['rsa3072', true, 'RSA-3072'],
    ['rsa4096', true, 'RSA-4096'],
    ['p384', true, 'EC-P384'],
    ['p521', true, 'EC-P521'],
    ['rsa1024', false, 'RSA-1024'],
    ['p256', false, 'EC-P256'],
    ['ed25519', false, 'Ed25519'],
  ] as const)('%s: accepted=%s', async (key, ok, label) => {
    const cert = await makeCertificate({ ca, key });
    const { certificate, findings } = await checkCertificate(cert.der, 'SOAP', 'spec.certificates[0]', policy);
    expect(certificate!.details.keyAlgorithm).toBe(label);
    if (ok) {
      expect(findings).toEqual([]);
    } else {
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ rule: 'R6', field: 'spec.certificates[0]', severity: 'error', reason: 'InvalidCertificate' });
      expect(findings[0]!.message).toContain(label);
      expect(findings[0]!.message).toMatch(/RSA 2048, 3072 or 4096 bits, or EC P-384 or P-521/);
    }
  }, 30_000);

  it('reports key type, size and curve', async () => {
    const rsa = await inspectCertificate((await makeCertificate({ ca, key: 'rsa3072' })).der);
    expect(rsa).toMatchObject({ keyType: 'RSA', keySize: 3072 });
    const ec = await inspectCertificate((await makeCertificate({ ca, key: 'p521' })).der);
    expect(ec).toMatchObject({ keyType: 'EC', curve: 'P-521', keySize: 521 });
    const ed = await inspectCertificate((await makeCertificate({ key: 'ed25519' })).der);
    expect(ed).toMatchObject({ keyType: 'Ed25519', signatureHash: 'Ed25519' });
  });

  it('an Ed25519 self-signed certificate fails R6 and R7 on REST', async () => {
    const cert = await makeCertificate({ key: 'ed25519' });
    const { findings } = await checkCertificate(cert.der, 'REST', 'c', policy);
    expect(rules(findings)).toEqual(['R6', 'R7']);
  });
});

describe('R7 signature', () => {
  it.each(['SHA-256', 'SHA-384', 'SHA-512'] as const)('%s is accepted', async (hash) => {
    const cert = await makeCertificate({ ca, key: 'rsa2048', hash });
    const { certificate, findings } = await checkCertificate(cert.der, 'REST', 'c', policy);
    expect(findings).toEqual([]);
    expect(certificate!.details.signatureAlgorithm).toBe(hash);
  });

  it('ECDSA signatures report their hash', async () => {
    const p384ca = await makeCa({ key: 'p384' });
    const cert = await makeCertificate({ ca: p384ca, key: 'p384', hash: 'SHA-384' });
    const { certificate, findings } = await checkCertificate(cert.der, 'SFTP', 'c', policy);
    expect(findings).toEqual([]);
    expect(certificate!.signatureHash).toBe('SHA-384');
  });

  it('SHA-1 is always refused for REST', async () => {
    const cert = await makeCertificate({ ca, hash: 'SHA-1' });
    for (const p of [policy, afterCutoff]) {
      const { findings } = await checkCertificate(cert.der, 'REST', 'c', p);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ rule: 'R7', severity: 'error' });
      expect(findings[0]!.message).toMatch(/REST/);
    }
  });

  it('SHA-1 on SOAP: a warning before the cut-off, an error from it', async () => {
    const cert = await makeCertificate({ ca, hash: 'SHA-1' });
    const before = await checkCertificate(cert.der, 'SOAP', 'c', policy);
    expect(before.findings).toHaveLength(1);
    expect(before.findings[0]).toMatchObject({ rule: 'R7', severity: 'warning' });
    expect(before.findings[0]!.message).toContain(policy.sha1Cutoff.toISOString().slice(0, 10));
    const at = await checkCertificate(cert.der, 'SOAP', 'c', { now: NOW, sha1Cutoff: NOW });
    expect(at.findings[0]).toMatchObject({ rule: 'R7', severity: 'error' });
    const after = await checkCertificate(cert.der, 'FTP', 'c', afterCutoff);
    expect(after.findings[0]).toMatchObject({ rule: 'R7', severity: 'error' });
  });
});

describe('R8 self-signed', () => {
  it('REST: accepted with digitalSignature', async () => {
    const cert = await makeCertificate({ key: 'rsa2048', keyUsage: ['digitalSignature', 'keyEncipherment'] });
    const { certificate, findings } = await checkCertificate(cert.der, 'REST', 'c', policy);
    expect(findings).toEqual([]);
    expect(certificate).toMatchObject({ selfSigned: true, keyUsageDigitalSignature: true });
    expect(certificate!.details.selfSigned).toBe(true);
  });

  it('REST: refused without digitalSignature, and without a key usage extension', async () => {
    for (const keyUsage of [['keyEncipherment'] as const, null]) {
      const cert = await makeCertificate({ key: 'rsa2048', keyUsage: keyUsage === null ? null : [...keyUsage] });
      const { findings } = await checkCertificate(cert.der, 'REST', 'c', policy);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ rule: 'R8', severity: 'error' });
      expect(findings[0]!.message).toMatch(/digitalSignature/);
    }
  });

  it.each(['SOAP', 'FTP', 'SFTP'] as const)('%s: self-signed refused even with digitalSignature', async (type) => {
    const cert = await makeCertificate({ key: 'rsa2048' });
    const { findings } = await checkCertificate(cert.der, type, 'c', policy);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'R8', severity: 'error' });
    expect(findings[0]!.message).toMatch(/CA-issued/);
  });

  it('a CA-issued ("global signed") certificate is fine on every type, key usage or not', async () => {
    const cert = await makeCertificate({ ca, keyUsage: null });
    for (const type of ['FTP', 'SFTP', 'SOAP', 'REST'] as const) {
      const { certificate, findings } = await checkCertificate(cert.der, type, 'c', policy);
      expect(findings).toEqual([]);
      expect(certificate!.selfSigned).toBe(false);
      expect(certificate!.keyUsageDigitalSignature).toBeUndefined();
    }
  });

  it('a CA certificate uploaded as such counts as self-signed', async () => {
    const { findings } = await checkCertificate(ca.der, 'SOAP', 'c', policy);
    expect(rules(findings)).toEqual(['R8']);
  });
});

describe('R10 validity window', () => {
  const notBefore = new Date('2026-02-16T10:00:00Z');
  const notAfter = new Date('2027-02-16T10:00:00Z');
  const at = (iso: string): RulePolicy => ({ now: new Date(iso), sha1Cutoff: new Date('2026-01-01T00:00:00Z') });
  let der: Uint8Array;
  beforeAll(async () => {
    der = (await makeCertificate({ ca, notBefore, notAfter })).der;
  });

  it('not yet valid one second before notBefore', async () => {
    const { findings } = await checkCertificate(der, 'REST', 'c', at('2026-02-16T09:59:59Z'));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'R10', severity: 'error' });
    expect(findings[0]!.message).toMatch(/not valid yet.*2026-02-16T10:00:00Z/);
  });

  it('valid exactly at notBefore and one second before notAfter', async () => {
    expect((await checkCertificate(der, 'REST', 'c', at('2026-02-16T10:00:00Z'))).findings).toEqual([]);
    expect((await checkCertificate(der, 'REST', 'c', at('2027-02-16T09:59:59Z'))).findings).toEqual([]);
  });

  it('expired exactly at notAfter, and after', async () => {
    for (const when of ['2027-02-16T10:00:00Z', '2030-01-01T00:00:00Z']) {
      const { findings } = await checkCertificate(der, 'REST', 'c', at(when));
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ rule: 'R10' });
      expect(findings[0]!.message).toMatch(/expired at 2027-02-16T10:00:00Z/);
    }
  });
});

describe('details as Chaman shows them', () => {
  it('subject, organization, issuer, decimal serial, dates, fingerprint', async () => {
    const cert = await makeCertificate({
      ca,
      key: 'rsa4096',
      subject: 'C=BE, O=SMALS, CN=testtruststore:sha256:rsa4096',
      serialNumber: 1954966050899170291n.toString(16),
      notBefore: new Date('2025-02-16T10:00:00.123Z'),
      notAfter: new Date('2036-02-16T10:00:00Z'),
    });
    const inspected = await inspectCertificate(cert.der);
    const details = certificateDetails(inspected, 'certwk23', 'testrestwk.cer');
    const node = new NodeX509(cert.der);
    expect(details).toEqual({
      name: 'certwk23',
      fileName: 'testrestwk.cer',
      subject: 'CN=testtruststore:sha256:rsa4096, O=SMALS, C=BE',
      organization: 'SMALS',
      issuer: 'Test Issuing CA',
      serialNumber: '1954966050899170291',
      notBefore: '2025-02-16T10:00:00Z',
      notAfter: '2036-02-16T10:00:00Z',
      sha256Fingerprint: node.fingerprint256,
      keyAlgorithm: 'RSA-4096',
      signatureAlgorithm: 'SHA-256',
      selfSigned: false,
    });
    expect(details.sha256Fingerprint).toBe(createHash('sha256').update(cert.der).digest('hex').toUpperCase().match(/../g)!.join(':'));
  });

  it('escapes special characters in the subject and falls back to the whole issuer DN without a CN', async () => {
    const noCn = await makeCa({ subject: 'C=BE, O=No CN Authority' });
    const cert = await makeCertificate({ ca: noCn, subject: 'O=Smith\\, Jones & Co, CN=a\\+b' });
    const { details } = await inspectCertificate(cert.der);
    expect(details.subject).toBe('CN=a\\+b, O=Smith\\, Jones & Co');
    expect(details.organization).toBe('Smith, Jones & Co');
    expect(details.issuer).toBe('O=No CN Authority, C=BE');
  });
});

describe('R9 format', () => {
  let leaf: Awaited<ReturnType<typeof makeCertificate>>;
  beforeAll(async () => {
    leaf = await makeCertificate({ ca, key: 'p384', subject: 'CN=leaf' });
  });

  it('DER and PEM parse to the same certificate', async () => {
    expect(detectCertificateFormat(leaf.der)).toBe('DER');
    expect(detectCertificateFormat(text(leaf.pem))).toBe('PEM');
    const a = await inspectCertificate(leaf.der);
    const b = await inspectCertificate(text(leaf.pem));
    expect(b.details).toEqual(a.details);
    expect(Buffer.from(b.der).equals(Buffer.from(leaf.der))).toBe(true);
    expect(Buffer.from(toDer(text(leaf.pem))).equals(Buffer.from(leaf.der))).toBe(true);
    expect(a.format).toBe('DER');
  });

  it('PEM with CRLF line ends and text around the block', async () => {
    const pem = `subject=CN=leaf\r\n${leaf.pem.replace(/\n/g, '\r\n')}`;
    const { findings, certificate } = await checkCertificate(text(pem), 'SOAP', 'c', policy);
    expect(findings).toEqual([]);
    expect(certificate!.details.subject).toBe('CN=leaf');
  });

  it('a PEM bundle means its first certificate, the leaf, with no finding', async () => {
    const bundle = text(leaf.pem + ca.pem);
    expect(detectCertificateFormat(bundle)).toBe('PEM_BUNDLE');
    const { certificate, findings } = await checkCertificate(bundle, 'SOAP', 'c', policy);
    expect(findings).toEqual([]);
    expect(certificate!.details.subject).toBe('CN=leaf');
    expect(certificate!.certificateCount).toBe(2);
    expect(Buffer.from(certificate!.der).equals(Buffer.from(leaf.der))).toBe(true);
  });

  it('a .pfx (PKCS#12) is refused with a message that says how to export the certificate', async () => {
    const pfx = makePkcs12(leaf);
    expect(detectCertificateFormat(pfx)).toBe('PKCS12');
    const { certificate, findings } = await checkCertificate(pfx, 'REST', 'spec.certificates[1]', policy);
    expect(certificate).toBeUndefined();
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'R9', field: 'spec.certificates[1]', severity: 'error', reason: 'InvalidCertificate' });
    expect(findings[0]!.message).toMatch(/PKCS#12/);
    expect(findings[0]!.message).toContain('openssl pkcs12 -in file.pfx -nokeys -clcerts');
    await expect(inspectCertificate(pfx)).rejects.toBeInstanceOf(CertificateFormatError);
    expect(() => toDer(pfx)).toThrow(CertificateFormatError);
  });

  it('a private key alone is refused, and the message never contains it', async () => {
    const keyPem = text(leaf.privateKeyPem);
    const keyDer = new Uint8Array(Buffer.from(leaf.privateKeyPem.split('\n').filter((l) => !l.startsWith('-----')).join(''), 'base64'));
    for (const input of [keyPem, keyDer]) {
      expect(detectCertificateFormat(input)).toBe('PRIVATE_KEY');
      expect(containsPrivateKey(input)).toBe(true);
      const { certificate, findings } = await checkCertificate(input, 'REST', 'c', policy);
      expect(certificate).toBeUndefined();
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ rule: 'R9', severity: 'error' });
      expect(findings[0]!.message).toMatch(/private key/);
      expect(findings[0]!.message).toMatch(/only the certificate/);
      for (const run of secretRuns(leaf.privateKeyPem)) expect(findings[0]!.message).not.toContain(run);
    }
  });

  it('recognises RSA (PKCS#1), EC (SEC 1) and encrypted private keys', async () => {
    const { createPrivateKey } = await import('node:crypto');
    const rsa = createPrivateKey((await makeCertificate({ key: 'rsa2048' })).privateKeyPem);
    const ec = createPrivateKey((await makeCertificate({ key: 'p384' })).privateKeyPem);
    const inputs = [
      rsa.export({ type: 'pkcs1', format: 'der' }),
      rsa.export({ type: 'pkcs1', format: 'pem' }),
      ec.export({ type: 'sec1', format: 'der' }),
      ec.export({ type: 'sec1', format: 'pem' }),
      rsa.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: 'x' }),
      rsa.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }),
    ];
    for (const input of inputs) {
      const bytes = typeof input === 'string' ? text(input) : new Uint8Array(input);
      expect(detectCertificateFormat(bytes)).toBe('PRIVATE_KEY');
    }
  });

  it('PEM with a private key and a certificate: the certificate is used, the key ignored (warning, never echoed)', async () => {
    for (const pem of [leaf.privateKeyPem + leaf.pem, leaf.pem + leaf.privateKeyPem]) {
      expect(detectCertificateFormat(text(pem))).toBe('PEM');
      const { certificate, findings } = await checkCertificate(text(pem), 'SOAP', 'c', policy);
      expect(certificate!.details.subject).toBe('CN=leaf');
      expect(certificate!.containsPrivateKey).toBe(true);
      expect(Buffer.from(certificate!.der).equals(Buffer.from(leaf.der))).toBe(true);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ rule: 'R9', severity: 'warning' });
      for (const f of findings) for (const run of secretRuns(leaf.privateKeyPem)) expect(f.message).not.toContain(run);
    }
  });

  it.each([
    ['empty', new Uint8Array()],
    ['text', text('hello, this is not a certificate')],
    ['random bytes', new Uint8Array(Array.from({ length: 300 }, (_, i) => (i * 7919) % 256))],
    ['a bare SEQUENCE', new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05])],
    ['truncated DER', null],
    ['a PEM block of garbage', text('-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n')],
    ['an SSH public key', text('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMQP4Pv+22Jisw1UqqyZCY5Wa5FUw5t9sVGbguZ0thfp x')],
  ])('garbage (%s) is refused with R9', async (_what, input) => {
    const bytes = input ?? leaf.der.subarray(0, leaf.der.length - 10);
    const { certificate, findings } = await checkCertificate(bytes, 'REST', 'c', policy);
    expect(certificate).toBeUndefined();
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'R9', severity: 'error', reason: 'InvalidCertificate' });
    expect(findings[0]!.message).toMatch(/certificate/);
    await expect(inspectCertificate(bytes)).rejects.toThrow(CertificateFormatError);
  });
});
