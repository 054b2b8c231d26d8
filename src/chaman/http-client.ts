// ChamanHttpClient: the ChamanClient over HTTP (SPEC section 5), on undici.
// - authentication by bearer token or mTLS client certificate;
// - connect and request timeouts;
// - retries only where safe (GET/PUT/DELETE, and a POST carrying an Idempotency-Key), with capped
//   exponential backoff and jitter, honouring Retry-After on 429 and 503;
// - a token bucket that bounds calls per second;
// - an `onRequest` hook per HTTP attempt, for metrics by operation and status.
// The token and keys live only in the dispatcher and one header value: no message, event or log
// built here ever contains them. This module knows nothing of Kubernetes.
import { randomUUID } from 'node:crypto';
import { Pool, errors as undiciErrors } from 'undici';
import type { Dispatcher } from 'undici';
import type { ChannelType, Contact, Permission } from '../domain/types.ts';
import { backoffDelayMs } from '../util/backoff.ts';
import { ChamanError, UnavailableError } from './errors.ts';
import { errorFromResponse, parseRetryAfter } from './problem.ts';
import { TokenBucket, systemClock } from './token-bucket.ts';
import type { Clock } from './token-bucket.ts';
import type {
  CertificateUpload,
  ChamanAccount,
  ChamanCertificate,
  ChamanClient,
  ChamanSenderInfo,
  CreateAccountRequest,
  EditAccountRequest,
} from './types.ts';

type Pem = string | Buffer;

export type ChamanAuth =
  /** `Authorization: Bearer <token>`; `ca` to trust a private CA for https */
  | { kind: 'token'; token: string; ca?: Pem }
  /** mTLS: the client certificate and its key (PEM); `ca` to trust a private CA */
  | { kind: 'mtls'; cert: Pem; key: Pem; ca?: Pem };

export interface RetryPolicy {
  /** attempts in all, the first included; 1 disables retries. Default 4. */
  maxAttempts: number;
  /** first backoff; doubled per attempt. Default 200 ms. */
  baseDelayMs: number;
  /** backoff cap. Default 10 s. */
  maxDelayMs: number;
  /** a Retry-After longer than this is not waited for: the error goes to the caller. Default 30 s. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 10_000, maxRetryAfterMs: 30_000 };

/** One HTTP attempt, for metrics and debug logs. Never carries a header or a body. */
export interface ChamanRequestEvent {
  /** the ChamanClient method: `listAccounts`, `createAccount`, ... */
  operation: string;
  method: string;
  /** HTTP status; absent when no answer came (timeout, connection error) */
  status?: number;
  durationMs: number;
  /** 1 for the first attempt */
  attempt: number;
  /** the error code when the attempt failed (`CONFLICT`, `UNAVAILABLE`, `TIMEOUT`, ...) */
  error?: string;
  /** true when another attempt follows */
  willRetry: boolean;
}

export interface ChamanHttpClientOptions {
  /** The Chaman server, e.g. `https://chaman.example` or `http://127.0.0.1:18443`; `/api/v1` is appended unless present. */
  baseUrl: string;
  auth: ChamanAuth;
  /** TCP + TLS handshake. Default 5 s. */
  connectTimeoutMs?: number;
  /** One attempt, from sending to the end of the body. Default 30 s. */
  requestTimeoutMs?: number;
  /** Partial overrides of DEFAULT_RETRY_POLICY, or false for no retries. */
  retry?: Partial<RetryPolicy> | false;
  /** Calls per second (each attempt takes a token), or a shared bucket. Default: no limit. */
  rateLimit?: { ratePerSecond: number; burst?: number } | TokenBucket;
  onRequest?: (event: ChamanRequestEvent) => void;
  /** Max sockets to the server. Default 8. */
  connections?: number;
  /** For tests: backoff sleeps and durations. */
  clock?: Clock;
  /** For tests: jitter source in [0, 1). */
  random?: () => number;
}

interface Call {
  operation: string;
  method: Dispatcher.HttpMethod;
  path: string;
  senderNumber?: string;
  body?: unknown;
  idempotencyKey?: string;
  /** `json` (default) or `bytes` */
  accept?: 'json' | 'bytes';
}

interface Answer {
  status: number;
  body: unknown;
}

const API_PREFIX = '/api/v1';

export class ChamanHttpClient implements ChamanClient {
  readonly #pool: Pool;
  readonly #prefix: string;
  readonly #authorization: string | undefined;
  readonly #requestTimeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #bucket: TokenBucket | undefined;
  readonly #onRequest: ((event: ChamanRequestEvent) => void) | undefined;
  readonly #clock: Clock;
  readonly #random: () => number;

