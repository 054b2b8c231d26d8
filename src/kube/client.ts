// The one path by which the operator talks to the Kubernetes API server. Every request — get,
// list, watch, patch, apply, create, delete — goes through KubeClient.send(), which counts it
// (chaman_kube_requests_total{verb, resource}) so reads and writes in steady state can be reported.
//
// Credentials and TLS come from a kubeconfig (kubeconfig.ts: file or in-cluster, exec and token-file
// auth from @kubernetes/client-node, without its generated models); the HTTP itself is undici, for
// control over Accept headers (metadata-only lists), streaming watches and timeouts.
import { KubeConfigFile, type KubeAccess, type HttpsOptions } from './kubeconfig.ts';
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import { systemClock, type Clock } from './clock.ts';
import { Waiters } from './waiters.ts';
import { KubeApiError, type KubeObject, type KubeVerb } from './resources.ts';

export {
  KubeApiError,
  RESOURCES,
  type KubeVerb,
  apiVersionOf,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  resourcePath,
  type KubeList,
  type KubeObject,
  type ObjectHandle,
  type ObjectMeta,
  type OwnerReference,
  type ResourceType,
} from './resources.ts';


/** A Kubernetes resource type: where it lives in the API and what it is called. */
export interface KubeRequest {
  verb: KubeVerb;
  /** The `resource` label of the request counter, e.g. `secrets` or `channelaccounts/status`. */
  resource: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  accept?: string;
  contentType?: string;
  /** Serialised as JSON unless already a string. */
  body?: unknown;
  /** Default 30 s for ordinary requests; for a watch it bounds the wait for response headers only. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface TransportRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Bound on the wait for the response headers. */
  headersTimeoutMs: number;
  /** Bound on the silence between body chunks; 0 disables it (watches have their own watchdog). */
  bodyTimeoutMs: number;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
  /** Releases the connection without reading the rest of the body. */
  cancel(): void;
}

/** How bytes reach the API server: undici in production, an in-memory fake in unit tests. */
export interface Transport {
  send(req: TransportRequest): Promise<TransportResponse>;
  close?(): Promise<void>;
}

export interface RequestRecord {
  verb: KubeVerb;
  resource: string;
  /** HTTP status, or 0 for a network failure. */
  status: number;
  durationMs: number;
}

export interface KubeClientOptions {
  /** Base URL of the API server, e.g. https://127.0.0.1:6443. */
  server: string;
  transport: Transport;
  /** Headers for authentication (bearer token, impersonation); called per request so tokens can rotate. */
  authHeaders?: () => Promise<Record<string, string>>;
  /** Called once per request, whatever the outcome: the counted path. */
  onRequest?: (r: RequestRecord) => void;
  userAgent?: string;
  /** While the API server is unreachable and someone waits in whenReachable: probe /readyz this often. Default 2 s. */
  probeIntervalMs?: number;
  /** Timers of the probe loop (a manual clock in unit tests). */
  clock?: Pick<Clock, 'sleep'>;
}

export interface WatchStream {
  /** Lines of the watch body, one JSON event each. */
  lines: AsyncIterable<string>;
  cancel(): void;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** While the API server is unreachable, how often one /readyz probe checks whether it is back. */
const DEFAULT_PROBE_INTERVAL_MS = 2_000;

export class KubeClient {
  readonly server: string;
  private readonly transport: Transport;
  private readonly authHeaders: () => Promise<Record<string, string>>;
  private readonly onRequestHooks: ((r: RequestRecord) => void)[] = [];
  private readonly userAgent: string;
  private readonly probeIntervalMs: number;
  private readonly clock: Pick<Clock, 'sleep'>;
  /** False from a network failure until the API server answers again (any HTTP answer, or /readyz 200). */
  private reachable = true;
  private readonly reachableWaiters = new Waiters();
  private probing = false;

  constructor(opts: KubeClientOptions) {
    this.server = opts.server.replace(/\/+$/, '');
    this.transport = opts.transport;
    this.authHeaders = opts.authHeaders ?? (async () => ({}));
    if (opts.onRequest) this.onRequestHooks.push(opts.onRequest);
    this.userAgent = opts.userAgent ?? 'chaman-operator';
    this.probeIntervalMs = opts.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.clock = opts.clock ?? systemClock;
  }

