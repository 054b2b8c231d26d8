// Each account type end to end, on the real API server and the emulator over HTTP:
// create → Ready, an edit reaches Chaman, delete → gone (Delete) or kept (Orphan).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChamanSender, ChannelAccount } from '../../src/api/types.generated.ts';
import { makeCa, makeCertificate, makeFtpPassword, makeSshKey, type MadeCa } from '../../src/devtools/certificates.ts';
import { RESOURCES, resourcePath } from '../../src/kube/client.ts';
import { waitFor } from './support/cluster.ts';
import { account, harnessWithSender, sender, startHarness, stopHarness, stringSecret, tlsSecret, type Harness } from './support/operator.ts';

let h: Harness;
let ca: MadeCa;

beforeEach(async () => {
  h = await harnessWithSender('accounts');
  ca ??= await makeCa();
});

afterEach(() => stopHarness(h));

async function issued(name: string, selfSigned = false) {
  const cert = await makeCertificate({ ...(selfSigned ? {} : { ca }), freshKey: true, subject: `C=BE, O=APK, CN=${name}` });
  await h.apply(tlsSecret(name, cert.pem, cert.privateKeyPem));
  return cert;
}

async function remove(name: string) {
  await h.kube.request({ verb: 'delete', resource: 'channelaccounts', method: 'DELETE', path: resourcePath(RESOURCES.channelAccounts, h.namespace, name) });
  await waitFor(`${name} deleted`, async () => !(await h.get('ChannelAccount', name)), 30_000);
}

describe('ChamanSender', () => {
  it('creates the contact data in Chaman (R1), updates it, and counts its accounts', async () => {
    expect((await h.chaman.getSender('300010')).contact).toMatchObject({ name: 'Jane Peeters', email: 'jane@apk.example', language: 'fr' });
    const updated = sender('apk', '300010');
    (updated.spec as { contact: { language: string } }).contact.language = 'nl';
    await h.apply(updated);
    await waitFor('contact language nl in Chaman', async () => (await h.chaman.getSender('300010')).contact?.language === 'nl');
    const s = await h.waitForCondition<ChamanSender>('ChamanSender', 'apk', 'Ready', 'True');
    expect(s.status?.accounts).toEqual({ ftp: 0, sftp: 0, soap: 0, rest: 0 });
  });
});

describe('per-sender credentials', () => {
  it('a sender with credentialsSecretRef is managed with its own token, not the operator\'s', async () => {
    await h.running!.stop();
    const scoped = await startHarness(h.namespace, { tokens: { [h.token]: '*', 'operator-wide': ['999999'], 'sender-own': ['300020'] } });
    try {
      await scoped.startOperator({}, 'operator-wide');
      await scoped.apply(stringSecret('chaman-300020', { token: 'sender-own' }));
      await scoped.apply({ ...sender('own', '300020'), spec: { ...(sender('own', '300020').spec as object), credentialsSecretRef: { name: 'chaman-300020' } } });
      await scoped.waitForCondition('ChamanSender', 'own', 'Ready', 'True');
      await scoped.apply(sender('other', '300021')); // the operator-wide token may not manage it
      await scoped.waitForCondition('ChamanSender', 'other', 'Ready', 'False', 'AccessDenied');
      expect(scoped.logs.join('\n')).not.toContain('sender-own');
    } finally {
      await scoped.stop();
    }
  });
});

