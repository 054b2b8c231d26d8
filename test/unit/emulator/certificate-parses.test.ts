// The emulator reads an added certificate once: the rules' reading is what it stores (it used to parse
// the same upload again to store it, so a hostile upload cost twice).
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChamanHttpClient } from '../../../src/chaman/http-client.ts';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/server.ts';
import { makeCa, makeCertificate } from '../../support/certs.ts';

const parsed = vi.hoisted(() => ({ count: 0 }));
vi.mock('@peculiar/x509', async (importOriginal) => {
  const original = await importOriginal<typeof x509>();
  class CountedCertificate extends original.X509Certificate {
    constructor(...args: ConstructorParameters<typeof original.X509Certificate>) {
      parsed.count++;
      super(...args);
    }
  }
  return { ...original, X509Certificate: CountedCertificate };
});

const contact = { name: 'Jane', phone: { countryCode: '+32', number: '0486531619' }, email: 'jane@apk.example', language: 'fr' as const };
let emulator: RunningEmulator;
let client: ChamanHttpClient;

beforeAll(async () => {
  emulator = await startEmulator({ tokens: { rw: '*' } });
  client = new ChamanHttpClient({ baseUrl: emulator.url, auth: { kind: 'token', token: 'rw' }, retry: false });
});

afterAll(async () => {
  await client.close();
  await emulator.stop();
});

describe('emulator: adding a certificate', () => {
  it('parses the upload once', async () => {
    const ca = await makeCa();
    const [first, second] = [await makeCertificate({ ca, key: 'p384' }), await makeCertificate({ ca, key: 'p384' })];
    const upload = (der: Uint8Array, name: string) => ({ name, fileName: `${name}.cer`, content: Buffer.from(der).toString('base64') });
    await client.putContact('300010', contact);
    const account = await client.createAccount('300010', { type: 'REST', name: 'api', permissions: ['DimonaDeclaration'], certificates: [upload(first.der, 'one')] }, 'k1');
    parsed.count = 0;
    await client.addCertificate('300010', account.id, upload(second.der, 'two'));
    expect(parsed.count).toBe(1);
  });
});
