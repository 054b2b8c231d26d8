// mTLS: the emulator serves HTTPS and maps a client certificate's subject CN to a credential;
// the client authenticates with its certificate and key, and trusts the server through a CA bundle.
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessDeniedError, AuthenticationError, UnavailableError } from '../../src/chaman/errors.ts';
import { ChamanHttpClient } from '../../src/chaman/http-client.ts';
import { makeCa, makeCertificate } from '../support/certs.ts';
import type { MadeCa } from '../support/certs.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import type { RunningEmulator } from '../../src/emulator/server.ts';

x509.cryptoProvider.set(webcrypto as never);

/** A server certificate for 127.0.0.1 (an IP SAN: hostname checks do not fall back to the CN for IPs). */
async function serverCertificate(ca: MadeCa): Promise<{ cert: string; key: string }> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const caAlgorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const caKey = await webcrypto.subtle.importKey('pkcs8', ca.privateKey.export({ type: 'pkcs8', format: 'der' }), caAlgorithm, false, ['sign']);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: `1${randomBytes(7).toString('hex')}`,
    subject: 'CN=127.0.0.1',
    issuer: ca.certificate.subject,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKey: keys.publicKey as never,
    signingKey: caKey as never,
    signingAlgorithm: caAlgorithm as never,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]), new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1'])],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return { cert: certificate.toString('pem'), key: `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n` };
}

let emulator: RunningEmulator;
let caPem: string;
let operator: { pem: string; privateKeyPem: string };
let stranger: { pem: string; privateKeyPem: string };
let limited: { pem: string; privateKeyPem: string };
const clients: ChamanHttpClient[] = [];

beforeAll(async () => {
  const ca = await makeCa({ subject: 'CN=Contract Test CA' }); // RSA-3072, signs with SHA-256
  caPem = ca.pem;
  const server = await serverCertificate(ca);
  operator = await makeCertificate({ subject: 'O=Platform, CN=chaman-operator', ca });
  limited = await makeCertificate({ subject: 'CN=payroll-team', ca });
  // a certificate the server does not trust: self-signed, same CN as the operator's
  stranger = await makeCertificate({ subject: 'CN=chaman-operator', freshKey: true });
  emulator = await startEmulator({
    tls: { cert: server.cert, key: server.key, clientCa: caPem },
    clients: { 'chaman-operator': '*', 'payroll-team': ['300020'] },
    tokens: { 'tls-token': '*' },
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await emulator?.stop();
});

function client(cert: { pem: string; privateKeyPem: string }): ChamanHttpClient {
  const c = new ChamanHttpClient({ baseUrl: emulator.url, auth: { kind: 'mtls', cert: cert.pem, key: cert.privateKeyPem, ca: caPem }, retry: false });
  clients.push(c);
  return c;
}

describe('mTLS', () => {
  it('serves HTTPS and authenticates a client certificate by its CN', async () => {
    expect(emulator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const permissions = await client(operator).listPermissions('REST');
    expect(permissions).toHaveLength(8);
    expect((await client(operator).getSender('300010')).senderNumber).toBe('300010');
  });

  it('a certificate mapped to some senders only gets 403 for the others (R14)', async () => {
    const c = client(limited);
    expect((await c.getSender('300020')).senderNumber).toBe('300020');
    await expect(c.getSender('300010')).rejects.toBeInstanceOf(AccessDeniedError);
  });

  it('an untrusted client certificate is 401, not a TLS failure', async () => {
    const error = await client(stranger).listPermissions().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).not.toContain('PRIVATE KEY');
  });

  it('a bearer token works on the same HTTPS port', async () => {
    const c = new ChamanHttpClient({ baseUrl: emulator.url, auth: { kind: 'token', token: 'tls-token', ca: caPem }, retry: false });
    clients.push(c);
    expect(await c.listPermissions('FTP')).toHaveLength(1);
  });

  it('a client that does not trust the server CA fails with UnavailableError', async () => {
    const c = new ChamanHttpClient({ baseUrl: emulator.url, auth: { kind: 'mtls', cert: operator.pem, key: operator.privateKeyPem }, retry: false });
    clients.push(c);
    const error = await c.listPermissions().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).not.toContain(operator.privateKeyPem.split('\n')[1]!);
  });
});