  constructor(options: ChamanHttpClientOptions) {
    const url = new URL(options.baseUrl);
    const path = url.pathname.replace(/\/+$/, '');
    this.#prefix = path.endsWith(API_PREFIX) ? path : `${path}${API_PREFIX}`;
    const connectTimeout = options.connectTimeoutMs ?? 5_000;
    const auth = options.auth;
    const tls: Record<string, Pem> = {};
    if (auth.ca !== undefined) tls.ca = auth.ca;
    if (auth.kind === 'mtls') {
      tls.cert = auth.cert;
      tls.key = auth.key;
    }
    this.#authorization = auth.kind === 'token' ? `Bearer ${auth.token}` : undefined;
    this.#pool = new Pool(url.origin, {
      connections: options.connections ?? 8,
      connect: { ...tls, timeout: connectTimeout },
      connectTimeout,
    });
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#retry = options.retry === false ? { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 } : { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const limit = options.rateLimit;
    this.#bucket = limit === undefined ? undefined : limit instanceof TokenBucket ? limit : new TokenBucket({ ...limit, ...(options.clock ? { clock: options.clock } : {}) });
    this.#onRequest = options.onRequest;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
  }

  /** Closes the connections. */
  async close(): Promise<void> {
    await this.#pool.close();
  }

  // ---- ChamanClient ----

  async listPermissions(channelType?: ChannelType): Promise<Permission[]> {
    const query = channelType ? `?channelType=${encodeURIComponent(channelType)}` : '';
    return (await this.#call({ operation: 'listPermissions', method: 'GET', path: `/permissions${query}` })) as Permission[];
  }

  async getSender(senderNumber: string): Promise<ChamanSenderInfo> {
    return (await this.#call({ operation: 'getSender', method: 'GET', path: senderPath(senderNumber), senderNumber })) as ChamanSenderInfo;
  }

  async putContact(senderNumber: string, contact: Contact): Promise<ChamanSenderInfo> {
    return (await this.#call({ operation: 'putContact', method: 'PUT', path: `${senderPath(senderNumber)}/contact`, senderNumber, body: contact })) as ChamanSenderInfo;
  }

  async listAccounts(senderNumber: string): Promise<ChamanAccount[]> {
    return (await this.#call({ operation: 'listAccounts', method: 'GET', path: `${senderPath(senderNumber)}/accounts`, senderNumber })) as ChamanAccount[];
  }

  async getAccount(senderNumber: string, accountId: string): Promise<ChamanAccount> {
    return (await this.#call({ operation: 'getAccount', method: 'GET', path: accountPath(senderNumber, accountId), senderNumber })) as ChamanAccount;
  }

  async createAccount(senderNumber: string, request: CreateAccountRequest, idempotencyKey: string): Promise<ChamanAccount> {
    return (await this.#call({
      operation: 'createAccount',
      method: 'POST',
      path: `${senderPath(senderNumber)}/accounts`,
      senderNumber,
      body: request,
      idempotencyKey,
    })) as ChamanAccount;
  }

  async editAccount(senderNumber: string, accountId: string, request: EditAccountRequest): Promise<ChamanAccount> {
    return (await this.#call({ operation: 'editAccount', method: 'PATCH', path: accountPath(senderNumber, accountId), senderNumber, body: request })) as ChamanAccount;
  }

  async deleteAccount(senderNumber: string, accountId: string): Promise<void> {
    await this.#call({ operation: 'deleteAccount', method: 'DELETE', path: accountPath(senderNumber, accountId), senderNumber });
  }

  /**
   * REST only. Pass an `idempotencyKey` (any unique string, the same across your own retries) to
   * make the call safe to retry; without one a failed attempt is never repeated.
   */
  async addCertificate(senderNumber: string, accountId: string, certificate: CertificateUpload, idempotencyKey?: string): Promise<ChamanCertificate> {
    return (await this.#call({
      operation: 'addCertificate',
      method: 'POST',
      path: `${accountPath(senderNumber, accountId)}/certificates`,
      senderNumber,
      body: certificate,
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    })) as ChamanCertificate;
  }

  async replaceCertificate(senderNumber: string, accountId: string, certificateId: string, certificate: CertificateUpload): Promise<ChamanCertificate> {
    return (await this.#call({
      operation: 'replaceCertificate',
      method: 'PUT',
      path: certificatePath(senderNumber, accountId, certificateId),
      senderNumber,
      body: certificate,
    })) as ChamanCertificate;
  }

  async removeCertificate(senderNumber: string, accountId: string, certificateId: string): Promise<void> {
    await this.#call({ operation: 'removeCertificate', method: 'DELETE', path: certificatePath(senderNumber, accountId, certificateId), senderNumber });
  }

  async downloadCertificate(senderNumber: string, accountId: string, certificateId: string): Promise<Uint8Array> {
    return (await this.#call({
      operation: 'downloadCertificate',
      method: 'GET',
      path: `${certificatePath(senderNumber, accountId, certificateId)}/content`,
      senderNumber,
      accept: 'bytes',
    })) as Uint8Array;
  }

  // ---- machinery ----

  /** Whether a failed attempt of this call may be repeated without risk of doing the work twice. */
  static isRetrySafe(method: string, idempotencyKey: string | undefined): boolean {
    return method === 'GET' || method === 'PUT' || method === 'DELETE' || method === 'HEAD' || (method === 'POST' && idempotencyKey !== undefined);
  }

  /** Backoff before attempt `attempt + 1`: the project's backoff with "equal jitter" (half fixed, half random). */
  backoffMs(attempt: number): number {
    return backoffDelayMs(attempt, { baseMs: this.#retry.baseDelayMs, capMs: this.#retry.maxDelayMs, jitter: 0.5 }, this.#random);
  }

  async #call(call: Call): Promise<unknown> {
    const safe = ChamanHttpClient.isRetrySafe(call.method, call.idempotencyKey);
    const what = `Chaman ${call.operation}${call.senderNumber ? ` (sender ${call.senderNumber})` : ''}`;
    for (let attempt = 1; ; attempt++) {
      if (this.#bucket) await this.#bucket.take();
      const started = this.#clock.now();
      let error: ChamanError;
      let status: number | undefined;
      try {
        const answer = await this.#attempt(call);
        status = answer.status;
        // A DELETE retried after an attempt whose answer was lost: 404 means the first one did the work.
        const alreadyDone = call.method === 'DELETE' && answer.status === 404 && attempt > 1;
        if (answer.status < 400 || alreadyDone) {
          this.#emit({ operation: call.operation, method: call.method, status, durationMs: this.#clock.now() - started, attempt, willRetry: false });
          return alreadyDone ? undefined : answer.body;
        }
        error = errorFromResponse(answer.status, answer.body, (answer as AnswerWithRetry).retryAfterMs, what, call.senderNumber);
      } catch (cause) {
        error = transportError(cause, what, this.#requestTimeoutMs);
      }
      const delay = this.#retryDelay(error, attempt, safe);
      this.#emit({
        operation: call.operation,
        method: call.method,
        ...(status !== undefined ? { status } : {}),
        durationMs: this.#clock.now() - started,
        attempt,
        error: error.code,
        willRetry: delay !== undefined,
      });
      if (delay === undefined) throw error;
      await this.#clock.sleep(delay);
    }
  }

  /** undefined: do not retry. */
  #retryDelay(error: ChamanError, attempt: number, safe: boolean): number | undefined {
    if (!safe || !error.retryable || attempt >= this.#retry.maxAttempts) return undefined;
    const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs;
    if (retryAfterMs !== undefined && (error.status === 429 || error.status === 503)) {
      return retryAfterMs > this.#retry.maxRetryAfterMs ? undefined : retryAfterMs;
    }
    return this.backoffMs(attempt);
  }

  async #attempt(call: Call): Promise<AnswerWithRetry> {
    const headers: Record<string, string> = { accept: call.accept === 'bytes' ? 'application/pkix-cert, application/problem+json' : 'application/json, application/problem+json' };
    if (this.#authorization) headers.authorization = this.#authorization;
    if (call.idempotencyKey !== undefined) headers['idempotency-key'] = call.idempotencyKey;
    let body: string | undefined;
    if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers['content-type'] = 'application/json';
    }
    const response = await this.#pool.request({
      path: `${this.#prefix}${call.path}`,
      method: call.method,
      headers,
      body: body ?? null,
      headersTimeout: this.#requestTimeoutMs,
      bodyTimeout: this.#requestTimeoutMs,
      signal: AbortSignal.timeout(this.#requestTimeoutMs),
    });
    const contentType = String(response.headers['content-type'] ?? '');
    let parsed: unknown;
    if (response.statusCode === 204) {
      await response.body.dump();
    } else if (response.statusCode < 400 && call.accept === 'bytes') {
      parsed = new Uint8Array(await response.body.arrayBuffer());
    } else if (contentType.includes('json')) {
      const text = await response.body.text();
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    } else {
      await response.body.dump();
    }
    const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
    return { status: response.statusCode, body: parsed, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }

  #emit(event: ChamanRequestEvent): void {
    if (!this.#onRequest) return;
    try {
      this.#onRequest(event);
    } catch {
      // a metrics hook must never break a call
    }
  }
}

