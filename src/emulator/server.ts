// The emulator's HTTP(S) server: it opens the store and the backend, listens, and hands each request
// to the API (api-handler.ts) or the admin endpoints (admin-handler.ts). The Chaman behaviour itself
// (rules, state) is in backend.ts; credentials, the request log and request I/O have files of their own.
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Organization, Permission } from '../domain/types.ts';
import { handleAdmin } from './admin-handler.ts';
import { handleApi } from './api-handler.ts';
import type { EmulatorContext } from './context.ts';
import { EmulatorBackend } from './backend.ts';
import { Credentials, type SenderScope } from './credentials.ts';
import { NO_FAULTS, mergeFaults } from './faults.ts';
import type { Faults } from './faults.ts';
import { problemReply, send } from './http-io.ts';
import { createLogger } from './logger.ts';
import type { Logger } from './logger.ts';
import { RequestLogBook, type RequestLog } from './request-log.ts';
import { Store } from './store.ts';

export type { SenderScope } from './credentials.ts';
export type { RequestLog, RequestLogEntry } from './request-log.ts';

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

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  checkExposure(host, options);
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
  const credentials = new Credentials(options.tokens ?? {}, options.clients ?? {}, options.readOnlyTokens ?? []);

  const requestLog = new RequestLogBook(options.requestLogSize ?? 1000);
  const ctx: EmulatorContext = {
    backend,
    credentials,
    requestLog,
    log,
    random,
    faults: () => faults,
    setFaults: (next) => {
      faults = next;
    },
  };

  // ---- the server ----
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const handled = url.pathname.startsWith('/admin/') ? handleAdmin(ctx, req, res, url) : handleApi(ctx, req, res);
    handled.catch((error: unknown) => {
      log.error({ err: { message: (error as Error)?.message } }, 'unhandled');
      if (!res.headersSent) send(res, problemReply('INTERNAL_ERROR', 'internal error', req.url ?? '/'));
    });
  };
  const server = await listen(host, options, listener);
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${options.tls ? 'https' : 'http'}://${urlHost}:${address.port}`;
  log.info(
    { url, dataDir: options.dataDir ?? null, tokens: credentials.tokenCount, clients: credentials.clientNames, faults, persistent: options.dataDir !== undefined },
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
    requests: (since) => requestLog.requests(since),
  };
}

/** Without TLS the emulator stays on loopback; client certificates need TLS with a client CA. */
function checkExposure(host: string, options: EmulatorOptions): void {
  if (!options.tls && !isLoopback(host)) {
    throw new Error(`without TLS the emulator listens on loopback only (got host ${host}); give --tls-cert and --tls-key to listen elsewhere`);
  }
  if (options.clients && Object.keys(options.clients).length > 0 && !options.tls?.clientCa) {
    throw new Error('client certificate credentials need TLS with a client CA (--tls-cert, --tls-key, --client-ca)');
  }
}

/** An HTTP server, or HTTPS with `options.tls`, listening on `host` and `options.port` (default: any free port). */
async function listen(host: string, options: EmulatorOptions, listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
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
  return server;
}