  /**
   * Resolves as soon as the API server is known to answer: at once if the last request got an
   * answer, else when any request gets one or a /readyz probe (one every probeIntervalMs per client,
   * shared by every waiter) says it is ready. Lets watches in a long backoff resume within seconds of
   * the end of an outage instead of at the end of their backoff. Rejects when the signal aborts.
   */
  whenReachable(signal?: AbortSignal): Promise<void> {
    if (this.reachable) return Promise.resolve();
    const waiting = this.reachableWaiters.wait(signal);
    void this.probeUntilReachable();
    return waiting;
  }

  private markReachable(yes: boolean): void {
    if (this.reachable === yes) return;
    this.reachable = yes;
    if (yes) this.reachableWaiters.releaseAll();
  }

  /** One probe loop per client, running only while someone waits for the API server. */
  private async probeUntilReachable(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      while (!this.reachable && this.reachableWaiters.size > 0) {
        await this.clock.sleep(this.probeIntervalMs);
        if (this.reachable || this.reachableWaiters.size === 0) break;
        try {
          await this.request({ verb: 'get', resource: 'readyz', method: 'GET', path: '/readyz', accept: 'text/plain', timeoutMs: this.probeIntervalMs });
        } catch {
          // not back yet (or not ready: a 500 from /readyz answers, but says wait)
        }
      }
    } finally {
      this.probing = false;
    }
  }

  /** Adds a request observer, e.g. `metrics.kubeRequests.inc({verb, resource})`. */
  onRequest(hook: (r: RequestRecord) => void): void {
    this.onRequestHooks.push(hook);
  }

  /** A client for the KubeConfig's current context, over undici with the context's TLS settings. */
  static async fromKubeConfig(kc: KubeAccess, opts: Omit<KubeClientOptions, 'server' | 'transport' | 'authHeaders'> = {}): Promise<KubeClient> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    const tlsOpts: HttpsOptions & Record<string, unknown> = {};
    await kc.applyToHTTPSOptions(tlsOpts);
    const connect: Record<string, unknown> = { keepAlive: true, keepAliveInitialDelay: 30_000 };
    for (const k of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const) {
      if (tlsOpts[k] !== undefined) connect[k] = tlsOpts[k];
    }
    const agent = new Agent({ connect, keepAliveTimeout: 30_000 });
    const authHeaders = async () => {
      const o: HttpsOptions = {};
      await kc.applyToHTTPSOptions(o);
      const h: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.auth && !h.Authorization) h.Authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
      return h;
    };
    return new KubeClient({ ...opts, server: cluster.server, transport: undiciTransport(agent), authHeaders });
  }

  /** Sends a request and parses the JSON answer; throws KubeApiError on a non-2xx status or a network failure. */
  async request<T>(req: KubeRequest): Promise<T> {
    const res = await this.send(req, false);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Opens a watch stream (the request must carry `watch=1`); throws KubeApiError if the server refuses it. */
  async watch(req: KubeRequest): Promise<WatchStream> {
    const res = await this.send(req, true);
    return { lines: splitLines(res.body), cancel: () => res.cancel() };
  }

  async close(): Promise<void> {
    await this.transport.close?.();
  }

  private async send(req: KubeRequest, stream: boolean): Promise<TransportResponse> {
    const started = performance.now();
    let status = 0;
    try {
      const url = new URL(this.server + req.path);
      for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
      const headers: Record<string, string> = {
        ...(await this.authHeaders()),
        Accept: req.accept ?? 'application/json',
        'User-Agent': this.userAgent,
      };
      let body: string | undefined;
      if (req.body !== undefined) {
        body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
        headers['Content-Type'] = req.contentType ?? 'application/json';
      }
      const timeout = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      let res: TransportResponse;
      try {
        res = await this.transport.send({
          method: req.method,
          url: url.toString(),
          headers,
          body,
          signal: req.signal,
          headersTimeoutMs: timeout,
          bodyTimeoutMs: stream ? 0 : timeout,
        });
      } catch (err) {
        if (!req.signal?.aborted) this.markReachable(false);
        throw new KubeApiError({
          message: `${req.verb} ${req.resource}: ${networkMessage(err)}`,
          status: 0,
          reason: req.signal?.aborted ? 'Aborted' : 'NetworkError',
          verb: req.verb,
          resource: req.resource,
          cause: err,
        });
      }
      status = res.status;
      // Any answer proves the line works, except a /readyz that says the server is not ready yet.
      if (req.path !== '/readyz' || (status >= 200 && status < 300)) this.markReachable(true);
      if (status >= 200 && status < 300) return res;
      throw await toApiError(req, res);
    } finally {
      const record: RequestRecord = { verb: req.verb, resource: req.resource, status, durationMs: performance.now() - started };
      for (const h of this.onRequestHooks) {
        try {
          h(record);
        } catch {
          // observers never break a request
        }
      }
    }
  }
}

