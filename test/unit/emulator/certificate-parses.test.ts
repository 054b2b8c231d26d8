// The emulator reads an added certificate once: the rules' reading is what it stores (it used to parse
// the same upload again to store it, so a hostile upload cost twice).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChamanHttpClient } from '../../../src/chaman/http-client.ts';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/server.ts';
import { x509Parses } from '../../support/x509-parses.ts';
import { makeCa, makeCertificate } from '../../support/certs.ts';

vi.mock('@peculiar/x509', async (original) => (await import('../../support/x509-parses.ts')).countingX509(original));

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
    x509Parses.count = 0;
    await client.addCertificate('300010', account.id, upload(second.der, 'two'));
    expect(x509Parses.count).toBe(1);
  });
});
