// A free TCP port on loopback, for a child process that must be told where to listen (its /metrics,
// an emulator) before it starts. Another process may take it in between: callers retry or accept that.
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
