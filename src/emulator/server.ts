// The emulator's HTTP(S) server: authentication, routing, fault injection, the request log and the
// admin endpoints. The Chaman behaviour itself (rules, state) is in backend.ts.
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { PROBLEM_CONTENT_TYPE, makeProblem } from '../chaman/problem.ts';
import type { Problem, ProblemCode } from '../chaman/problem.ts';
import type { Organization, Permission } from '../domain/types.ts';
import { EmulatorBackend, ProblemError } from './backend.ts';
import type { Reply } from './backend.ts';
import { NO_FAULTS, decideFault, mergeFaults } from './faults.ts';
import type { Faults } from './faults.ts';
import { createLogger } from './logger.ts';
import type { Logger } from './logger.ts';
import { Store } from './store.ts';

/** `'*'` (every sender) or a list of sender numbers. */
export type SenderScope = '*' | string[];

export interface EmulatorOptions {
  /** 0 (default) picks a free port */
  port?: number;
  /** default 127.0.0.1; without TLS only a loopback address is accepted */
  host?: string;
  /** where state is kept; omitted: in memory only (lost on stop) */
  dataDir?: string;
  /** bearer tokens: token value → the senders it may manage */
  tokens?: Record<string, SenderScope>;
  /** tokens (of `tokens`) that may only read: any POST, PUT, PATCH or DELETE gets 403 (what `plan` needs) */
  readOnlyTokens?: string[];
  /** mTLS: client certificate subject CN → the senders it may manage (needs `tls.clientCa`) */
  clients?: Record<string, SenderScope>;
  /** PEM contents (not file names) */
  tls?: { cert: string | Buffer; key: string | Buffer; clientCa?: string | Buffer };
  /** initial faults; change them at runtime with PUT /admin/faults or `setFaults` */
  faults?: Partial<Faults>;
  /** R7 policy: from this instant SHA-1 is refused for every type (default: the domain's default) */
  sha1Cutoff?: Date;
  /** the clock the rules use (R10, R7); default: the real time */
  now?: () => Date;
  /** the permission catalog; default: the domain's PERMISSION_CATALOG */
  catalog?: Permission[];
  /** what GET /senders/{n} shows as `organization` (otherwise null) */
  organizations?: Record<string, Organization>;
  /** pino level (default `silent` when used as a library; the CLI defaults to `info`) */
  logLevel?: string;
  logger?: Logger;
  /** entries kept for GET /admin/requests (default 1000) */
  requestLogSize?: number;
  /** random source for fault injection, for deterministic tests */
  random?: () => number;
}

/** One API request as GET /admin/requests shows it: no headers, no bodies. */
export interface RequestLogEntry {
  seq: number;
  at: string;
  method: string;
  path: string;
  operation: string;
  status: number;
  durationMs: number;
  /** the fault injected, if any */
  fault?: string;
}

export interface RequestLog {
  /** API requests since start (admin requests are not counted) */
  total: number;
  /** of which POST/PUT/PATCH/DELETE */
  mutating: number;
  byOperation: Record<string, number>;
  /** the last entries, oldest first; `?since=SEQ` on the endpoint keeps those after SEQ */
  recent: RequestLogEntry[];
}

export interface RunningEmulator {
  /** origin, e.g. `http://127.0.0.1:40123`; the API is under `${url}/api/v1` */
  url: string;
  port: number;
  /** closes the server and the journal */
  stop(): Promise<void>;
  /** the same dump as GET /admin/state */
  state(): unknown;
  faults(): Faults;
  setFaults(update: Partial<Faults>): Faults;
  requests(since?: number): RequestLog;
}

interface Credential {
  /** for logs: never the token itself */
  label: string;
  senders: SenderScope;
  readOnly?: boolean;
}

interface Route {
  method: string;
  pattern: RegExp;
  operation: string;
}

