import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../../../src/devtools/tcp-proxy.ts';

// A real echo server on loopback stands for the API server; it counts the bytes it receives so a test
// can tell "swallowed by the proxy" from "answered slowly".
let echo: Server;
let echoPort: number;
let received: number;
const echoSockets = new Set<Socket>();
let proxy: TcpProxy | undefined;

beforeEach(async () => {
  received = 0;
  echo = createServer((s) => {
    echoSockets.add(s);
    s.on('data', (d) => {
      received += d.length;
      s.write(d);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as { port: number }).port;
});

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  for (const s of echoSockets) s.destroy();
  echoSockets.clear();
  await new Promise<void>((r) => echo.close(() => r()));
});

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** What comes back on `s` within `ms`, or null when nothing does. */
function reply(s: Socket, message: string, ms = 300): Promise<string | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      s.off('data', onData);
      resolve(null);
    }, ms);
    const onData = (d: Buffer) => {
      clearTimeout(timer);
      s.off('data', onData);
      resolve(d.toString());
    };
    s.on('data', onData);
    s.write(message);
  });
}

const closed = (s: Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

describe('tcp-proxy', () => {
  it('forwards bytes both ways while open', async () => {
    proxy = await startTcpProxy({ targetPort: echoPort });
    const s = await open(proxy.port);
    expect(await reply(s, 'hello')).toBe('hello');
    expect(proxy.connections).toBe(1);
    s.destroy();
  });

  it("'refuse' drops open connections and refuses new ones; restore() listens again on the same port", async () => {
    proxy = await startTcpProxy({ targetPort: echoPort });
    const port = proxy.port;
    const s = await open(port);
    expect(await reply(s, 'a')).toBe('a');
    s.on('error', () => {});

    await proxy.cut('refuse');
    await closed(s);
    expect(proxy.state).toBe('refuse');
    await expect(open(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await proxy.restore();
    expect(proxy.port).toBe(port);
    const again = await open(port);
    expect(await reply(again, 'b')).toBe('b');
    again.destroy();
  });

  it("'blackhole' swallows bytes on open and new connections without closing them; restore() resets the held ones", async () => {
    proxy = await startTcpProxy({ targetPort: echoPort });
    const before = await open(proxy.port);
    expect(await reply(before, 'x')).toBe('x');
    before.on('error', () => {});

    await proxy.cut('blackhole');
    const receivedAtCut = received;
    expect(await reply(before, 'lost')).toBeNull();
    expect(before.destroyed).toBe(false);
    const during = await open(proxy.port); // accepted: the connect succeeds, then nothing answers
    during.on('error', () => {});
    expect(await reply(during, 'lost too')).toBeNull();
    expect(during.destroyed).toBe(false);
    expect(received).toBe(receivedAtCut); // nothing reached the target
    expect(proxy.connections).toBe(2);

    await proxy.restore();
    await Promise.all([closed(before), closed(during)]);
    const after = await open(proxy.port);
    expect(await reply(after, 'back')).toBe('back');
    after.destroy();
  });

  it("an HTTP request through a blackhole hangs until the client's own deadline", async () => {
    const http = createHttpServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      proxy = await startTcpProxy({ targetPort: (http.address() as { port: number }).port });
      const url = `http://127.0.0.1:${proxy.port}/`;
      expect(await (await fetch(url)).text()).toBe('ok');
      await proxy.cut('blackhole');
      const started = Date.now();
      await expect(fetch(url, { signal: AbortSignal.timeout(400) })).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
      await proxy.restore();
      expect(await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text()).toBe('ok');
    } finally {
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    }
  });

  it('switches from one cut to the other, and close() refuses connections for good', async () => {
    proxy = await startTcpProxy({ targetPort: echoPort });
    const port = proxy.port;
    await proxy.cut('refuse');
    await proxy.cut('blackhole'); // listening again, but answering nothing
    const held = await open(port);
    held.on('error', () => {});
    expect(await reply(held, 'q')).toBeNull();
    await proxy.cut('refuse');
    await closed(held);
    await proxy.close();
    expect(proxy.state).toBe('closed');
    await expect(open(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(proxy.restore()).rejects.toThrow(/after close/);
  });
});
