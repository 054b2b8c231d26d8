import { describe, expect, it } from 'vitest';
import { planAccountUpdate } from '../../../src/domain/account-plan.ts';
import type { DesiredAccount, DesiredCertificate } from '../../../src/domain/desired-account.ts';
import type { ChamanAccount, ChamanCertificate } from '../../../src/chaman/types.ts';
import type { ChannelType } from '../../../src/domain/types.ts';

const details = (name: string, fp: string) => ({
  name,
  fileName: `${name}.cer`,
  subject: 'CN=x',
  organization: '',
  issuer: 'CA',
  serialNumber: '1',
  notBefore: '2026-01-01T00:00:00Z',
  notAfter: '2027-01-01T00:00:00Z',
  sha256Fingerprint: fp,
  keyAlgorithm: 'RSA-2048',
  signatureAlgorithm: 'SHA-256',
  selfSigned: false,
});
const want = (name: string, fp: string): DesiredCertificate => ({ name, fileName: `${name}.cer`, der: new Uint8Array([1]), sha256Fingerprint: fp, details: details(name, fp) });
const have = (id: string, name: string, fp: string): ChamanCertificate => ({ id, ...details(name, fp) });

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1nyR5vFOJjZ4dDXaF5zTLxOaUqm4Bsf+Q1fk3y3oYq';

function pair(type: ChannelType, d: Partial<DesiredAccount> = {}, a: Partial<ChamanAccount> = {}) {
  const desired: DesiredAccount = {
    type,
    name: 'acc',
    permissions: type === 'SOAP' ? [] : ['P1'],
    ...(type === 'REST' ? { management: 'Internal' as const } : {}),
    ...(type === 'FTP' || type === 'SFTP' ? { username: 'WK23' } : {}),
    ...(type === 'SFTP' ? { sshPublicKey: ED25519 } : {}),
    certificates: [want('c1', 'AA')],
    ...d,
  };
  const actual: ChamanAccount = {
    id: 'acc-1',
    type,
    name: 'acc',
    permissions: type === 'SOAP' ? [] : ['P1'],
    ...(type === 'REST' ? { management: 'Internal' as const, clientId: 'self_service_chaman_300010_abcdefghij' } : {}),
    ...(type === 'FTP' || type === 'SFTP' ? { username: 'EXPWK23' } : {}),
    ...(type === 'SFTP' ? { sshPublicKey: ED25519 } : {}),
    certificates: [have('cert-1', 'c1', 'AA')],
    createdAt: '',
    updatedAt: '',
    ...a,
  };
  return { desired, actual };
}

describe('planAccountUpdate (R12)', () => {
  it.each(['FTP', 'SFTP', 'SOAP', 'REST'] as const)('%s: nothing to do when Chaman matches', (type) => {
    const { desired, actual } = pair(type);
    expect(planAccountUpdate(desired, actual, { passwordChanged: false })).toEqual({ steps: [], forbidden: [], differences: [] });
  });

  it('FTP: no edit is allowed; every difference requires replacement', () => {
    const { desired, actual } = pair('FTP', { name: 'new', permissions: ['P2'] });
    const plan = planAccountUpdate(desired, actual, { passwordChanged: true });
    expect(plan.steps).toEqual([]);
    expect(plan.forbidden).toHaveLength(3);
    expect(plan.forbidden.join(' ')).toContain('password');
  });

  it('FTP: a new certificate is not a replace (R12)', () => {
    const { desired, actual } = pair('FTP', { certificates: [want('c1', 'BB')] });
    const plan = planAccountUpdate(desired, actual, { passwordChanged: false });
    expect(plan.steps).toEqual([]);
    expect(plan.forbidden).toHaveLength(1);
  });

  it('SFTP: name, permissions, credentials and certificate are edited in place', () => {
    const { desired, actual } = pair('SFTP', { name: 'renamed', permissions: ['P1', 'P2'], username: 'WK24', certificates: [want('c2', 'BB')] });
    const plan = planAccountUpdate(desired, actual, { passwordChanged: false });
    expect(plan.forbidden).toEqual([]);
    expect(plan.steps).toEqual([
      { kind: 'edit', request: { name: 'renamed', permissions: ['P1', 'P2'], username: 'WK24', sshPublicKey: ED25519 }, fields: ['name', 'permissions', 'username', 'sshPublicKey'] },
      { kind: 'replaceCertificate', certificateId: 'cert-1', certificate: desired.certificates[0] },
    ]);
  });

  it('SFTP: the same key in another format is no difference', () => {
    const rfc4716 = `---- BEGIN SSH2 PUBLIC KEY ----\nAAAAC3NzaC1lZDI1NTE5AAAAIJ1nyR5vFOJjZ4dDXaF5zTLxOaUqm4Bsf+Q1fk3y3oYq\n---- END SSH2 PUBLIC KEY ----\n`;
    const { desired, actual } = pair('SFTP', {}, { sshPublicKey: rfc4716 });
    expect(planAccountUpdate(desired, actual, { passwordChanged: false }).steps).toEqual([]);
  });

  it('SOAP: only the certificate can change; a name change requires replacement', () => {
    const cert = pair('SOAP', { certificates: [want('c1', 'BB')] });
    expect(planAccountUpdate(cert.desired, cert.actual, { passwordChanged: false }).steps).toEqual([
      { kind: 'replaceCertificate', certificateId: 'cert-1', certificate: cert.desired.certificates[0] },
    ]);
    const name = pair('SOAP', { name: 'other' });
    expect(planAccountUpdate(name.desired, name.actual, { passwordChanged: false }).forbidden).toHaveLength(1);
  });

  it('REST rotation adds the new certificate before removing the old one', () => {
    const { desired, actual } = pair('REST', { certificates: [want('c2', 'BB')] });
    const plan = planAccountUpdate(desired, actual, { passwordChanged: false });
    expect(plan.steps.map((s) => s.kind)).toEqual(['addCertificate', 'removeCertificate']);
    expect(plan.steps[1]).toMatchObject({ certificateId: 'cert-1' });
  });

  it('REST: certificates are matched by content, whatever their order', () => {
    const { desired, actual } = pair('REST', { certificates: [want('c2', 'BB'), want('c1', 'AA')] }, { certificates: [have('x', 'c1', 'AA'), have('y', 'c2', 'BB')] });
    expect(planAccountUpdate(desired, actual, { passwordChanged: false }).steps).toEqual([]);
  });

  it('REST: permissions are a set; management mode cannot change', () => {
    const perms = pair('REST', { permissions: ['P2', 'P1'] }, { permissions: ['P1', 'P2'] });
    expect(planAccountUpdate(perms.desired, perms.actual, { passwordChanged: false }).steps).toEqual([]);
    const mode = pair('REST', { management: 'TechnicalIntermediary', certificates: [] }, { certificates: [] });
    expect(planAccountUpdate(mode.desired, mode.actual, { passwordChanged: false }).forbidden).toHaveLength(1);
  });

  it('never puts a password in the differences', () => {
    const { desired, actual } = pair('FTP', { password: 'Secr3t!#' });
    const plan = planAccountUpdate(desired, actual, { passwordChanged: true });
    expect(JSON.stringify(plan)).not.toContain('Secr3t');
  });
});
