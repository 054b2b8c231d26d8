import { beforeAll, describe, expect, it } from 'vitest';
import { PERMISSION_CATALOG, checkAccountRequest, type AccountRequestToCheck, type RulePolicy } from '../../../src/domain/index.ts';
import { makeCa, makeCertificate, makePkcs12, makeSshKey, secretRuns, type MadeCa, type MadeCertificate } from '../../support/certs.ts';

const policy: RulePolicy = { now: new Date(), sha1Cutoff: new Date('2026-01-01T00:00:00Z') };
const ctx = { catalog: PERMISSION_CATALOG, policy };
const fields = (findings: { field: string; severity: string }[]) => findings.filter((f) => f.severity === 'error').map((f) => f.field);

let ca: MadeCa;
let good: MadeCertificate;
let selfSigned: MadeCertificate;
beforeAll(async () => {
  ca = await makeCa();
  good = await makeCertificate({ ca, key: 'rsa2048' });
  selfSigned = await makeCertificate({ key: 'p384' });
});

const upload = (c: MadeCertificate | Uint8Array, name = 'cert') => ({ name, fileName: `${name}.cer`, content: c instanceof Uint8Array ? c : c.der });

describe('checkAccountRequest', () => {
  it('accepts a valid request of each type', async () => {
    const requests: AccountRequestToCheck[] = [
      { type: 'FTP', name: 'ftp', permissions: ['SupplementaryPensionsPreload'], username: 'WK23', password: 'abcdef12#', certificates: [upload(good)] },
      { type: 'SFTP', name: 'sftp', permissions: ['SupplementaryPensionsPreload'], username: 'WK23', sshPublicKey: makeSshKey('ed25519').publicOpenSsh, certificates: [upload(good)] },
      { type: 'SOAP', name: 'soap', permissions: [], certificates: [upload(good)] },
      { type: 'REST', name: 'rest', permissions: ['DimonaDeclaration'], management: 'Internal', certificates: [upload(good, 'a'), upload(selfSigned, 'b')] },
      { type: 'REST', name: 'rest', permissions: ['DimonaDeclaration'], management: 'TechnicalIntermediary', certificates: [] },
    ];
    for (const r of requests) expect(await checkAccountRequest(r, ctx)).toEqual([]);
  });

  it('accepts base64 content, as the HTTP body carries it', async () => {
    const r = { type: 'SOAP' as const, name: 's', permissions: [], certificates: [{ name: 'c', fileName: 'c.cer', content: Buffer.from(good.der).toString('base64') }] };
    expect(await checkAccountRequest(r, ctx)).toEqual([]);
  });

  it('names request-body fields for each broken rule', async () => {
    const findings = await checkAccountRequest(
      {
        type: 'FTP',
        name: 'ftp',
        permissions: ['SupplementaryPensionsPreload', 'DimonaDeclaration'],
        username: 'WK 23',
        password: 'abcdefghijk',
        certificates: [upload(selfSigned)],
      },
      ctx,
    );
    expect(findings.map((f) => [f.field, f.rule])).toEqual([
      ['permissions[1]', 'R11'],
      ['username', 'R4'],
      ['password', 'R5'],
      ['password', 'R5'],
      ['certificates[0].content', 'R8'],
    ]);
  });

  it('uses the field prefix', async () => {
    const findings = await checkAccountRequest({ type: 'SOAP', name: 's', permissions: [], certificates: [] }, { ...ctx, fieldPrefix: 'spec' });
    expect(fields(findings)).toEqual(['spec.certificates']);
  });

  it('refuses what belongs to another type', async () => {
    const findings = await checkAccountRequest(
      { type: 'SOAP', name: 's', permissions: [], management: 'Internal', username: 'WK23', password: 'abcdef12', sshPublicKey: 'x', certificates: [upload(good)] },
      ctx,
    );
    expect(findings.map((f) => f.rule)).toEqual(['R15', 'R4', 'R5', 'R17']);
    for (const f of findings) expect(f.message).not.toContain('abcdef12');
  });

  it('requires the credentials of the type', async () => {
    const ftp = await checkAccountRequest({ type: 'FTP', name: 'f', permissions: ['SupplementaryPensionsPreload'], certificates: [upload(good)] }, ctx);
    expect(fields(ftp)).toEqual(['username', 'password']);
    const sftp = await checkAccountRequest({ type: 'SFTP', name: 'f', permissions: ['SupplementaryPensionsPreload'], username: 'A', certificates: [upload(good)] }, ctx);
    expect(fields(sftp)).toEqual(['sshPublicKey']);
  });

  it('checks every certificate, refuses duplicates, and a .pfx among them', async () => {
    const findings = await checkAccountRequest(
      { type: 'REST', name: 'r', permissions: ['DimonaDeclaration'], certificates: [upload(good, 'a'), upload(good, 'b'), upload(makePkcs12(good), 'c'), upload(good, 'a')] },
      ctx,
    );
    expect(findings.map((f) => [f.field, f.rule])).toEqual([
      ['certificates[1].content', 'R3'],
      ['certificates[2].content', 'R9'],
      ['certificates[3].name', 'R3'],
      ['certificates[3].content', 'R3'],
    ]);
  });

  it('an unknown type is a schema error', async () => {
    const findings = await checkAccountRequest({ type: 'HTTP', name: 'x' }, ctx);
    expect(findings).toMatchObject([{ rule: 'SCHEMA', field: 'type' }]);
  });

  it('never echoes a password or private key', async () => {
    const ssh = makeSshKey('ed25519');
    const findings = await checkAccountRequest(
      {
        type: 'SFTP',
        name: 's',
        permissions: ['SupplementaryPensionsPreload'],
        username: 'WK23',
        password: 'Sekr3t!!!!!!',
        sshPublicKey: ssh.privateOpenSsh,
        certificates: [upload(new TextEncoder().encode(good.privateKeyPem))],
      },
      ctx,
    );
    expect(findings.map((f) => f.rule)).toEqual(['R5', 'R17', 'R9']);
    const all = findings.map((f) => f.message).join('\n');
    expect(all).not.toContain('Sekr3t');
    for (const run of [...secretRuns(ssh.privateOpenSsh), ...secretRuns(good.privateKeyPem)]) expect(all).not.toContain(run);
  });
});
