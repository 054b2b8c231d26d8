// The options and public types of ChamanHttpClient (http-client.ts), apart so that the client itself
// stays one reading.
import type { CircuitBreakerOptions } from './circuit-breaker.ts';
import type { Clock } from './clock.ts';
import type { TokenBucket } from './token-bucket.ts';
import type { ChamanTraffic } from './traffic.ts';

export type Pem = string | Buffer;

export type ChamanAuth =
  /**
   * `Authorization: Bearer <token>`; `ca` to trust a private CA for https. A function is asked on each
   * attempt (a token file re-read when it changes: tokenFromFile).
   */
  | { kind: 'token'; token: string | (() => string); ca?: Pem }
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
  /** Send a bearer token over plain http to a host that is not loopback. Default false: refused. */
  allowInsecureHttp?: boolean;
  /** TCP + TLS handshake. Default 5 s. */
  connectTimeoutMs?: number;
  /** One attempt, from sending to the end of the body. Default 30 s. */
  requestTimeoutMs?: number;
  /** Partial overrides of DEFAULT_RETRY_POLICY, or false for no retries. */
  retry?: Partial<RetryPolicy> | false;
  /**
   * The rate limit to share with other clients (one per operator), and the settings of the circuit
   * breaker this client makes for its own credential. When given, `rateLimit` and `breaker` are
   * ignored; without it the client makes its own from them.
   */
  traffic?: ChamanTraffic;
  /** Calls per second (each attempt takes a token), or a shared bucket. Default: no limit. */
  rateLimit?: { ratePerSecond: number; burst?: number } | TokenBucket;
  /** Circuit breaker settings, or false for none. Default: on (5 failures in a row, 1 probe per second). */
  breaker?: CircuitBreakerOptions | false;
  onRequest?: (event: ChamanRequestEvent) => void;
  /** An answer larger than this is abandoned with a ResponseTooLargeError. Default 8 MiB. */
  maxResponseBytes?: number;
  /** Max sockets to the server. Default 8. */
  connections?: number;
  /** For tests: backoff sleeps and durations. */
  clock?: Clock;
  /** For tests: jitter source in [0, 1). */
  random?: () => number;
}
