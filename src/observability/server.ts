// The operator's HTTP endpoints: `/metrics` on the metrics address, `/healthz` and `/readyz` on the
// health address (the two may be the same address: then one server serves all three).
//
// Semantics:
// - /healthz — the process is alive and its loops are not wedged (liveness): 200 unless a liveness
//   check fails.
// - /readyz — the replica is able to serve: its informers have synced (readiness). With leader
//   election a standby replica that is NOT leader is still ready — readiness means "can take over
//   and serve", not "is leading" — otherwise a rollout would wait forever on standbys and the
//   Service would flap on every leader change.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export type Check = () => boolean | string | Promise<boolean | string>;

export interface ObservabilityServerOptions {
  registry: Registry;
  /** host:port, e.g. `:8080` or `127.0.0.1:0` (0 picks a free port). */
  metricsAddr: string;
  /** host:port for /healthz and /readyz. May equal metricsAddr. */
  healthAddr: string;
  /** Named readiness checks; true = ok, false or a string (the reason) = not ready. */
  readiness?: Record<string, Check>;
  /** Named liveness checks. */
  liveness?: Record<string, Check>;
}

export interface ObservabilityServer {
  /** Actual bound addresses (useful with port 0). */
  readonly metricsUrl: string;
  readonly healthUrl: string;
  addReadinessCheck(name: string, check: Check): void;
  addLivenessCheck(name: string, check: Check): void;
  close(): Promise<void>;
}

export function parseAddr(addr: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr.trim());
  if (!m) throw new Error(`invalid address "${addr}": expected host:port or :port`);
  const host = m[1] ?? m[2];
  return { host: host ? host : undefined, port: Number(m[3]) };
}

async function runChecks(checks: Map<string, Check>): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  let ok = true;
  for (const [name, check] of checks) {
    let r: boolean | string;
    try {
      r = await check();
    } catch (err) {
      r = `check threw: ${(err as Error)?.message ?? 'error'}`;
    }
    if (r === true) lines.push(`[+] ${name} ok`);
    else {
      ok = false;
      lines.push(`[-] ${name} failed${typeof r === 'string' ? `: ${r}` : ''}`);
    }
  }
  return { ok, lines };
}

async function listen(server: Server, addr: string): Promise<string> {
  const { host, port } = parseAddr(addr);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `http://${h}:${a.port}`;
}

export async function startObservabilityServer(opts: ObservabilityServerOptions): Promise<ObservabilityServer> {
  const readiness = new Map(Object.entries(opts.readiness ?? {}));
  const liveness = new Map(Object.entries(opts.liveness ?? {}));
  // One server when both addresses are the same fixed port (port 0 means "any": two servers).
  const same = opts.metricsAddr === opts.healthAddr && parseAddr(opts.metricsAddr).port !== 0;

  const handler = (serveMetrics: boolean, serveHealth: boolean) => async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    try {
      if (serveMetrics && path === '/metrics') {
        const body = await opts.registry.metrics();
        res.writeHead(200, { 'Content-Type': opts.registry.contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      if (serveHealth && (path === '/healthz' || path === '/livez' || path === '/readyz')) {
        const { ok, lines } = await runChecks(path === '/readyz' ? readiness : liveness);
        const verbose = (req.url ?? '').includes('verbose');
        res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end(verbose || !ok ? `${lines.join('\n')}\n${ok ? 'ok' : 'not ok'}\n` : 'ok\n');
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
    } catch {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    }
  };

  const servers: Server[] = [];
  const metricsServer = createServer(handler(true, same));
  servers.push(metricsServer);
  const metricsUrl = await listen(metricsServer, opts.metricsAddr);
  let healthUrl = metricsUrl;
  if (!same) {
    const healthServer = createServer(handler(false, true));
    servers.push(healthServer);
    try {
      healthUrl = await listen(healthServer, opts.healthAddr);
    } catch (err) {
      await new Promise<void>((r) => metricsServer.close(() => r()));
      throw err;
    }
  }
  for (const s of servers) s.keepAliveTimeout = 5_000;

  return {
    metricsUrl,
    healthUrl,
    addReadinessCheck: (name, check) => void readiness.set(name, check),
    addLivenessCheck: (name, check) => void liveness.set(name, check),
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