const ID = '([^/]+)';
const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/api\/v1\/permissions$/, operation: 'listPermissions' },
  { method: 'GET', pattern: new RegExp(`^/api/v1/senders/${ID}$`), operation: 'getSender' },
  { method: 'PUT', pattern: new RegExp(`^/api/v1/senders/${ID}/contact$`), operation: 'putContact' },
  { method: 'GET', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts$`), operation: 'listAccounts' },
  { method: 'POST', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts$`), operation: 'createAccount' },
  { method: 'GET', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts/${ID}$`), operation: 'getAccount' },
  { method: 'PATCH', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts/${ID}$`), operation: 'editAccount' },
  { method: 'DELETE', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts/${ID}$`), operation: 'deleteAccount' },
  { method: 'POST', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts/${ID}/certificates$`), operation: 'addCertificate' },
  { method: 'PUT', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts/${ID}/certificates/${ID}$`), operation: 'replaceCertificate' },
  { method: 'DELETE', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts/${ID}/certificates/${ID}$`), operation: 'removeCertificate' },
  { method: 'GET', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts/${ID}/certificates/${ID}/content$`), operation: 'downloadCertificate' },
];

const MAX_BODY_BYTES = 1024 * 1024;
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  if (!options.tls && !isLoopback(host)) {
    throw new Error(`without TLS the emulator listens on loopback only (got host ${host}); give --tls-cert and --tls-key to listen elsewhere`);
  }
  if (options.clients && Object.keys(options.clients).length > 0 && !options.tls?.clientCa) {
    throw new Error('client certificate credentials need TLS with a client CA (--tls-cert, --tls-key, --client-ca)');
  }
  const log = options.logger ?? createLogger(options.logLevel ?? 'silent');
  const now = options.now ?? (() => new Date());
  const store = Store.open(options.dataDir, now());
  const backend = new EmulatorBackend({
    store,
    now,
    ...(options.sha1Cutoff ? { sha1Cutoff: options.sha1Cutoff } : {}),
    ...(options.catalog ? { catalog: options.catalog } : {}),
    organizations: options.organizations ?? {},
  });
  const random = options.random ?? Math.random;
  let faults: Faults = { ...NO_FAULTS, ...options.faults };
  const tokens = new Map(Object.entries(options.tokens ?? {}));
  const clients = new Map(Object.entries(options.clients ?? {}));
  const tokenLabels = new Map([...tokens.keys()].map((token, index) => [token, `token#${index + 1}`]));
  const readOnlyTokens = new Set(options.readOnlyTokens ?? []);

  // ---- request log ----
  const logSize = options.requestLogSize ?? 1000;
  const recent: RequestLogEntry[] = [];
  const counts = { total: 0, mutating: 0, byOperation: {} as Record<string, number>, seq: 0 };
  function record(entry: Omit<RequestLogEntry, 'seq' | 'at'>): void {
    counts.seq++;
    counts.total++;
    if (MUTATING.has(entry.method)) counts.mutating++;
    counts.byOperation[entry.operation] = (counts.byOperation[entry.operation] ?? 0) + 1;
    recent.push({ seq: counts.seq, at: new Date().toISOString(), ...entry });
    if (recent.length > logSize) recent.shift();
  }
  function requests(since?: number): RequestLog {
    return {
      total: counts.total,
      mutating: counts.mutating,
      byOperation: { ...counts.byOperation },
      recent: since === undefined ? [...recent] : recent.filter((entry) => entry.seq > since),
    };
  }

  // ---- authentication ----
  function authenticate(req: IncomingMessage): Credential | undefined {
    const header = req.headers.authorization;
    if (typeof header === 'string') {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const senders = match ? tokens.get(match[1]!) : undefined;
      return senders !== undefined ? { label: tokenLabels.get(match![1]!)!, senders, ...(readOnlyTokens.has(match![1]!) ? { readOnly: true } : {}) } : undefined;
    }
    const socket = req.socket as TLSSocket;
    if (typeof socket.getPeerCertificate === 'function' && socket.authorized) {
      const cn = socket.getPeerCertificate()?.subject?.CN;
      const name = Array.isArray(cn) ? cn[0] : cn;
      const senders = name !== undefined ? clients.get(name) : undefined;
      if (senders !== undefined) return { label: `cn:${name}`, senders };
    }
    return undefined;
  }

  function mayManage(credential: Credential, senderNumber: string): boolean {
    return credential.senders === '*' || credential.senders.includes(senderNumber);
  }

  // ---- the handler ----
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (path.startsWith('/admin/')) {
      await handleAdmin(req, res, url);
      return;
    }

    const route = ROUTES.find((r) => r.method === method && r.pattern.test(path));
    const operation = route?.operation ?? 'unknown';
    let fault: string | undefined;
    const finish = (reply: Reply): void => {
      send(res, reply);
      const durationMs = Math.round((performance.now() - started) * 100) / 100;
      record({ method, path, operation, status: reply.status, durationMs, ...(fault ? { fault } : {}) });
      log.info({ method, path, operation, status: reply.status, durationMs, ...(fault ? { fault } : {}) }, 'request');
    };
    const drop = (): void => {
      record({ method, path, operation, status: 0, durationMs: Math.round(performance.now() - started), fault: fault ?? 'drop' });
      log.info({ method, path, operation, fault }, 'connection dropped (fault injection)');
      req.socket.destroy();
    };

    try {
      if (!path.startsWith('/api/v1/')) throw new ProblemError('NOT_FOUND', `no such endpoint: ${path}; the API is under /api/v1`);

      // Faults first: an injected 429/503/drop means the request was not processed.
      if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
      const decision = decideFault(faults, random);
      if (decision === 'drop') {
        fault = 'drop';
        drop();
        return;
      }
      if (decision === 'rateLimit') {
        fault = '429';
        finish(problemReply('RATE_LIMITED', 'injected rate limit: retry after the delay in Retry-After', path, { 'retry-after': String(faults.retryAfterSeconds) }));
        return;
      }
      if (decision === 'error') {
        fault = '503';
        finish(problemReply('UNAVAILABLE', 'injected error: the request was not processed, retry later', path));
        return;
      }

      const credential = authenticate(req);
      if (!credential) {
        throw new ProblemError(
          'UNAUTHENTICATED',
          'no credential or an unknown one: send "Authorization: Bearer <token>" with a registered token, or a client certificate the server trusts',
          { 'www-authenticate': 'Bearer realm="chaman"' },
        );
      }
      if (!route) {
        const allowed = ROUTES.filter((r) => r.pattern.test(path)).map((r) => r.method);
        if (allowed.length > 0) throw new ProblemError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`, { allow: allowed.join(', ') });
        throw new ProblemError('NOT_FOUND', `no such endpoint: ${method} ${path}`);
      }
      const params = route.pattern.exec(path)!.slice(1).map((p) => decodeURIComponent(p));
      const senderNumber = params[0];
      if (senderNumber !== undefined && !mayManage(credential, senderNumber)) {
        throw new ProblemError(
          'ACCESS_DENIED',
          `this credential may not manage sender ${senderNumber} in Chaman (R14). If you are not an access manager, ask yours to enable Chaman for you; ` +
            'if you are, enable the application Chaman for this credential in the access-management application.',
        );
      }
      if (credential.readOnly && MUTATING.has(method)) {
        throw new ProblemError('ACCESS_DENIED', `this credential is read-only in Chaman (R14): it may read, not ${method} ${path}. Use a credential that may manage the sender.`);
      }
      const body = MUTATING.has(method) && method !== 'DELETE' ? await readJson(req) : undefined;
      const idempotencyKey = headerValue(req.headers['idempotency-key']);
      if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 255 || !/^[\x21-\x7e]+$/.test(idempotencyKey))) {
        throw new ProblemError('VALIDATION_FAILED', 'the Idempotency-Key header must be 1 to 255 printable ASCII characters without spaces, e.g. a UUID', {}, [
          { field: 'Idempotency-Key', rule: 'SCHEMA', message: 'use 1 to 255 printable ASCII characters without spaces, e.g. a UUID' },
        ]);
      }
      const reply = await backend.handle(route.operation, {
        params,
        query: url.searchParams,
        body,
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
        scope: credential.label,
      });
      if (faults.responseDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.responseDelayMs));
      if (decision === 'dropAfterCommit') {
        fault = 'dropAfterCommit';
        drop();
        return;
      }
      finish(reply);
    } catch (error) {
      if (error instanceof ProblemError) {
        finish({ status: error.problem.status, body: { ...error.problem, instance: path }, contentType: PROBLEM_CONTENT_TYPE, headers: error.headers });
      } else {
        log.error({ err: { message: (error as Error)?.message, stack: (error as Error)?.stack }, method, path, operation }, 'internal error');
        finish(problemReply('INTERNAL_ERROR', 'the emulator failed to process the request; see its log', path));
      }
    }
  }

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const credential = authenticate(req);
    if (!credential) {
      send(res, problemReply('UNAUTHENTICATED', 'the admin endpoints need a credential of the emulator (a bearer token or client certificate)', path));
      return;
    }
    if (credential.senders !== '*' || (credential.readOnly && req.method !== 'GET')) {
      send(res, problemReply('ACCESS_DENIED', 'the admin endpoints need a credential that may manage every sender ("*"); a read-only one may only GET them', path));
      return;
    }
    try {
      if (path === '/admin/faults' && req.method === 'GET') {
        send(res, { status: 200, body: faults });
      } else if (path === '/admin/faults' && req.method === 'PUT') {
        const merged = mergeFaults(NO_FAULTS, await readJson(req));
        if (!merged.faults) {
          send(res, problemReply('VALIDATION_FAILED', 'invalid faults', path, {}, merged.errors.map((e) => ({ ...e, rule: 'SCHEMA' }))));
          return;
        }
        faults = merged.faults;
        log.warn({ faults }, 'faults changed');
        send(res, { status: 200, body: faults });
      } else if (path === '/admin/state' && req.method === 'GET') {
        send(res, { status: 200, body: backend.dump() });
      } else if (path === '/admin/requests' && req.method === 'GET') {
        const since = url.searchParams.get('since');
        send(res, { status: 200, body: requests(since !== null ? Number(since) : undefined) });
      } else {
        send(res, problemReply('NOT_FOUND', `no such admin endpoint: ${req.method} ${path}`, path));
      }
    } catch (error) {
      if (error instanceof ProblemError) send(res, { status: error.problem.status, body: error.problem, contentType: PROBLEM_CONTENT_TYPE });
      else send(res, problemReply('INTERNAL_ERROR', (error as Error).message, path));
    }
  }

  // ---- the server ----
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: { message: (error as Error)?.message } }, 'unhandled');
      if (!res.headersSent) send(res, problemReply('INTERNAL_ERROR', 'internal error', req.url ?? '/'));
    });
  };
  const server: Server = options.tls
    ? createHttpsServer(
        {
          cert: options.tls.cert,
          key: options.tls.key,
          ...(options.tls.clientCa ? { ca: options.tls.clientCa, requestCert: true } : {}),
          // An untrusted or missing client certificate is answered 401 (problem+json), not a TLS alert,
          // so a bearer token works on the same port and the client gets a readable error.
          rejectUnauthorized: false,
        },
        listener,
      )
    : createHttpServer(listener);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const scheme = options.tls ? 'https' : 'http';
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${scheme}://${urlHost}:${address.port}`;
  log.info(
    { url, dataDir: options.dataDir ?? null, tokens: tokens.size, clients: [...clients.keys()], faults, persistent: options.dataDir !== undefined },
    'Chaman emulator listening',
  );

  let stopped = false;
  return {
    url,
    port: address.port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      store.close();
      log.info('Chaman emulator stopped');
    },
    state: () => backend.dump(),
    faults: () => ({ ...faults }),
    setFaults(update) {
      const merged = mergeFaults(faults, update);
      if (!merged.faults) throw new Error(merged.errors.map((e) => `${e.field}: ${e.message}`).join('; '));
      faults = merged.faults;
      return { ...faults };
    },
    requests,
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function problemReply(
  code: ProblemCode,
  detail: string,
  instance: string,
  headers: Record<string, string> = {},
  errors?: { field: string; rule: string; message: string }[],
): Reply {
  const problem: Problem = makeProblem(code, detail, { instance, ...(errors ? { errors } : {}) });
  return { status: problem.status, body: problem, contentType: PROBLEM_CONTENT_TYPE, headers };
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
  let payload: Buffer | undefined;
  if (reply.bytes !== undefined) {
    payload = Buffer.from(reply.bytes);
    headers['content-type'] = reply.contentType ?? 'application/octet-stream';
  } else if (reply.body !== undefined) {
    payload = Buffer.from(JSON.stringify(reply.body));
    headers['content-type'] = reply.contentType ?? 'application/json';
  }
  if (payload) headers['content-length'] = String(payload.length);
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/** No request of this API nests more than 4 levels; anything deeper is refused before JSON.parse sees it. */
const MAX_JSON_DEPTH = 32;

/** One linear pass: the nesting depth of JSON text, strings (and their escapes) skipped. */
function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new ProblemError('PAYLOAD_TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES.toLocaleString('en-US')} bytes (1 MiB), the most this server reads; it was not read: send one account or certificate per request (a certificate is a few kB)`);
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  const contentType = req.headers['content-type'] ?? '';
  if (contentType !== '' && !/\bjson\b/i.test(contentType)) {
    throw new ProblemError('UNSUPPORTED_MEDIA_TYPE', `send the body as application/json (got ${contentType.split(';')[0]})`);
  }
  if (jsonDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new ProblemError('MALFORMED_REQUEST', `the body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels, and was not parsed; a request of this API nests 4 at most`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ProblemError('MALFORMED_REQUEST', 'the body is not valid JSON');
  }
}
