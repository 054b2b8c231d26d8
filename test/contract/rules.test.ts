// One test (or a few) per rule of SPEC section 2 that the backend enforces, through the real client
// against the emulator over HTTP. The emulator decides every rule with the shared library in
// src/domain, so these tests also pin what the operator's validators decide.
import sshpk from 'sshpk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/chaman/errors.ts';
import type { CertificateUpload, CreateAccountRequest } from '../../src/chaman/types.ts';
import { makeCa, makeCertificate, makePkcs12, makeSshKey, secretRuns } from '../support/certs.ts';
import type { MadeCa, MadeCertificate, SshKeyKind } from '../support/certs.ts';
import { CONTACT, freshSender, startContractEnv } from './env.ts';
import type { ContractEnv } from './env.ts';

let env: ContractEnv;
let ca: MadeCa;
let good: MadeCertificate;
let good2: MadeCertificate;
let selfSignedRest: MadeCertificate;

beforeAll(async () => {
  env = await startContractEnv();
  ca = await makeCa({ subject: 'O=SMALS, CN=Contract Issuing CA' });
  [good, good2, selfSignedRest] = await Promise.all([
    makeCertificate({ ca, subject: 'O=SMALS, CN=testtruststore:sha256:rsa2048' }),
    makeCertificate({ ca, subject: 'O=SMALS, CN=second', key: 'p384', hash: 'SHA-384' }),
    makeCertificate({ subject: 'O=Me, CN=self' }),
  ]);
}, 60_000);

afterAll(async () => {
  const violations = env.violations();
  await env.stop();
  expect(violations).toEqual([]);
});

function upload(certificate: { der: Uint8Array } | string, name = 'cert'): CertificateUpload {
  const content = typeof certificate === 'string' ? Buffer.from(certificate).toString('base64') : Buffer.from(certificate.der).toString('base64');
  return { name, fileName: `${name}.cer`, content };
}

async function senderWithContact(): Promise<string> {
  const sender = freshSender();
  await env.client().putContact(sender, CONTACT);
  return sender;
}

let keySeq = 0;
function create(sender: string, request: CreateAccountRequest) {
  return env.client().createAccount(sender, request, `rules-${process.pid}-${++keySeq}`);
}

