// Secrets never leak: no password, private key or token in logs (operator and emulator, at debug
// level), events or status; and Chaman receives the certificate alone, never its private key.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeCa, makeCertificate, secretRuns } from '../../src/devtools/certificates.ts';
import { createNamespace, deleteNamespace } from './support/cluster.ts';
import { account, sender, startHarness, stringSecret, tlsSecret, type Harness } from './support/operator.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness(await createNamespace('secrets'));
  await h.startOperator();
});

afterAll(async () => {
  await h.stop();
  await deleteNamespace(h.namespace);
});

it('no secret in logs, events or status; only the certificate reaches Chaman', async () => {
  const ca = await makeCa();
  const ftpCert = await makeCertificate({ ca, freshKey: true });
  const restCert = await makeCertificate({ ca, freshKey: true });
  const password = 'Wk23#pa55';
  const weak = 'weakpasswd';
  await h.apply(sender('apk', '300010'));
  await h.apply(tlsSecret('ftp-cert', ftpCert.pem, ftpCert.privateKeyPem));
  await h.apply(tlsSecret('rest-cert', restCert.pem, restCert.privateKeyPem));
  await h.apply(stringSecret('ftp-pass', { password }));
  await h.apply(stringSecret('weak-pass', { password: weak }));
  await h.apply(account('ftp', { type: 'FTP', permissions: ['SupplementaryPensionsPreload'], certificates: [{ name: 'c', secretRef: { name: 'ftp-cert' } }], ftp: { username: 'WK23', passwordSecretRef: { name: 'ftp-pass' } } }));
  await h.apply(account('rest', { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'c', secretRef: { name: 'rest-cert' } }] }));
  await h.apply({ ...account('ftp2', { senderRef: { name: 'apk2' }, type: 'FTP', permissions: ['SupplementaryPensionsPreload'], certificates: [{ name: 'c', secretRef: { name: 'ftp-cert' } }], ftp: { username: 'WK24', passwordSecretRef: { name: 'weak-pass' } } }) });
  await h.apply(sender('apk2', '300011'));
  const ftp = await h.waitForCondition('ChannelAccount', 'ftp', 'Ready', 'True');
  const rest = await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
  const invalid = await h.waitForCondition('ChannelAccount', 'ftp2', 'Invalid', 'True', 'InvalidPassword');

  // What Chaman holds is exactly the certificate's DER.
  const held = await h.chaman.downloadCertificate('300010', rest.status!.externalId!, (await h.chaman.getAccount('300010', rest.status!.externalId!)).certificates[0]!.id);
  expect(Buffer.from(held).equals(Buffer.from(restCert.der))).toBe(true);

  const events = await h.kube.request<{ items: unknown[] }>({ verb: 'list', resource: 'events', method: 'GET', path: `/apis/events.k8s.io/v1/namespaces/${h.namespace}/events` });
  expect(events.items.length).toBeGreaterThan(0);
  const everything = [h.logs.join('\n'), JSON.stringify(events.items), JSON.stringify([ftp, rest, invalid]), JSON.stringify(h.emulator.state())].join('\n');
  expect(h.logs.filter((l) => l.includes('"msg":"reconciled"')).length).toBeGreaterThan(5);
  expect(h.logs.some((l) => l.includes('InvalidPassword'))).toBe(true);
  for (const secret of [password, weak, h.token]) expect(everything).not.toContain(secret);
  for (const run of [...secretRuns(ftpCert.privateKeyPem), ...secretRuns(restCert.privateKeyPem)]) {
    if (everything.includes(run)) throw new Error('a piece of a private key reached a log, an event, a status or Chaman');
  }
  expect(everything).not.toContain('PRIVATE KEY');
  expect(ftp.status?.passwordSecretVersion).toMatch(/^\d+$/); // a resourceVersion, not a hash of the password
}, 120_000);
