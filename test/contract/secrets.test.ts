// Secrets (token, password, private key) never reach a log line, an error message, a hook event or
// the emulator's admin output — checked by grepping everything the calls produced.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChamanHttpClient } from '../../src/chaman/http-client.ts';
import type { ChamanRequestEvent } from '../../src/chaman/http-client.ts';
import { makeCa, makeCertificate, secretRuns } from '../support/certs.ts';
import type { MadeCertificate } from '../support/certs.ts';
import { createLogger } from '../../src/emulator/logger.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import type { RunningEmulator } from '../../src/emulator/server.ts';
import { CONTACT } from './env.ts';

const token = `top-secret-${randomUUID()}`;
const password = 'Pw12#x9Q';
const logLines: string[] = [];
let emulator: RunningEmulator;
let certificate: MadeCertificate;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  emulator = await startEmulator({ tokens: { [token]: ['300010'] }, logger: createLogger('trace', sink) });
  certificate = await makeCertificate({ ca: await makeCa() });
}, 30_000);

afterAll(async () => {
  await emulator.stop();
});

function everything(error: unknown): string {
  const e = error as Error & Record<string, unknown>;
  return [e.message, e.stack, String(e), JSON.stringify(e), JSON.stringify(e.cause ?? null)].join('\n');
}

describe('no secret leaks', () => {
  it('not from failing calls, hooks, logs or the admin endpoints', async () => {
    const events: ChamanRequestEvent[] = [];
    const client = new ChamanHttpClient({ baseUrl: emulator.url, auth: { kind: 'token', token }, retry: { maxAttempts: 2, baseDelayMs: 1 }, onRequest: (e) => events.push(e) });
    const errors: unknown[] = [];
    const attempt = async (call: Promise<unknown>) => call.catch((e: unknown) => errors.push(e));

    await client.putContact('300010', CONTACT);
    // 403 for another sender, 404, 422 carrying a password and a private key, a 503, a dropped connection
    await attempt(client.getSender('300011'));
    await attempt(client.getAccount('300010', 'acc-unknown'));
    await attempt(
      client.createAccount(
        '300010',
        {
          type: 'FTP',
          name: 'ftp',
          permissions: ['SupplementaryPensionsPreload'],
          username: 'WK23',
          password: `${password}-too-long`,
          certificates: [{ name: 'key', fileName: 'key.cer', content: Buffer.from(certificate.privateKeyPem).toString('base64') }],
        },
        'leak-1',
      ),
    );
    const created = await client
      .createAccount(
        '300010',
        { type: 'FTP', name: 'ftp', permissions: ['SupplementaryPensionsPreload'], username: 'WK23', password, certificates: [{ name: 'c', fileName: 'c.cer', content: Buffer.from(certificate.der).toString('base64') }] },
        'leak-2',
      )
      .catch((e: unknown) => errors.push(e));
    emulator.setFaults({ errorRate: 1 });
    await attempt(client.listAccounts('300010'));
    emulator.setFaults({ errorRate: 0, dropRate: 1 });
    await attempt(client.listAccounts('300010'));
    emulator.setFaults({ dropRate: 0 });
    // an unknown token
    const stranger = new ChamanHttpClient({ baseUrl: emulator.url, auth: { kind: 'token', token: `${token}-wrong` }, retry: false });
    await attempt(stranger.listPermissions());
    await stranger.close();
    await client.close();

    expect(errors.length).toBeGreaterThanOrEqual(5);
    const haystack = [
      ...errors.map(everything),
      JSON.stringify(events),
      logLines.join(''),
      JSON.stringify(emulator.state()),
      JSON.stringify(emulator.requests()),
      JSON.stringify(created ?? null),
    ].join('\n');
    expect(haystack).not.toContain(token);
    expect(haystack).not.toContain(password);
    for (const run of secretRuns(certificate.privateKeyPem)) expect(haystack).not.toContain(run);
    expect(logLines.length).toBeGreaterThan(5);
  });
});
