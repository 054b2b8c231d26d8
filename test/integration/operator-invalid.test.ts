// Invalid input and refused access: each reason the controller decides, with a message that names
// the field and the rule; terminal (no fast retries, nothing written to Chaman) until the input changes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChamanSender, ChannelAccount } from '../../src/api/types.generated.ts';
import { makeCa, makeCertificate, makeSshKey, type MadeCa } from '../../src/devtools/certificates.ts';
import { account, harnessWithSender, sender, startHarness, stopHarness, stringSecret, tlsSecret, type Harness } from './support/operator.ts';

let h: Harness;
let ca: MadeCa;

beforeEach(async () => {
  h = await harnessWithSender('invalid');
  ca ??= await makeCa();
  const good = await makeCertificate({ ca, freshKey: true });
  await h.apply(tlsSecret('good-cert', good.pem, good.privateKeyPem));
});

afterEach(() => stopHarness(h));

const soap = (name: string, secret: string) => account(name, { type: 'SOAP', certificates: [{ name: 'c', secretRef: { name: secret } }] });

async function expectInvalid(name: string, reason: string, field: string, rule: string): Promise<ChannelAccount> {
  const invalid = await h.waitForCondition('ChannelAccount', name, 'Invalid', 'True', reason);
  const condition = invalid.status!.conditions!.find((c) => c.type === 'Invalid')!;
  expect(condition.message).toContain(field);
  expect(condition.message).toContain(`[${rule}]`);
  expect(invalid.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'Invalid' });
  expect(invalid.status!.conditions!.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True' });
  return invalid;
}

