// A loopback TCP proxy that can cut the line, for the chaos benchmark and the tests: put it between
// the operator and the API server (or between a leader and its Lease), then cut() and restore().
// It forwards raw bytes, so TLS passes through untouched (the target's certificate must name the
// proxy's host, 127.0.0.1, which the test control plane's does).
//
//   const proxy = await startTcpProxy({ targetHost: '127.0.0.1', targetPort: 6443 });
//   // point the client at https://127.0.0.1:${proxy.port}
//   await proxy.cut('blackhole');   // requests hang: bytes are swallowed, nothing is answered
//   await proxy.cut('refuse');      // every connection dropped, new ones get ECONNREFUSED
//   await proxy.restore();
//   await proxy.close();
//
// Two kinds of cut, because clients behave differently under each:
// - 'refuse': the API server looks down. Open connections are destroyed (the client sees a reset) and
//   the listener is closed, so a connect gets ECONNREFUSED at once. restore() listens on the same port.
// - 'blackhole': the network looks partitioned. Connections stay open but nothing gets through in either
//   direction, and new connections are accepted and then ignored, so a request hangs until the client's
//   own timeout fires. That is what exposes a missing deadline (a Lease renewal that waits 30 s).
//   Bytes sent during the cut are lost, so restore() destroys the connections held during the cut (as a
//   peer that lost their state would reset them); new connections go through again.
import { createServer, connect, type Server, type Socket } from 'node:net';

export type CutMode = 'refuse' | 'blackhole';
export type ProxyState = 'open' | CutMode | 'closed';

export interface TcpProxyOptions {
  targetHost?: string;
  targetPort: number;
  /** Where the proxy listens; default 127.0.0.1 and a free port. */
  host?: string;
  port?: number;
}

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** 'open', the cut in force, or 'closed'. */
  readonly state: ProxyState;
  /** Connections currently open through the proxy or held by a blackhole. */
  readonly connections: number;
  /** Connections accepted since start (including ones held or refused after accept). */
  readonly accepted: number;
  cut(mode: CutMode): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** One accepted client socket and, while the line is open, its upstream socket. */
interface Link {
  client: Socket;
  upstream?: Socket;
  held?: boolean;
}

export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const targetHost = options.targetHost ?? '127.0.0.1';
  const host = options.host ?? '127.0.0.1';
  const links = new Set<Link>();
  let state: ProxyState = 'open';
  let accepted = 0;
  let server: Server | undefined;
  let port = options.port ?? 0;

  const drop = (link: Link) => dropLink(links, link);

  const onConnection = (client: Socket) => {
    accepted++;
    const link: Link = { client };
    links.add(link);
    client.on('error', () => drop(link));
    client.on('close', () => {
      if (link.upstream) link.upstream.destroy();
      links.delete(link);
    });
    if (state === 'open') forward(link, { host: targetHost, port: options.targetPort }, drop);
    else hold(link);
  };

  const listen = async () => {
    server = await listenOn(host, port, onConnection);
    port = (server.address() as { port: number }).port;
  };

  const stopListening = async () => {
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  const dropAll = () => [...links].forEach(drop);

  await listen();

  return {
    host,
    get port() {
      return port;
    },
    get state() {
      return state;
    },
    get connections() {
      return links.size;
    },
    get accepted() {
      return accepted;
    },
    async cut(mode: CutMode) {
      if (state === 'closed') throw new Error('tcp-proxy: cut() after close()');
      if (mode === 'refuse') {
        state = 'refuse';
        dropAll();
        await stopListening();
        return;
      }
      state = 'blackhole';
      for (const link of links) hold(link);
      if (!server) await listen();
    },
    async restore() {
      if (state === 'closed') throw new Error('tcp-proxy: restore() after close()');
      const wasBlackhole = state === 'blackhole';
      state = 'open';
      if (wasBlackhole) dropAll();
      if (!server) await listen();
    },
    async close() {
      state = 'closed';
      dropAll();
      await stopListening();
    },
  };
}

/** Closes both ends of a link and forgets it. */
function dropLink(links: Set<Link>, link: Link): void {
  links.delete(link);
  link.upstream?.destroy();
  link.client.destroy();
}

/** Swallows a socket: read and discard everything, answer nothing, never close it from our side. */
function hold(link: Link): void {
  if (link.held) return;
  link.held = true;
  const upstream = link.upstream;
  link.upstream = undefined;
  if (upstream) {
    link.client.unpipe(upstream);
    upstream.unpipe(link.client);
    upstream.destroy();
  }
  link.client.on('data', () => {});
  link.client.resume();
}

/** Pipes a client to a new connection to the target; the upstream failing or closing drops the link. */
function forward(link: Link, target: { host: string; port: number }, drop: (link: Link) => void): void {
  const upstream = connect(target);
  link.upstream = upstream;
  upstream.on('error', () => {
    if (link.upstream === upstream) drop(link);
  });
  upstream.on('close', () => {
    if (link.upstream === upstream) drop(link);
  });
  link.client.pipe(upstream);
  upstream.pipe(link.client);
}

async function listenOn(host: string, port: number, onConnection: (client: Socket) => void): Promise<Server> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