interface AnswerWithRetry extends Answer {
  retryAfterMs?: number;
}

/** A call that got no HTTP answer. The message names the failure kind only (no URL credentials, no headers). */
function transportError(cause: unknown, what: string, timeoutMs: number): ChamanError {
  if (cause instanceof ChamanError) return cause;
  const err = cause as { name?: string; code?: string; message?: string };
  const timedOut =
    err?.name === 'TimeoutError' ||
    cause instanceof undiciErrors.HeadersTimeoutError ||
    cause instanceof undiciErrors.BodyTimeoutError ||
    cause instanceof undiciErrors.ConnectTimeoutError;
  if (timedOut) {
    return new UnavailableError(`${what}: no answer within ${timeoutMs} ms (the outcome of a write is unknown)`, 504);
  }
  const kind = typeof err?.code === 'string' ? err.code : typeof err?.name === 'string' ? err.name : 'error';
  return new UnavailableError(`${what}: connection failed (${kind}); the outcome of a write is unknown`, 503);
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

function senderPath(senderNumber: string): string {
  return `/senders/${seg(senderNumber)}`;
}

function accountPath(senderNumber: string, accountId: string): string {
  return `${senderPath(senderNumber)}/accounts/${seg(accountId)}`;
}

function certificatePath(senderNumber: string, accountId: string, certificateId: string): string {
  return `${accountPath(senderNumber, accountId)}/certificates/${seg(certificateId)}`;
}

/** A fresh Idempotency-Key (UUID v4) for callers that have no stable one. */
export function newIdempotencyKey(): string {
  return randomUUID();
}