describe('Invalid reasons', () => {
  it('InvalidCertificate: RSA-1024 (R6), then fixed by changing the Secret', async () => {
    const weak = await makeCertificate({ ca, key: 'rsa1024' });
    await h.apply(tlsSecret('weak', weak.pem));
    await h.apply(soap('soap', 'weak'));
    await expectInvalid('soap', 'InvalidCertificate', 'spec.certificates[0].secretRef', 'R6');
    const mutating = h.emulator.requests().mutating;
    const good = await makeCertificate({ ca, freshKey: true });
    await h.apply(tlsSecret('weak', good.pem));
    await h.waitForCondition('ChannelAccount', 'soap', 'Ready', 'True');
    expect(h.emulator.requests().mutating).toBe(mutating + 1); // the create, once the Secret was fixed
  });

  it('InvalidCertificate: self-signed on SOAP (R8)', async () => {
    const self = await makeCertificate({ freshKey: true });
    await h.apply(tlsSecret('self', self.pem));
    await h.apply(soap('soap', 'self'));
    await expectInvalid('soap', 'InvalidCertificate', 'spec.certificates[0].secretRef', 'R8');
  });

  it('InvalidPassword (R5), without the password anywhere in status', async () => {
    await h.apply(stringSecret('pass', { password: 'onlyletters' }));
    await h.apply(account('ftp', { type: 'FTP', permissions: ['SupplementaryPensionsPreload'], certificates: [{ name: 'c', secretRef: { name: 'good-cert' } }], ftp: { username: 'WK23', passwordSecretRef: { name: 'pass' } } }));
    const invalid = await expectInvalid('ftp', 'InvalidPassword', 'spec.ftp.passwordSecretRef', 'R5');
    expect(JSON.stringify(invalid.status)).not.toContain('onlyletters');
  });

  it('InvalidSSHKey: RSA-1024 and a private key (R17), never echoed', async () => {
    const key = makeSshKey('rsa1024');
    await h.apply(account('sftp', { type: 'SFTP', permissions: ['SupplementaryPensionsPreload'], certificates: [{ name: 'c', secretRef: { name: 'good-cert' } }], sftp: { username: 'WK23', publicKey: key.publicOpenSsh } }));
    await expectInvalid('sftp', 'InvalidSSHKey', 'spec.sftp.publicKey', 'R17');
    const privateKey = makeSshKey('ed25519').privateOpenSsh;
    await h.apply(stringSecret('ssh', { 'ssh-publickey': privateKey }));
    await h.apply(account('sftp', { type: 'SFTP', permissions: ['SupplementaryPensionsPreload'], certificates: [{ name: 'c', secretRef: { name: 'good-cert' } }], sftp: { username: 'WK23', publicKeySecretRef: { name: 'ssh' } } }));
    const invalid = await expectInvalid('sftp', 'InvalidSSHKey', 'spec.sftp.publicKeySecretRef', 'R17');
    const body = privateKey.split('\n').filter((l) => !l.startsWith('-----')).join('');
    expect(JSON.stringify(invalid)).not.toContain(body.slice(20, 40));
  });

  it('UnknownPermission lists the valid ids for the type; PermissionNotAllowed for another type\'s permission (R11)', async () => {
    await h.apply(account('rest', { type: 'REST', permissions: ['DimonaTeleportation'], certificates: [{ name: 'c', secretRef: { name: 'good-cert' } }] }));
    const unknown = await expectInvalid('rest', 'UnknownPermission', 'spec.permissions', 'R11');
    expect(unknown.status!.conditions!.find((c) => c.type === 'Invalid')!.message).toContain('DimonaDeclaration');
    await h.apply(account('rest2', { type: 'REST', permissions: ['SupplementaryPensionsPreload'], certificates: [{ name: 'c', secretRef: { name: 'good-cert' } }] }));
    await expectInvalid('rest2', 'PermissionNotAllowed', 'spec.permissions', 'R11');
  });

  it('SecretNotFound, then Ready once the Secret appears', async () => {
    await h.apply(soap('soap', 'missing'));
    const invalid = await h.waitForCondition('ChannelAccount', 'soap', 'Invalid', 'True', 'SecretNotFound');
    expect(invalid.status!.conditions!.find((c) => c.type === 'Invalid')!.message).toContain('"missing"');
    const cert = await makeCertificate({ ca, freshKey: true });
    await h.apply(tlsSecret('missing', cert.pem));
    await h.waitForCondition('ChannelAccount', 'soap', 'Ready', 'True');
  });

  it('DuplicateChannel: of two SOAP accounts for one sender the older wins (R2); the other proceeds once the first is gone', async () => {
    await h.apply(soap('first', 'good-cert'));
    await h.waitForCondition('ChannelAccount', 'first', 'Ready', 'True');
    await new Promise((r) => setTimeout(r, 1100)); // creationTimestamp has a resolution of one second
    await h.apply(soap('second', 'good-cert'));
    const dup = await expectInvalid('second', 'DuplicateChannel', 'spec.type', 'R2');
    expect(dup.status!.conditions!.find((c) => c.type === 'Invalid')!.message).toContain('"first"');
    expect((await h.chaman.listAccounts('300010')).length).toBe(1);
    await h.kube.request({ verb: 'delete', resource: 'channelaccounts', method: 'DELETE', path: `/apis/chaman.io/v1alpha1/namespaces/${h.namespace}/channelaccounts/first` });
    await h.waitForCondition('ChannelAccount', 'second', 'Ready', 'True');
  });

  it('an invalid account makes no retry storm: the emulator sees no further calls while nothing changes', async () => {
    await h.apply(account('rest', { type: 'REST', permissions: ['Nope'], certificates: [{ name: 'c', secretRef: { name: 'good-cert' } }] }));
    await h.waitForCondition('ChannelAccount', 'rest', 'Invalid', 'True', 'UnknownPermission');
    const before = h.emulator.requests().total;
    await new Promise((r) => setTimeout(r, 3000));
    expect(h.emulator.requests().total).toBe(before);
  });
});

describe('access denied (R14)', () => {
  it('a credential without access to the sender gives AccessDenied with what to do', async () => {
    await h.running!.stop(); // a second operator, whose credential may manage sender 999999 only
    const other = await startHarness(h.namespace, { tokens: { [h.token]: '*', limited: ['999999'] } });
    try {
      await other.startOperator({}, 'limited');
      await other.apply(sender('apk2', '300012'));
      const denied = await other.waitForCondition<ChamanSender>('ChamanSender', 'apk2', 'Ready', 'False', 'AccessDenied');
      const message = denied.status!.conditions!.find((c) => c.type === 'Ready')!.message;
      expect(message).toMatch(/403/);
      expect(message).toMatch(/Uman/);
      expect(message).toMatch(/access manager/);
      expect(message).not.toContain('limited');
    } finally {
      await other.stop();
    }
  });
});
