// The contract-test environment: an emulator in-process on port 0 with a temporary data dir, and a
// recording proxy in front of it so that EVERY answer the client (or a raw call) gets can be checked
// against the OpenAPI document. Tests talk HTTP for real; nothing is mocked.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { ChamanHttpClient } from '../../src/chaman/http-client.ts';
import type { ChamanHttpClientOptions } from '../../src/chaman/http-client.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/server.ts';
import { OpenApiValidator } from './openapi.ts';
import type { RecordedResponse } from './openapi.ts';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export interface ContractEnv {
  emulator: RunningEmulator;
  /** the proxy's origin: use it as the client's baseUrl */
  url: string;
  /** a token that may manage every sender */
  token: string;
  /** a token that may manage only RESTRICTED_SENDER */
  restrictedToken: string;
  dataDir: string;
  openapi: OpenApiValidator;
  responses: RecordedResponse[];
  client(options?: Partial<ChamanHttpClientOptions>): ChamanHttpClient;
  /** a raw HTTP call through the proxy (path from the origin, e.g. /api/v1/permissions) */
  raw(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string>; token?: string | null }): Promise<RawAnswer>;
  /** every recorded answer that does not match the document */
  violations(): string[];
  stop(): Promise<void>;
}

export const RESTRICTED_SENDER = '399999';

let senderSeq = 0;
/** A sender number no other test in this process uses (so R2 never collides between tests). */
export function freshSender(): string {
  senderSeq++;
  return String(310000 + (process.pid % 1000) * 50 + senderSeq).padStart(6, '0');
}

export async function startContractEnv(options: Partial<EmulatorOptions> = {}): Promise<ContractEnv> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chaman-contract-'));
  const token = `secret-token-${randomUUID()}`;
  const restrictedToken = `restricted-${randomUUID()}`;
  const emulator = await startEmulator({
    dataDir,
    tokens: { [token]: '*', [restrictedToken]: [RESTRICTED_SENDER] },
    ...options,
  });
  const openapi = new OpenApiValidator();
  const responses: RecordedResponse[] = [];

  const proxy: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = { ...req.headers };
      delete headers.host;
      delete headers.connection;
      const body = chunks.length > 0 ? Buffer.concat(chunks) : null;
      request(`${emulator.url}${req.url}`, { method: req.method as 'GET', headers, body })
        .then(async (answer) => {
          const bytes = Buffer.from(await answer.body.arrayBuffer());
          const contentType = String(answer.headers['content-type'] ?? '');
          responses.push({ method: req.method!, path: req.url!, status: answer.statusCode, contentType, body: bytes });
          const out: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding') out[k] = v;
          res.writeHead(answer.statusCode, out);
          res.end(bytes);
        })
        .catch(() => {
          // the emulator dropped the connection (fault injection): drop ours too
          responses.push({ method: req.method!, path: req.url!, status: 0, contentType: '', body: Buffer.alloc(0) });
          req.socket.destroy();
        });
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const clients: ChamanHttpClient[] = [];

  return {
    emulator,
    url,
    token,
    restrictedToken,
    dataDir,
    openapi,
    responses,
    client(extra = {}) {
      const client = new ChamanHttpClient({ baseUrl: url, auth: { kind: 'token', token }, retry: { baseDelayMs: 10, maxDelayMs: 50 }, ...extra });
      clients.push(client);
      return client;
    },
    async raw(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const bearer = opts.token === undefined ? token : opts.token;
      if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
      let body: string | undefined;
      if (opts.body !== undefined) {
        body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const answer = await request(`${url}${path}`, { method: method as 'GET', headers, body: body ?? null });
      const text = await answer.body.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: answer.statusCode, headers: answer.headers, body: parsed };
    },
    violations() {
      return responses.flatMap((r) => openapi.check(r));
    },
    async stop() {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await emulator.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const CONTACT = {
  name: 'Jane Peeters',
  role: 'Technical lead',
  phone: { countryCode: '+32', number: '0486531619' },
  email: 'jane.peeters@apk.example',
  language: 'fr' as const,
};

