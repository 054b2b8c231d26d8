// ChamanHttpClient: the ChamanClient over HTTP (SPEC section 5), on undici.
// - authentication by bearer token or mTLS client certificate;
// - connect and request timeouts;
// - retries only where safe (GET/PUT/DELETE, and a POST carrying an Idempotency-Key), with capped
//   exponential backoff and jitter, honouring Retry-After on 429 and 503;
// - a ChamanTraffic shared by every client of the operator: one token bucket that bounds calls per
//   second; and a circuit breaker per client (per credential) that turns an outage, or a 429 for
//   that credential, into one probe per second (Retry-After pushes it back, 5 minutes at most);
// - `withSignal(signal)`: a view whose every attempt and every wait (token, backoff, Retry-After)
//   stops at once when the signal aborts, with an AbortedError;
// - an `onRequest` hook per HTTP attempt, for metrics by operation and status.
//
// What bounds one call: without a signal, at most maxAttempts × (requestTimeoutMs + backoff or
// Retry-After, ≤ maxRetryAfterMs) plus token waits — minutes in the worst case. The caller's signal
// is the real bound: the reconcile driver passes one that aborts at the reconcile deadline (and at
// shutdown), so a reconcile never outlives its deadline because of Chaman.
// The token and keys live only in the dispatcher and one header value: no message, event or log
// built here ever contains them. This module knows nothing of Kubernetes.
import { randomUUID } from 'node:crypto';
import { Pool, errors as undiciErrors } from 'undici';
import type { Dispatcher } from 'undici';
import type { ChannelType, Contact, Permission } from '../domain/types.ts';
import { backoffDelayMs } from '../util/backoff.ts';
import { sleep } from './abort.ts';
import { AbortedError, ChamanError, RateLimitedError, ResponseTooLargeError, UnavailableError } from './errors.ts';
import { insecureHttpProblem } from './insecure-http.ts';
import { errorFromResponse, parseRetryAfter } from './problem.ts';
import { MAX_RESPONSE_BYTES, parseBody } from './response-body.ts';
import { DEFAULT_RETRY_POLICY, type ChamanHttpClientOptions, type ChamanRequestEvent, type Pem, type RetryPolicy } from './http-options.ts';
import { systemClock, type Clock } from './clock.ts';
import { ChamanTraffic } from './traffic.ts';
import type {
  CertificateUpload,
  ChamanAccount,
  ChamanCertificate,
  ChamanClient,
  ChamanSenderInfo,
  CreateAccountRequest,
  EditAccountRequest,
} from './types.ts';

export { DEFAULT_RETRY_POLICY } from './http-options.ts';
export type { ChamanAuth, ChamanHttpClientOptions, ChamanRequestEvent, RetryPolicy } from './http-options.ts';

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

/** What a client and its `withSignal` views share. */
interface Shared {
  pool: Pool;
  prefix: string;
  /** the Authorization header of the next attempt (none with mTLS) */
  authorization: (() => string) | undefined;
  requestTimeoutMs: number;
  maxResponseBytes: number;
  retry: RetryPolicy;
  traffic: ChamanTraffic;
  onRequest: ((event: ChamanRequestEvent) => void) | undefined;
  clock: Clock;
  random: () => number;
}

/** A view of a client bound to a signal (not exported: only `withSignal` makes one). */
class SignalView {
  readonly shared: Shared;
  readonly signal: AbortSignal;
  constructor(shared: Shared, signal: AbortSignal) {
    this.shared = shared;
    this.signal = signal;
  }
}

export class ChamanHttpClient implements ChamanClient {
  readonly #shared: Shared;
  /** set on a view made by withSignal */
  readonly #signal: AbortSignal | undefined;