describe('ChannelAccount lifecycle', () => {
  it('FTP: created with its password, Ready; deleted in Chaman on delete', async () => {
    await issued('ftp-cert');
    await h.apply(stringSecret('ftp-pass', { password: makeFtpPassword() }));
    await h.apply(account('ftp', { type: 'FTP', permissions: ['SupplementaryPensionsPreload'], certificates: [{ name: 'c', secretRef: { name: 'ftp-cert' } }], ftp: { username: 'WK23', passwordSecretRef: { name: 'ftp-pass' } } }));
    const ready = await h.waitForCondition('ChannelAccount', 'ftp', 'Ready', 'True');
    expect(ready.status).toMatchObject({ username: 'EXPWK23', externalId: expect.any(String) });
    expect(ready.metadata.annotations?.['chaman.io/external-name']).toBe(ready.status?.externalId);
    expect(ready.status?.passwordSecretVersion).toMatch(/^\d+$/);
    const [held] = await h.chaman.listAccounts('300010');
    expect(held).toMatchObject({ type: 'FTP', username: 'EXPWK23', permissions: ['SupplementaryPensionsPreload'] });
    await remove('ftp');
    expect(await h.chaman.listAccounts('300010')).toEqual([]);
  });

  it('SFTP: an edit of name, permissions and SSH key reaches Chaman', async () => {
    await issued('sftp-cert');
    const first = makeSshKey('ed25519');
    await h.apply(account('sftp', { type: 'SFTP', accountName: 'WK23SFTP', permissions: ['SupplementaryPensionsPreload'], certificates: [{ name: 'c', secretRef: { name: 'sftp-cert' } }], sftp: { username: 'WK23', publicKey: first.publicOpenSsh } }));
    await h.waitForCondition('ChannelAccount', 'sftp', 'Ready', 'True');
    const second = makeSshKey('ecdsa384');
    await h.apply(account('sftp', { type: 'SFTP', accountName: 'Renamed', permissions: ['SupplementaryPensionsPreload'], certificates: [{ name: 'c', secretRef: { name: 'sftp-cert' } }], sftp: { username: 'WK24', publicKey: second.publicOpenSsh } }));
    await waitFor('the edit in Chaman', async () => {
      const [a] = await h.chaman.listAccounts('300010');
      return a?.name === 'Renamed' && a.username === 'EXPWK24' && a.sshPublicKey?.includes('BEGIN SSH2 PUBLIC KEY') ? a : undefined;
    });
    const ready = await h.waitForCondition('ChannelAccount', 'sftp', 'Ready', 'True');
    expect(ready.status?.username).toBe('EXPWK24');
    expect(h.emulator.requests().byOperation.editAccount).toBe(1);
  });

  it('SOAP: a new certificate in its Secret is a replace in Chaman', async () => {
    const before = await issued('soap-cert');
    await h.apply(account('soap', { type: 'SOAP', certificates: [{ name: 'Certificate-wk', secretRef: { name: 'soap-cert' }, fileName: 'testrestwk.cer' }] }));
    const ready = await h.waitForCondition('ChannelAccount', 'soap', 'Ready', 'True');
    expect(ready.status?.certificates?.[0]).toMatchObject({ name: 'Certificate-wk', fileName: 'testrestwk.cer', organization: 'APK', issuer: 'Test Issuing CA', selfSigned: false });
    const after = await issued('soap-cert');
    expect(after.pem).not.toBe(before.pem);
    await waitFor('the new certificate in Chaman', async () => {
      const [a] = await h.chaman.listAccounts('300010');
      return a?.certificates[0]?.serialNumber === BigInt(`0x${after.certificate.serialNumber}`).toString() ? a : undefined;
    });
    expect(h.emulator.requests().byOperation.replaceCertificate).toBe(1);
  });

  it('REST: a client ID (R16) published in a ConfigMap owned by the account; Orphan keeps the account in Chaman', async () => {
    await issued('rest-cert');
    await issued('rest-self', true);
    await h.apply(account('rest', {
      type: 'REST',
      permissions: ['DimonaDeclaration', 'DimonaConsultation'],
      certificates: [{ name: 'a', secretRef: { name: 'rest-cert' } }, { name: 'b', secretRef: { name: 'rest-self' } }],
      rest: { clientIdConfigMap: { name: 'rest-client' } },
      deletionPolicy: 'Orphan',
    }));
    const ready = await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
    expect(ready.status?.clientId).toMatch(/^self_service_chaman_300010_[a-z0-9]{10}$/);
    expect(ready.status?.certificates).toHaveLength(2);
    const cm = await waitFor('client ID ConfigMap', () =>
      h.kube.request<{ data: Record<string, string>; metadata: { ownerReferences: { uid: string }[] } }>({ verb: 'get', resource: 'configmaps', method: 'GET', path: resourcePath(RESOURCES.configMaps, h.namespace, 'rest-client') }).catch(() => undefined),
    );
    expect(cm.data.clientId).toBe(ready.status?.clientId);
    expect(cm.metadata.ownerReferences[0]!.uid).toBe(ready.metadata.uid);
    await remove('rest');
    expect(await h.chaman.listAccounts('300010')).toHaveLength(1);
  });

  it('the sender is held by its finalizer while an account references it', async () => {
    await h.apply(account('rest-ti', { type: 'REST', management: 'TechnicalIntermediary', permissions: ['DimonaDeclaration'] }));
    await h.waitForCondition('ChannelAccount', 'rest-ti', 'Ready', 'True');
    await h.kube.request({ verb: 'delete', resource: 'chamansenders', method: 'DELETE', path: resourcePath(RESOURCES.chamanSenders, h.namespace, 'apk') });
    const held = await h.waitForCondition<ChamanSender>('ChamanSender', 'apk', 'Ready', 'False', 'Deleting');
    expect(held.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain('rest-ti');
    await remove('rest-ti');
    await waitFor('sender released', async () => !(await h.get('ChamanSender', 'apk')));
  });

  it('Ready=False/Creating is written before Chaman answers a slow create', async () => {
    h.emulator.setFaults({ responseDelayMs: 3000 });
    await h.apply(account('slow', { type: 'REST', management: 'TechnicalIntermediary', permissions: ['DimonaDeclaration'] }));
    // Each Chaman answer now takes 3 s: the catalog read, then the create; Creating shows in between.
    const creating = await h.waitForCondition('ChannelAccount', 'slow', 'Ready', 'False', 'Creating', 5500);
    expect(creating.status?.conditions?.find((c) => c.type === 'Reconciling')).toMatchObject({ status: 'True', reason: 'Creating' });
    h.emulator.setFaults({ responseDelayMs: 0 });
    await h.waitForCondition('ChannelAccount', 'slow', 'Ready', 'True', undefined, 15_000);
  });

  it('an account waits (SenderNotReady) until its sender exists and is Ready', async () => {
    await h.apply(account('early', { senderRef: { name: 'later' }, type: 'REST', management: 'TechnicalIntermediary', permissions: ['DimonaDeclaration'] }));
    const waiting = await h.waitForCondition<ChannelAccount>('ChannelAccount', 'early', 'Ready', 'False', 'SenderNotReady');
    expect(waiting.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain('"later"');
    await h.apply(sender('later', '300011'));
    await h.waitForCondition('ChannelAccount', 'early', 'Ready', 'True');
  });
});
