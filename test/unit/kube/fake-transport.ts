// An in-memory Transport for unit tests of the kube adapters: the test scripts each response.
// (Integration tests use the real API server; this only exercises our own logic.)
import { afterEach } from 'vitest';
import type { Transport, TransportRequest, TransportResponse } from '../../../src/kube/client.ts';

export type Responder = (req: TransportRequest, url: URL) => TransportResponse | Promise<TransportResponse>;

export class FakeTransport implements Transport {
  readonly requests: (TransportRequest & { parsed: URL })[] = [];
  private readonly responders: { match: (url: URL, req: TransportRequest) => boolean; respond: Responder; once: boolean }[] = [];

  /** Adds a responder; the first matching one answers. `once` responders are consumed. */
  on(match: (url: URL, req: TransportRequest) => boolean, respond: Responder, once = true): this {
    this.responders.push({ match, respond, once });
    return this;
  }

  /** Like `on`, but takes precedence over every responder added before. */
  first(match: (url: URL, req: TransportRequest) => boolean, respond: Responder, once = true): this {
    this.responders.unshift({ match, respond, once });
    return this;
  }

  async send(req: TransportRequest): Promise<TransportResponse> {
    const parsed = new URL(req.url);
    this.requests.push({ ...req, parsed });
    const i = this.responders.findIndex((r) => r.match(parsed, req));
    if (i < 0) return jsonResponse(404, { kind: 'Status', reason: 'NotFound', message: `no responder for ${req.method} ${parsed.pathname}${parsed.search}` });
    const r = this.responders[i]!;
    if (r.once) this.responders.splice(i, 1);
    return r.respond(req, parsed);
  }

  watches(): (TransportRequest & { parsed: URL })[] {
    return this.requests.filter((r) => r.parsed.searchParams.get('watch') === '1');
  }
  lists(): (TransportRequest & { parsed: URL })[] {
    return this.requests.filter((r) => r.method === 'GET' && r.parsed.searchParams.get('watch') !== '1');
  }
}

export const isWatch = (u: URL) => u.searchParams.get('watch') === '1';
export const isList = (u: URL) => !isWatch(u);

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): TransportResponse {
  const text = body === undefined ? '' : JSON.stringify(body);
  return {
    status,
    headers,
    body: (async function* () {
      yield new TextEncoder().encode(text);
    })(),
    text: async () => text,
    cancel: () => {},
  };
}

/** A watch response whose events the test pushes. */
export class WatchStreamResponse implements TransportResponse {
  readonly status = 200;
  readonly headers = {};
  private queue: (Uint8Array | Error | null)[] = [];
  private wake: (() => void) | undefined;
  cancelled = false;

  push(type: string, object: unknown): void {
    this.enqueue(new TextEncoder().encode(JSON.stringify({ type, object }) + '\n'));
  }
  /** Sends raw bytes (e.g. half an event). */
  raw(text: string): void {
    this.enqueue(new TextEncoder().encode(text));
  }
  end(): void {
    this.enqueue(null);
  }
  fail(err = new Error('socket hang up')): void {
    this.enqueue(err);
  }
  cancel(): void {
    this.cancelled = true;
    this.fail(Object.assign(new Error('aborted'), { name: 'AbortError' }));
  }
  async text(): Promise<string> {
    return '';
  }
  private enqueue(x: Uint8Array | Error | null): void {
    this.queue.push(x);
    this.wake?.();
  }
  get body(): AsyncIterable<Uint8Array> {
    const self = this;
    return (async function* () {
      for (;;) {
        while (self.queue.length === 0) await new Promise<void>((r) => (self.wake = r));
        const x = self.queue.shift()!;
        if (x === null) return;
        if (x instanceof Error) throw x;
        yield x;
      }
    })();
  }
}

export function cm(namespace: string, name: string, rv: string, data: Record<string, string> = {}) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name, resourceVersion: rv, managedFields: [{ manager: 'x' }] }, data };
}

export function list(items: unknown[], rv: string, cont?: string) {
  return { apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: rv, continue: cont }, items };
}

/** A list whose members (informers, clients) are stopped after each test of the file. */
export function stoppedAfterEach<T extends { stop(): Promise<void> }>(): T[] {
  const started: T[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((x) => x.stop()));
  });
  return started;
}