  constructor(options: ChamanHttpClientOptions | SignalView) {
    if (options instanceof SignalView) {
      this.#shared = options.shared;
      this.#signal = options.signal;
      return;
    }
    this.#signal = undefined;
    const url = new URL(options.baseUrl);
    const insecure = options.auth.kind === 'token' ? insecureHttpProblem(options.baseUrl, options.allowInsecureHttp ?? false) : undefined;
    if (insecure) throw new Error(insecure);
    const path = url.pathname.replace(/\/+$/, '');
    const prefix = path.endsWith(API_PREFIX) ? path : `${path}${API_PREFIX}`;
    const connectTimeout = options.connectTimeoutMs ?? 5_000;
    const auth = options.auth;
    const tls: Record<string, Pem> = {};
    if (auth.ca !== undefined) tls.ca = auth.ca;
    if (auth.kind === 'mtls') {
      tls.cert = auth.cert;
      tls.key = auth.key;
    }
    const clock = options.clock ?? systemClock;
    this.#shared = {
      pool: new Pool(url.origin, {
        connections: options.connections ?? 8,
        connect: { ...tls, timeout: connectTimeout },
        connectTimeout,
      }),
      prefix,
      authorization: auth.kind === 'token' ? bearer(auth.token) : undefined,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      maxResponseBytes: options.maxResponseBytes ?? MAX_RESPONSE_BYTES,
      retry: options.retry === false ? { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 } : { ...DEFAULT_RETRY_POLICY, ...options.retry },
      // A breaker per credential: another credential's 429 must not stop this one (issue 16 item 5).
      traffic: (options.traffic ?? new ChamanTraffic({ rateLimit: options.rateLimit, breaker: options.breaker, clock })).forCredential(),
      onRequest: options.onRequest,
      clock,
      random: options.random ?? Math.random,
    };
  }

  /**
   * This client, bound to `signal`: same connections, same rate limit and breaker; every attempt,
   * backoff, Retry-After and token wait of its calls stops as soon as the signal aborts, and the
   * call rejects with an AbortedError (no further retry). Views of views obey every signal.
   */
  withSignal(signal: AbortSignal): ChamanHttpClient {
    return new ChamanHttpClient(new SignalView(this.#shared, this.#signal ? AbortSignal.any([this.#signal, signal]) : signal));
  }

  /**
   * Closes the connections once the requests in flight have finished. A view made by withSignal
   * shares its client's connections and closes nothing: close the client itself.
   */
  async close(): Promise<void> {
    if (this.#signal) return;
    await this.#shared.pool.close();
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
    const { retry, random } = this.#shared;
    return backoffDelayMs(attempt, { baseMs: retry.baseDelayMs, capMs: retry.maxDelayMs, jitter: 0.5 }, random);
  }

  async #call(call: Call): Promise<unknown> {
    const { clock, traffic, requestTimeoutMs } = this.#shared;
    const signal = this.#signal;
    const safe = ChamanHttpClient.isRetrySafe(call.method, call.idempotencyKey);
    const what = `Chaman ${call.operation}${call.senderNumber ? ` (sender ${call.senderNumber})` : ''}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await traffic.admit(what, signal);
      } catch (cause) {
        throw signal?.aborted ? new AbortedError(what, signal.reason) : cause;
      }
      const started = clock.now();
      let error: ChamanError;
      let status: number | undefined;
      try {
        const answer = await this.#attempt(call, what, signal);
        status = answer.status;
        if (answer.status >= 500 || answer.status === 429) traffic.recordFailure(answer.retryAfterMs);
        else traffic.recordAnswer();
        // A DELETE retried after an attempt whose answer was lost: 404 means the first one did the work.
        const alreadyDone = call.method === 'DELETE' && answer.status === 404 && attempt > 1;
        if (answer.status < 400 || alreadyDone) {
          this.#emit({ operation: call.operation, method: call.method, status, durationMs: clock.now() - started, attempt, willRetry: false });
          return alreadyDone ? undefined : answer.body;
        }
        error = errorFromResponse(answer.status, answer.body, answer.retryAfterMs, what, call.senderNumber);
      } catch (cause) {
        if (signal?.aborted) {
          error = new AbortedError(what, signal.reason);
        } else if (cause instanceof ResponseTooLargeError) {
          error = cause; // Chaman (or what answers at the URL) is up: not a failure for the breaker
        } else {
          error = transportError(cause, what, requestTimeoutMs);
          traffic.recordFailure();
        }
      }
      const delay = this.#retryDelay(error, attempt, safe);
      this.#emit({
        operation: call.operation,
        method: call.method,
        ...(status !== undefined ? { status } : {}),
        durationMs: clock.now() - started,
        attempt,
        error: error.code,
        willRetry: delay !== undefined,
      });
      if (delay === undefined) throw error;
      try {
        await sleep(clock, delay, signal);
      } catch {
        throw new AbortedError(what, signal?.reason);
      }
    }
  }

  /** undefined: do not retry. */
  #retryDelay(error: ChamanError, attempt: number, safe: boolean): number | undefined {
    const retry = this.#shared.retry;
    if (!safe || !error.retryable || attempt >= retry.maxAttempts) return undefined;
    const retryAfterMs = error instanceof RateLimitedError || error instanceof UnavailableError ? error.retryAfterMs : undefined;
    if (retryAfterMs !== undefined && (error.status === 429 || error.status === 503)) {
      return retryAfterMs > retry.maxRetryAfterMs ? undefined : retryAfterMs;
    }
    return this.backoffMs(attempt);
  }

  async #attempt(call: Call, what: string, signal: AbortSignal | undefined): Promise<AnswerWithRetry> {
    const { pool, prefix, authorization, requestTimeoutMs, maxResponseBytes } = this.#shared;
    const headers: Record<string, string> = { accept: call.accept === 'bytes' ? 'application/pkix-cert, application/problem+json' : 'application/json, application/problem+json' };
    if (authorization) headers.authorization = authorization();
    if (call.idempotencyKey !== undefined) headers['idempotency-key'] = call.idempotencyKey;
    let body: string | undefined;
    if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers['content-type'] = 'application/json';
    }
    // One attempt ends at its own timeout or when the caller's signal aborts, whichever comes first.
    const timeout = AbortSignal.timeout(requestTimeoutMs);
    const response = await pool.request({
      path: `${prefix}${call.path}`,
      method: call.method,
      headers,
      body: body ?? null,
      headersTimeout: requestTimeoutMs,
      bodyTimeout: requestTimeoutMs,
      signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
    });
    const parsed = await parseBody(response, call.accept, maxResponseBytes, what);
    const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
    return { status: response.statusCode, body: parsed, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }

  #emit(event: ChamanRequestEvent): void {
    const onRequest = this.#shared.onRequest;
    if (!onRequest) return;
    try {
      onRequest(event);
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

function bearer(token: string | (() => string)): () => string {
  if (typeof token === 'string') {
    const header = `Bearer ${token}`;
    return () => header;
  }
  return () => `Bearer ${token()}`;
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