function networkMessage(err: unknown): string {
  const e = err as { code?: string; message?: string; name?: string };
  // Only the error's code and class: undici errors can embed request details we do not want in logs.
  return `request failed (${e?.code ?? e?.name ?? 'network error'})`;
}

async function toApiError(req: KubeRequest, res: TransportResponse): Promise<KubeApiError> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    // the body is only an explanation
  }
  let reason = httpReason(res.status);
  let message = `${req.verb} ${req.resource}: HTTP ${res.status}`;
  let retryAfterMs: number | undefined;
  try {
    const s = JSON.parse(text) as { kind?: string; reason?: string; message?: string; details?: { retryAfterSeconds?: number } };
    if (s.kind === 'Status') {
      if (s.reason) reason = s.reason;
      if (s.message) message = `${req.verb} ${req.resource}: ${s.message}`;
      if (typeof s.details?.retryAfterSeconds === 'number') retryAfterMs = s.details.retryAfterSeconds * 1000;
    }
  } catch {
    // not a Status
  }
  const ra = res.headers['retry-after'];
  if (ra !== undefined) {
    const secs = Number(ra);
    if (Number.isFinite(secs)) retryAfterMs = secs * 1000;
    else if (!Number.isNaN(Date.parse(ra))) retryAfterMs = Math.max(0, Date.parse(ra) - Date.now());
  }
  return new KubeApiError({ message, status: res.status, reason, verb: req.verb, resource: req.resource, retryAfterMs });
}

function httpReason(status: number): string {
  switch (status) {
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 409: return 'Conflict';
    case 410: return 'Expired';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    default: return status >= 500 ? 'InternalError' : 'Unknown';
  }
}

/** Splits a byte stream into newline-terminated lines (a trailing partial line is emitted at the end). */
export async function* splitLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) yield line;
    }
  }
  buf += decoder.decode();
  if (buf.trim()) yield buf.trim();
}

export function undiciTransport(dispatcher: Dispatcher): Transport {
  return {
    async send(req) {
      const res = await undiciRequest(req.url, {
        method: req.method as Dispatcher.HttpMethod,
        headers: req.headers,
        body: req.body,
        signal: req.signal,
        dispatcher,
        headersTimeout: req.headersTimeoutMs,
        bodyTimeout: req.bodyTimeoutMs,
      });
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(res.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      return {
        status: res.statusCode,
        headers,
        body: res.body,
        text: () => res.body.text(),
        cancel: () => res.body.destroy(),
      };
    },
    async close() {
      await dispatcher.close();
    },
  };
}

/**
 * Loads a KubeConfig: the given file, else in-cluster when running in a Pod, else the usual
 * defaults ($KUBECONFIG, ~/.kube/config).
 */
export function loadKubeConfig(path?: string): KubeConfigFile {
  const kc = new KubeConfigFile();
  if (path) return kc.loadFromFile(path);
  if (process.env.KUBERNETES_SERVICE_HOST) return kc.loadFromCluster();
  return kc.loadFromDefault();
}

/** Convenience: a counted client for a kubeconfig path (or in-cluster). */
export async function createKubeClient(opts: { kubeconfig?: string; onRequest?: (r: RequestRecord) => void; userAgent?: string } = {}): Promise<KubeClient> {
  return KubeClient.fromKubeConfig(loadKubeConfig(opts.kubeconfig), { onRequest: opts.onRequest, userAgent: opts.userAgent });
}
