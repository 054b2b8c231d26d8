// A read-only credential of the emulator (`--token NAME:SENDERS:ro`): it reads what its senders
// hold and gets 403 on any write, so `plan` can prove it needs no more than that.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChamanHttpClient } from '../../../src/chaman/http-client.ts';
import { AccessDeniedError } from '../../../src/chaman/errors.ts';
import { parseEmulatorArgs } from '../../../src/emulator/cli.ts';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/server.ts';

const contact = { name: 'Jane', phone: { countryCode: '+32', number: '0486531619' }, email: 'jane@apk.example', language: 'fr' as const };

describe('emulator read-only token', () => {
  let emulator: RunningEmulator;
  let reader: ChamanHttpClient;
  let writer: ChamanHttpClient;
  beforeAll(async () => {
    emulator = await startEmulator({ tokens: { rw: '*', ro: ['300010'] }, readOnlyTokens: ['ro'] });
    reader = new ChamanHttpClient({ baseUrl: emulator.url, auth: { kind: 'token', token: 'ro' }, retry: false });
    writer = new ChamanHttpClient({ baseUrl: emulator.url, auth: { kind: 'token', token: 'rw' }, retry: false });
  });
  afterAll(async () => {
    await reader.close();
    await writer.close();
    await emulator.stop();
  });

  it('reads its senders and is refused (403, R14) on every write', async () => {
    await writer.putContact('300010', contact);
    expect((await reader.getSender('300010')).contact?.name).toBe('Jane');
    expect(await reader.listAccounts('300010')).toEqual([]);
    const write = reader.putContact('300010', { ...contact, name: 'Mallory' });
    await expect(write).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(write).rejects.toThrow(/read-only/);
    expect((await writer.getSender('300010')).contact?.name).toBe('Jane');
    const denied = emulator.requests().recent.filter((r) => r.status === 403);
    expect(denied.map((r) => r.method)).toEqual(['PUT']);
  });

  it('parses --token NAME:SENDERS:ro', () => {
    const options = parseEmulatorArgs(['--port', '0', '--data-dir', 'd', '--token', 'ci:300010,300011:ro', '--token', 'dev:*']);
    expect(options.tokens).toEqual({ ci: ['300010', '300011'], dev: '*' });
    expect(options.readOnlyTokens).toEqual(['ci']);
  });
});
