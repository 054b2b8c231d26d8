// What one credential or one answer can do to the operator's Chaman traffic (issue 16), against a
// small HTTP server that answers as a misbehaving Chaman would:
// - five 429s asking for a year on credential A do not stop credential B (item 5);
// - an answer past the size cap is abandoned once the cap is passed, not buffered (item 8);
// - a token goes over plain http only to loopback, and a rotated token file is used at once (item 8).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChamanError } from '../../src/chaman/errors.ts';
import type { Clock } from '../../src/chaman/token-bucket.ts';
import { ChamanHttpClient } from '../../src/chaman/http-client.ts';
import { clientFactory } from '../../src/controller/chaman-clients.ts';
import { operatorAuth } from '../../src/controller/cli.ts';

const YEAR_S = 365 * 86_400;
const MiB = 1024 * 1024;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
let server: Server;
let url: string;
const seen: { path: string; authorization: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

/** A manual clock: time moves only when the test says (or a backoff sleeps). */
function manualClock(): Clock & { t: number } {
  const clock = { t: 0, now: () => clock.t, sleep: async (ms: number) => void (clock.t += ms) };
  return clock;
}

const codeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (error: ChamanError) => error.code);

describe('one credential throttled (issue 16 item 5)', () => {
  it("five 429s asking for a year on credential A do not stop B's calls, and A probes again within 5 minutes", async () => {
    handler = (req, res) => {
      if (req.headers.authorization === 'Bearer token-a') json(res, 429, { code: 'RATE_LIMITED', message: 'slow down' }, { 'retry-after': String(YEAR_S) });
      else json(res, 200, []);
    };
    const clock = manualClock();
    const factory = clientFactory({ baseUrl: url, retry: false, clock });
    const a = factory({ kind: 'token', token: 'token-a' });
    const b = factory({ kind: 'token', token: 'token-b' });
    for (let i = 0; i < 5; i++) expect(await codeOf(a.listAccounts('300010'))).toBe('RATE_LIMITED');
    expect(await codeOf(a.listAccounts('300010'))).toBe('CIRCUIT_OPEN');
    expect(await codeOf(b.listAccounts('300011'))).toBe('ok');
    const before = seen.length;
    clock.t += 5 * 60_000;
    expect(await codeOf(a.listAccounts('300010'))).toBe('RATE_LIMITED'); // sent: the probe
    expect(seen.length).toBe(before + 1);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('answers past the size cap (issue 16 item 8)', () => {
  const client = (maxResponseBytes?: number) =>
    clientFactory({ baseUrl: url, retry: false, breaker: false, ...(maxResponseBytes ? { maxResponseBytes } : {}) })({ kind: 'token', token: 't' });

  it('an answer that declares more than 8 MiB is refused before its body is read, with the cap in the message', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(9 * MiB) });
      res.write('['); // and never the rest: the client must not wait for it
    };
    const c = client();
    const error = (await c.listAccounts('300010').catch((e: unknown) => e)) as ChamanError;
    expect(error.code).toBe('RESPONSE_TOO_LARGE');
    expect(error.message).toContain('8 MiB');
    expect(error.message).toContain('--chaman-url');
    await c.close();
  });

  it('a chunked answer that never ends is abandoned once past the cap, and the connection closed', async () => {
    let sent = 0;
    let closed = false;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const push = () => {
        while (!closed && sent < 64 * MiB) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', push);
        }
      };
      res.on('close', () => (closed = true));
      push();
    };
    const c = client(1 * MiB);
    expect(await codeOf(c.listAccounts('300010'))).toBe('RESPONSE_TOO_LARGE');
    await expect.poll(() => closed).toBe(true);
    expect(sent).toBeLessThan(16 * MiB);
    await c.close();
  });

  it('an answer under the cap is read as before', async () => {
    const accounts = Array.from({ length: 2000 }, (_, i) => ({ id: `a${i}`, type: 'REST', description: 'x'.repeat(200) }));
    handler = (_req, res) => json(res, 200, accounts);
    const c = client();
    expect(await c.listAccounts('300010')).toHaveLength(2000);
    await c.close();
  });
});

describe('the bearer token (issue 16 item 8)', () => {
  it('is not sent over plain http to a host off loopback, unless allowInsecureHttp says it is meant', () => {
    const token = 'never-in-an-error-0123456789';
    const make = (baseUrl: string, allowInsecureHttp?: boolean) =>
      new ChamanHttpClient({ baseUrl, auth: { kind: 'token', token }, ...(allowInsecureHttp !== undefined ? { allowInsecureHttp } : {}) });
    const error = (() => {
      try {
        make('http://chaman.example/api/v1');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toMatch(/^--chaman-url http:\/\/chaman\.example: plain http:\/\/ would send the bearer token in clear text.*--allow-insecure-http/);
    expect(error?.message).not.toContain(token);
    for (const ok of [make('http://chaman.example', true), make('https://chaman.example'), make(url)]) void ok.close();
    // mTLS over http sends no secret (and no certificate either): not this check's business
    void new ChamanHttpClient({ baseUrl: 'http://chaman.example', auth: { kind: 'mtls', cert: '', key: '' } }).close();
  });

  it('from --chaman-token-file is read again when the file changes (a rotated Secret), without a restart', async () => {
    handler = (req, res) => (req.headers.authorization === 'Bearer token-2' ? json(res, 200, []) : json(res, 401, { code: 'UNAUTHORIZED', message: 'unknown token' }));
    const file = join(mkdtempSync(join(tmpdir(), 'token-file-')), 'token');
    writeFileSync(file, 'token-1\n');
    const auth = operatorAuth({ tokenFile: file, ca: undefined, clientCert: undefined, clientKey: undefined })!;
    const client = clientFactory({ baseUrl: url, retry: false, breaker: false })(auth);
    expect(await codeOf(client.listAccounts('300010'))).toBe('ACCESS_DENIED');
    writeFileSync(file, 'token-2\n');
    expect(await codeOf(client.listAccounts('300010'))).toBe('ok');
    await client.close();
  });
});
