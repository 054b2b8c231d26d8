// HTTP bodies to the emulator are user input: every shape below must cost about what a normal request
// of the same size costs, be answered with the right problem (and rule), and never echo secret bytes
// in an answer or a log line.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChamanHttpClient } from '../../src/chaman/http-client.ts';
import { createLogger } from '../../src/emulator/logger.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.ts';
import { makeCa, makeCertificate, type MadeCertificate } from '../support/certs.ts';
import { KiB, expectBoundedRatio } from './timing.ts';

const SENDER = '300010';
const CONTACT = { name: 'Jane Peeters', phone: { countryCode: '+32', number: '0486531619' }, email: 'jane@apk.example', language: 'fr' as const };
const token = `hostile-${randomBytes(8).toString('hex')}`;
const marker = `marker${randomBytes(6).toString('hex')}`;
const logs: string[] = [];
let emulator: RunningEmulator;
let leaf: MadeCertificate;

beforeAll(async () => {
  emulator = await startEmulator({
    tokens: { [token]: '*' },
    logLevel: 'debug',
    logger: createLogger('debug', new Writable({ write: (chunk, _e, done) => (logs.push(String(chunk)), done()) })),
  });
  const client = new ChamanHttpClient({ baseUrl: emulator.url, auth: { kind: 'token', token }, retry: false });
  await client.putContact(SENDER, CONTACT);
  await client.close();
  leaf = await makeCertificate({ ca: await makeCa(), key: 'p384' });
});

afterAll(async () => {
  await emulator.stop();
  const all = logs.join('\n');
  expect(all).not.toContain(marker);
  expect(all).not.toContain(token);
});

interface Answer {
  status: number;
  body: { code?: string; detail?: string; errors?: { field: string; rule: string; message: string }[] };
  text: string;
}

async function post(path: string, body: string): Promise<Answer> {
  const res = await request(`${emulator.url}${path}`, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  const text = await res.body.text();
  let parsed: Answer['body'] = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: left empty
  }
  return { status: res.statusCode, body: parsed, text };
}

/**
 * A create-account request that every rule reads and that fails only on its permission (R11): the
 * certificate is parsed, checked, and then the request is refused, so nothing accumulates between runs.
 */
function createBody(content: string, size: number, extra: Record<string, unknown> = {}): string {
  const json = JSON.stringify({ type: 'REST', name: 'hostile', permissions: ['NoSuchPermission'], certificates: [{ name: 'c', fileName: 'c.cer', content }], ...extra });
  return json + ' '.repeat(Math.max(0, size - json.length)); // JSON allows trailing blanks: same size class
}

const accounts = `/api/v1/senders/${SENDER}/accounts`;
const normal = (size: number) => () => post(accounts, createBody(Buffer.from(leaf.pem).toString('base64'), size));
const pathological = (bytes: number) => Buffer.from(`${marker}\n-----BEGIN ${'-'.repeat(bytes - marker.length - 12)}`).toString('base64');

// JSON.parse costs per token: a body of 40,000 small values has 40,000 times the tokens of a normal body of
// the same size (mostly one base64 string). Those shapes are held to 10, which still tells linear from
// the per-entry message building fixed here (14 MB of messages for 40,000 permissions).
const TOKENS_BOUND = 10;

describe('hostile bodies', () => {
  it.each([
    ['a 64 KiB pathological certificate', 96 * KiB, () => createBody(pathological(64 * KiB), 96 * KiB), 422, /^R9: this is not an X\.509 certificate/],
    ['a 512 KiB pathological certificate', 768 * KiB, () => createBody(pathological(512 * KiB), 768 * KiB), 422, /^R9: the certificate file is 524,288 bytes; the limit is 65,536 bytes/],
    ['random base64 as the certificate', 768 * KiB, () => createBody(randomBytes(512 * KiB).toString('base64'), 768 * KiB), 422, /^R9: the certificate file is/],
    ['malformed JSON', 768 * KiB, () => `{"type":${'['.repeat(768 * KiB - 9)}`, 400, undefined],
    ['JSON nested 390,000 deep', 768 * KiB, () => `${'['.repeat(384 * KiB)}${']'.repeat(384 * KiB)}`, 400, undefined],
    ['40,000 permissions', 768 * KiB, () => createBody(Buffer.from(leaf.pem).toString('base64'), 768 * KiB, { permissions: Array(40_000).fill('DimonaDeclaration') }), 422, undefined],
    ['40,000 unknown fields', 768 * KiB, () => createBody(Buffer.from(leaf.pem).toString('base64'), 768 * KiB, Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`f${i}`, 1]))), 422, undefined],
    ['a password of 512 KiB', 768 * KiB, () => createBody(Buffer.from(leaf.pem).toString('base64'), 768 * KiB, { type: 'FTP', username: 'WK23', password: `${marker}${'p'.repeat(512 * KiB)}` }), 422, /^R5: the FTP password/],
  ] as const)('%s: linear, answered %i', async (label, size, make, status, message) => {
    const hostile = make();
    const bound = label.startsWith('40,000') ? TOKENS_BOUND : 5;
    await expectBoundedRatio(label, () => post(accounts, hostile), normal(size), bound);
    const answer = await post(accounts, hostile);
    expect(answer.status, answer.text.slice(0, 300)).toBe(status);
    if (message) expect(answer.body.errors?.map((e) => e.message)).toContainEqual(expect.stringMatching(message));
    expect(answer.text).not.toContain(marker);
  });

  it('a body over 1 MiB is refused while it streams in, with the cap in the answer', async () => {
    const hostile = createBody(pathological(800 * KiB), 1100 * KiB);
    await expectBoundedRatio('over 1 MiB', () => post(accounts, hostile), normal(1000 * KiB));
    const answer = await post(accounts, hostile);
    expect(answer.status).toBe(413);
    expect(answer.body.detail).toMatch(/1,048,576 bytes \(1 MiB\)/);
    expect(answer.text).not.toContain(marker);
  });
});