/** The error a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

async function rulesOf(promise: Promise<unknown>): Promise<string[]> {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).errors.map((e) => e.rule);
}

async function conflictCode(promise: Promise<unknown>): Promise<string> {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(ConflictError);
  return (error as ConflictError).code;
}

function sshKey(kind: SshKeyKind): { publicKey: string; privateKey: string } {
  const key = makeSshKey(kind);
  return { publicKey: key.publicOpenSsh, privateKey: key.privateOpenSsh };
}

const ftp = (extra: Partial<CreateAccountRequest> = {}): CreateAccountRequest => ({
  type: 'FTP',
  name: 'FTP',
  permissions: ['SupplementaryPensionsPreload'],
  username: 'WK23',
  password: 'Wk23#4ab',
  certificates: [upload(good)],
  ...extra,
});
const sftp = (extra: Partial<CreateAccountRequest> = {}): CreateAccountRequest => ({
  type: 'SFTP',
  name: 'SFTP',
  permissions: ['SupplementaryPensionsPreload'],
  username: 'WK24',
  sshPublicKey: sshKey('ed25519').publicKey,
  certificates: [upload(good)],
  ...extra,
});
const soap = (extra: Partial<CreateAccountRequest> = {}): CreateAccountRequest => ({ type: 'SOAP', name: 'SOAP', permissions: [], certificates: [upload(good)], ...extra });
const rest = (extra: Partial<CreateAccountRequest> = {}): CreateAccountRequest => ({
  type: 'REST',
  name: 'My REST Account',
  permissions: ['DimonaDeclaration', 'DimonaConsultation'],
  certificates: [upload(good, 'certwk23')],
  ...extra,
});

describe('R1 contact data', () => {
  it('no channel before contact data: 409 CONTACT_REQUIRED', async () => {
    expect(await conflictCode(create(freshSender(), rest()))).toBe('CONTACT_REQUIRED');
  });

  it('invalid contact data: 422 R1 with the field', async () => {
    const error = await failure(env.client().putContact(freshSender(), { ...CONTACT, phone: { countryCode: '32', number: '0486531619' }, email: 'not-an-email' }));
    expect(error).toBeInstanceOf(ValidationError);
    const errors = (error as ValidationError).errors;
    expect(errors.every((e) => e.rule === 'R1')).toBe(true);
    expect(errors.map((e) => e.field).join(' ')).toMatch(/phone.countryCode/);
    expect(errors.map((e) => e.field).join(' ')).toMatch(/email/);
  });

  it('a language outside fr, nl, de, en is refused', async () => {
    const error = await failure(env.client().putContact(freshSender(), { ...CONTACT, language: 'es' as 'fr' }));
    expect(error).toBeInstanceOf(ValidationError);
  });
});

describe('R2 one FTP, one SFTP, one SOAP per sender; any number of REST', () => {
  it('a second FTP, SFTP or SOAP account: 409 CHANNEL_ALREADY_EXISTS', async () => {
    const sender = await senderWithContact();
    await create(sender, ftp());
    await create(sender, sftp());
    await create(sender, soap());
    expect(await conflictCode(create(sender, ftp({ username: 'OTHER1' })))).toBe('CHANNEL_ALREADY_EXISTS');
    expect(await conflictCode(create(sender, sftp({ username: 'OTHER2' })))).toBe('CHANNEL_ALREADY_EXISTS');
    expect(await conflictCode(create(sender, soap({ name: 'SOAP 2' })))).toBe('CHANNEL_ALREADY_EXISTS');
  });

  it('several REST accounts are fine', async () => {
    const sender = await senderWithContact();
    await create(sender, rest({ name: 'one' }));
    await create(sender, rest({ name: 'two' }));
    expect(await env.client().listAccounts(sender)).toHaveLength(2);
  });
});

describe('R3 certificates per type', () => {
  it('FTP, SFTP and SOAP need exactly one certificate', async () => {
    const sender = await senderWithContact();
    expect(await rulesOf(create(sender, soap({ certificates: [] })))).toContain('R3');
    expect(await rulesOf(create(sender, soap({ certificates: [upload(good), upload(good2, 'two')] })))).toContain('R3');
    expect(await rulesOf(create(sender, ftp({ certificates: [] })))).toContain('R3');
  });

  it('REST Internal needs at least one; certificates can be added and removed, never the last: 409 LAST_CERTIFICATE', async () => {
    const sender = await senderWithContact();
    expect(await rulesOf(create(sender, rest({ certificates: [] })))).toContain('R3');
    const client = env.client();
    const account = await create(sender, rest());
    expect(await conflictCode(client.removeCertificate(sender, account.id, account.certificates[0]!.id))).toBe('LAST_CERTIFICATE');
    const added = await client.addCertificate(sender, account.id, upload(good2, 'next'));
    expect((await client.getAccount(sender, account.id)).certificates.map((c) => c.id)).toEqual([account.certificates[0]!.id, added.id]);
    await client.removeCertificate(sender, account.id, account.certificates[0]!.id);
    expect(await conflictCode(client.removeCertificate(sender, account.id, added.id))).toBe('LAST_CERTIFICATE');
    expect((await client.getAccount(sender, account.id)).certificates.map((c) => c.id)).toEqual([added.id]);
  });

  it('a certificate cannot be added to, or removed from, a SOAP account: 409 OPERATION_NOT_ALLOWED', async () => {
    const sender = await senderWithContact();
    const client = env.client();
    const account = await create(sender, soap());
    expect(await conflictCode(client.addCertificate(sender, account.id, upload(good2)))).toBe('OPERATION_NOT_ALLOWED');
    expect(await conflictCode(client.removeCertificate(sender, account.id, account.certificates[0]!.id))).toBe('OPERATION_NOT_ALLOWED');
  });

  it('the certificate is shown as Chaman shows it, and downloads as the DER uploaded', async () => {
    const sender = await senderWithContact();
    const client = env.client();
    const account = await create(sender, rest());
    const certificate = account.certificates[0]!;
    const parsed = good.certificate;
    expect(certificate).toMatchObject({
      name: 'certwk23',
      fileName: 'certwk23.cer',
      subject: expect.stringContaining('CN=testtruststore:sha256:rsa2048'),
      organization: 'SMALS',
      issuer: 'Contract Issuing CA',
      serialNumber: BigInt(`0x${parsed.serialNumber}`).toString(10),
      keyAlgorithm: 'RSA-2048',
      signatureAlgorithm: 'SHA-256',
      selfSigned: false,
    });
    const bytes = await client.downloadCertificate(sender, account.id, certificate.id);
    expect(Buffer.from(bytes).equals(Buffer.from(good.der))).toBe(true);
  });
});

describe('R4 user names', () => {
  it('ASCII letters and digits, 1–10: else 422 R4', async () => {
    const sender = await senderWithContact();
    expect(await rulesOf(create(sender, ftp({ username: 'WK 23' })))).toContain('R4');
    expect(await rulesOf(create(sender, ftp({ username: 'ABCDEFGHIJK' })))).toContain('R4');
    expect(await rulesOf(create(sender, sftp({ username: 'wk_23' })))).toContain('R4');
  });

  it('is stored and shown with the EXP prefix', async () => {
    const sender = await senderWithContact();
    expect((await create(sender, ftp({ username: 'WK23' }))).username).toBe('EXPWK23');
    expect((await create(sender, sftp({ username: 'Sftp1' }))).username).toBe('EXPSftp1');
  });
});

describe('R5 FTP password', () => {
  it.each([
    ['abcdefgh', 'fewer than 2 non-letters'],
    ['abcdefgh12x', 'more than 10 characters'],
    ['ab 12cd', 'a space'],
    ['abc12!', 'a special character outside the list'],
  ])('%s (%s): 422 R5', async (password) => {
    const sender = await senderWithContact();
    const error = await failure(create(sender, ftp({ password })));
    expect(error).toBeInstanceOf(ValidationError);
    const errors = (error as ValidationError).errors;
    expect(errors.map((e) => `${e.field}:${e.rule}`)).toContain('password:R5');
    // the password itself is never echoed
    expect(JSON.stringify(errors) + error.message).not.toContain(password);
  });

  it('is write-only: never returned, never in the state dump', async () => {
    const sender = await senderWithContact();
    const password = 'Zq9#8pLm';
    const account = await create(sender, ftp({ password }));
    expect(JSON.stringify(account)).not.toContain(password);
    expect(account).not.toHaveProperty('password');
    const dump = JSON.stringify(env.emulator.state());
    expect(dump).not.toContain(password);
    expect(dump).not.toContain('scrypt');
  });
});

describe('R6 certificate keys', () => {
  it.each(['rsa1024', 'p256', 'ed25519'] as const)('%s: 422 R6', async (key) => {
    const sender = await senderWithContact();
    const certificate = await makeCertificate({ ca, key });
    expect(await rulesOf(create(sender, rest({ certificates: [upload(certificate)] })))).toContain('R6');
  });

  it.each(['rsa3072', 'rsa4096', 'p384', 'p521'] as const)('%s is accepted', async (key) => {
    const sender = await senderWithContact();
    const certificate = await makeCertificate({ ca, key });
    const account = await create(sender, rest({ certificates: [upload(certificate)] }));
    expect(account.certificates[0]!.keyAlgorithm).toBe(key.startsWith('rsa') ? `RSA-${key.slice(3)}` : `EC-P${key.slice(1)}`);
  });
});

describe('R7 signature algorithm', () => {
  it('SHA-1 is refused for REST, and for every type after the cut-off: 422 R7', async () => {
    const sha1 = await makeCertificate({ ca, hash: 'SHA-1' });
    const sender = await senderWithContact();
    expect(await rulesOf(create(sender, rest({ certificates: [upload(sha1)] })))).toContain('R7');
    expect(await rulesOf(create(sender, soap({ certificates: [upload(sha1)] })))).toContain('R7');
  });

  it('before the cut-off, SHA-1 is still accepted for SOAP but never for REST', async () => {
    const sha1 = await makeCertificate({ ca, hash: 'SHA-1' });
    const early = await startContractEnv({ sha1Cutoff: new Date(Date.now() + 365 * 86_400_000) });
    try {
      const sender = freshSender();
      const client = early.client();
      await client.putContact(sender, CONTACT);
      const account = await client.createAccount(sender, soap({ certificates: [upload(sha1)] }), 'early-soap');
      expect(account.certificates[0]!.signatureAlgorithm).toBe('SHA-1');
      expect(await rulesOf(client.createAccount(sender, rest({ certificates: [upload(sha1)] }), 'early-rest'))).toContain('R7');
      expect(early.violations()).toEqual([]);
    } finally {
      await early.stop();
    }
  });

  it('SHA-384 and SHA-512 are accepted', async () => {
    const sender = await senderWithContact();
    const certificate = await makeCertificate({ ca, hash: 'SHA-512' });
    expect((await create(sender, rest({ certificates: [upload(certificate)] }))).certificates[0]!.signatureAlgorithm).toBe('SHA-512');
  });
});

describe('R8 self-signed certificates', () => {
  it('are refused for FTP, SFTP and SOAP: 422 R8', async () => {
    const sender = await senderWithContact();
    expect(await rulesOf(create(sender, soap({ certificates: [upload(selfSignedRest)] })))).toContain('R8');
    expect(await rulesOf(create(sender, ftp({ certificates: [upload(selfSignedRest)] })))).toContain('R8');
  });

  it('are accepted for REST with key usage digitalSignature, refused without', async () => {
    const sender = await senderWithContact();
    const account = await create(sender, rest({ certificates: [upload(selfSignedRest)] }));
    expect(account.certificates[0]!.selfSigned).toBe(true);
    const noDigitalSignature = await makeCertificate({ keyUsage: ['keyEncipherment'] });
    expect(await rulesOf(create(sender, rest({ certificates: [upload(noDigitalSignature)] })))).toContain('R8');
  });
});

describe('R9 format', () => {
  it('a PEM certificate is read like DER; a PEM bundle means its first certificate, the leaf', async () => {
    const sender = await senderWithContact();
    const bundle = good.pem + ca.pem;
    const account = await create(sender, rest({ certificates: [upload(bundle)] }));
    expect(account.certificates[0]!.subject).toContain('testtruststore');
    const bytes = await env.client().downloadCertificate(sender, account.id, account.certificates[0]!.id);
    expect(Buffer.from(bytes).equals(Buffer.from(good.der))).toBe(true);
  });

  it('a private key is refused (422 R9) and never echoed', async () => {
    const sender = await senderWithContact();
    const error = await failure(create(sender, rest({ certificates: [upload(good.privateKeyPem)] })));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.rule)).toContain('R9');
    const text = JSON.stringify((error as ValidationError).errors) + error.message;
    for (const run of secretRuns(good.privateKeyPem)) expect(text).not.toContain(run);
  });

  it('a PEM with a certificate and its private key is refused too', async () => {
    const sender = await senderWithContact();
    expect(await rulesOf(create(sender, rest({ certificates: [upload(good.pem + good.privateKeyPem)] })))).toContain('R9');
  });

  it('PKCS#12 and bytes that are no certificate: 422 R9, saying what to do', async () => {
    const sender = await senderWithContact();
    const pfx = makePkcs12(good);
    const error = await failure(create(sender, rest({ certificates: [{ name: 'p12', fileName: 'cert.pfx', content: Buffer.from(pfx).toString('base64') }] })));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toContainEqual(expect.objectContaining({ rule: 'R9', message: expect.stringMatching(/PKCS#12/) }));
    expect(await rulesOf(create(sender, rest({ certificates: [upload('hello, I am not a certificate')] })))).toContain('R9');
  });
});

describe('R10 validity', () => {
  it('an expired or not yet valid certificate: 422 R10', async () => {
    const sender = await senderWithContact();
    const day = 86_400_000;
    const expired = await makeCertificate({ ca, notBefore: new Date(Date.now() - 10 * day), notAfter: new Date(Date.now() - day) });
    const future = await makeCertificate({ ca, notBefore: new Date(Date.now() + day), notAfter: new Date(Date.now() + 10 * day) });
    expect(await rulesOf(create(sender, rest({ certificates: [upload(expired)] })))).toContain('R10');
    expect(await rulesOf(create(sender, rest({ certificates: [upload(future)] })))).toContain('R10');
  });
});

describe('R11 permissions', () => {
  it('an unknown id, or one of another type: 422 R11', async () => {
    const sender = await senderWithContact();
    expect(await rulesOf(create(sender, rest({ permissions: ['NoSuchPermission'] })))).toContain('R11');
    expect(await rulesOf(create(sender, rest({ permissions: ['SupplementaryPensionsPreload'] })))).toContain('R11');
    expect(await rulesOf(create(sender, ftp({ permissions: ['DimonaDeclaration'] })))).toContain('R11');
  });

  it('FTP, SFTP and REST need at least one; SOAP has none', async () => {
    const sender = await senderWithContact();
    expect(await rulesOf(create(sender, ftp({ permissions: [] })))).toContain('R11');
    expect(await rulesOf(create(sender, rest({ permissions: [] })))).toContain('R11');
    expect(await rulesOf(create(sender, soap({ permissions: ['SupplementaryPensionsPreload'] })))).toContain('R11');
  });

  it('an edit is checked against the catalog too', async () => {
    const sender = await senderWithContact();
    const account = await create(sender, rest());
    expect(await rulesOf(env.client().editAccount(sender, account.id, { permissions: ['NoSuchPermission'] }))).toContain('R11');
  });
});

describe('R12 what can change', () => {
  it('FTP: nothing (409 OPERATION_NOT_ALLOWED)', async () => {
    const sender = await senderWithContact();
    const client = env.client();
    const account = await create(sender, ftp());
    expect(await conflictCode(client.editAccount(sender, account.id, { name: 'renamed' }))).toBe('OPERATION_NOT_ALLOWED');
    expect(await conflictCode(client.editAccount(sender, account.id, { username: 'NEW1' }))).toBe('OPERATION_NOT_ALLOWED');
    expect(await conflictCode(client.replaceCertificate(sender, account.id, account.certificates[0]!.id, upload(good2)))).toBe('OPERATION_NOT_ALLOWED');
    const raw = await env.raw('PATCH', `/api/v1/senders/${sender}/accounts/${account.id}`, { body: { password: 'Ab12#xyz' } });
    expect([raw.status, raw.body.code]).toEqual([409, 'OPERATION_NOT_ALLOWED']);
  });

  it('SFTP: name, permissions, user name + SSH key, certificate replace', async () => {
    const sender = await senderWithContact();
    const client = env.client();
    const account = await create(sender, sftp());
    const key = sshKey('rsa2048');
    const edited = await client.editAccount(sender, account.id, { name: 'renamed', permissions: ['SupplementaryPensionsPreload'], username: 'NEW1', sshPublicKey: key.publicKey });
    expect(edited).toMatchObject({ name: 'renamed', username: 'EXPNEW1' });
    expect(edited.sshPublicKey).toMatch(/^---- BEGIN SSH2 PUBLIC KEY ----/);
    expect(edited.sshPublicKey).not.toBe(account.sshPublicKey);
    const replaced = await client.replaceCertificate(sender, account.id, account.certificates[0]!.id, upload(good2, 'rotated'));
    expect(replaced).toMatchObject({ id: account.certificates[0]!.id, name: 'rotated', keyAlgorithm: 'EC-P384' });
  });

  it('SOAP: certificate replace only', async () => {
    const sender = await senderWithContact();
    const client = env.client();
    const account = await create(sender, soap());
    expect(await conflictCode(client.editAccount(sender, account.id, { name: 'renamed' }))).toBe('OPERATION_NOT_ALLOWED');
    const replaced = await client.replaceCertificate(sender, account.id, account.certificates[0]!.id, upload(good2, 'rotated'));
    expect(replaced.serialNumber).not.toBe(account.certificates[0]!.serialNumber);
    // a repeated PUT is idempotent: same id, same certificate
    const again = await client.replaceCertificate(sender, account.id, account.certificates[0]!.id, upload(good2, 'rotated'));
    expect(again).toEqual(replaced);
    // and the rules apply to the new certificate
    expect(await rulesOf(client.replaceCertificate(sender, account.id, account.certificates[0]!.id, upload(selfSignedRest)))).toContain('R8');
  });

  it('REST: name and permissions; certificates by add and remove, not replace', async () => {
    const sender = await senderWithContact();
    const client = env.client();
    const account = await create(sender, rest());
    const edited = await client.editAccount(sender, account.id, { name: 'Renamed', permissions: ['EmployerRestPublic'] });
    expect(edited).toMatchObject({ name: 'Renamed', permissions: ['EmployerRestPublic'], clientId: account.clientId });
    expect(await conflictCode(client.editAccount(sender, account.id, { username: 'X1' }))).toBe('OPERATION_NOT_ALLOWED');
    expect(await conflictCode(client.replaceCertificate(sender, account.id, account.certificates[0]!.id, upload(good2)))).toBe('OPERATION_NOT_ALLOWED');
    const raw = await env.raw('PATCH', `/api/v1/senders/${sender}/accounts/${account.id}`, { body: { type: 'SOAP' } });
    expect([raw.status, raw.body.code]).toEqual([409, 'OPERATION_NOT_ALLOWED']);
  });
});

describe('R13 deletion is definitive', () => {
  it('a deleted account is gone', async () => {
    const sender = await senderWithContact();
    const client = env.client();
    const account = await create(sender, rest());
    await client.deleteAccount(sender, account.id);
    await expect(client.getAccount(sender, account.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await client.listAccounts(sender)).toEqual([]);
    const raw = await env.raw('DELETE', `/api/v1/senders/${sender}/accounts/${account.id}`);
    expect([raw.status, raw.body.code]).toEqual([404, 'NOT_FOUND']);
  });
});

describe('R15 management mode', () => {
  it('REST defaults to Internal; TechnicalIntermediary has no certificates', async () => {
    const sender = await senderWithContact();
    const client = env.client();
    expect((await create(sender, rest())).management).toBe('Internal');
    const ti = await create(sender, rest({ management: 'TechnicalIntermediary', certificates: [] }));
    expect(ti).toMatchObject({ management: 'TechnicalIntermediary', certificates: [] });
    expect(await rulesOf(create(sender, rest({ management: 'TechnicalIntermediary' })))).toContain('R15');
    expect(await conflictCode(client.addCertificate(sender, ti.id, upload(good)))).toBe('OPERATION_NOT_ALLOWED');
  });

  it('management is for REST only', async () => {
    const sender = await senderWithContact();
    expect(await rulesOf(create(sender, soap({ management: 'Internal' })))).toContain('R15');
  });
});

describe('R16 client IDs', () => {
  it('REST accounts get self_service_chaman_<senderNumber>_<10 [a-z0-9]>, unique', async () => {
    const sender = await senderWithContact();
    const a = await create(sender, rest({ name: 'a' }));
    const b = await create(sender, rest({ name: 'b' }));
    expect(a.clientId).toMatch(new RegExp(`^self_service_chaman_${sender}_[a-z0-9]{10}$`));
    expect(b.clientId).toMatch(new RegExp(`^self_service_chaman_${sender}_[a-z0-9]{10}$`));
    expect(a.clientId).not.toBe(b.clientId);
    expect((await create(sender, soap())).clientId).toBeUndefined();
  });
});

describe('R17 SFTP SSH public key', () => {
  it('OpenSSH one-line (Ed25519, ECDSA, RSA ≥ 2048) is stored and shown in RFC 4716', async () => {
    for (const kind of ['ed25519', 'ecdsa256', 'rsa2048'] as const) {
      const sender = await senderWithContact();
      const account = await create(sender, sftp({ sshPublicKey: sshKey(kind).publicKey }));
      expect(account.sshPublicKey).toMatch(/^---- BEGIN SSH2 PUBLIC KEY ----\r?\n[\s\S]*---- END SSH2 PUBLIC KEY ----\s*$/);
    }
  });

  it('an RFC 4716 key is accepted as is', async () => {
    const sender = await senderWithContact();
    const key = sshpk.parseKey(sshKey('ed25519').publicKey, 'ssh').toBuffer('rfc4253');
    const rfc4716 = `---- BEGIN SSH2 PUBLIC KEY ----\n${key.toString('base64').replace(/.{70}/g, '$&\n')}\n---- END SSH2 PUBLIC KEY ----\n`;
    const account = await create(sender, sftp({ sshPublicKey: rfc4716 }));
    expect(account.sshPublicKey).toContain(key.toString('base64').slice(0, 40));
  });

  it.each(['dsa', 'rsa1024'] as const)('%s: 422 R17', async (kind) => {
    const sender = await senderWithContact();
    expect(await rulesOf(create(sender, sftp({ sshPublicKey: sshKey(kind).publicKey })))).toContain('R17');
  });

  it('a private key is refused (422 R17) and never echoed', async () => {
    const sender = await senderWithContact();
    const { privateKey } = sshKey('ed25519');
    const error = await failure(create(sender, sftp({ sshPublicKey: privateKey })));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.rule)).toContain('R17');
    const text = JSON.stringify((error as ValidationError).errors) + error.message;
    for (const run of secretRuns(privateKey)) expect(text).not.toContain(run);
  });

  it('an edit of the key is checked too', async () => {
    const sender = await senderWithContact();
    const account = await create(sender, sftp());
    expect(await rulesOf(env.client().editAccount(sender, account.id, { sshPublicKey: sshKey('dsa').publicKey }))).toContain('R17');
  });
});
