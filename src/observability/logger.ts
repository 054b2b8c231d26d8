// Structured JSON logs (pino) that cannot leak a secret: known sensitive paths are redacted by
// pino, a deep scrub catches sensitive keys at any depth and PEM private keys or bearer tokens in
// any string, and errors are serialised by safeError, which keeps no request body and no header.
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export const REDACTED = '[REDACTED]';

/** Keys whose values are never logged, at any depth (case-insensitive, whole key). */
const SENSITIVE_KEY = /^(authorization|proxy-authorization|cookie|set-cookie|token|access_?token|refresh_?token|id_?token|bearer|password|passwd|passphrase|secret|client_?secret|private_?key|privatekey|key|tls\.key|data|stringdata|binarydata|content|certificate_?content|ssh_?private_?key|credentials?|client_?assertion|x-api-key)$/i;

/** pino redact paths (fast-redact syntax), for the common shapes; the deep scrub covers the rest. */
export const REDACT_PATHS = [
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization', 'req.headers.authorization', 'req.headers.cookie',
  'token', '*.token', 'password', '*.password', 'passphrase', '*.passphrase', 'privateKey', '*.privateKey', 'key', '*.key',
  'tls.key', '*.tls.key', '["tls.key"]', '*["tls.key"]', 'data', '*.data', 'stringData', '*.stringData', 'binaryData', '*.binaryData',
  'content', '*.content', 'secret', '*.secret', 'clientSecret', '*.clientSecret', 'credentials', '*.credentials',
];

const PEM_PRIVATE = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g;
const OPENSSH_PRIVATE = /-----BEGIN OPENSSH PRIVATE KEY-----[\s\S]*?(?:-----END OPENSSH PRIVATE KEY-----|$)/g;

/** Removes private keys and bearer/basic credentials from a string. */
export function scrubString(s: string): string {
  return s.replace(OPENSSH_PRIVATE, REDACTED).replace(PEM_PRIVATE, REDACTED).replace(BEARER, `$1 ${REDACTED}`);
}

/** Deep copy with sensitive keys censored and strings scrubbed. Cycles and depth are bounded. */
export function scrub(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.constructor.name} ${(value as Uint8Array).byteLength} bytes]`;
  if (seen.has(value) || depth > 8) return '[...]';
  seen.add(value);
  if (value instanceof Error) return safeError(value);
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SENSITIVE_KEY.test(k) && v !== undefined && v !== null && v !== '' ? REDACTED : scrub(v, depth + 1, seen);
  }
  return out;
}

export interface SafeError {
  type: string;
  message: string;
  code?: string | number;
  status?: number;
  reason?: string;
  rule?: string;
  field?: string;
  stack?: string;
  cause?: SafeError;
}

/**
 * Serialises an error for a log line: its class, message, code/status/reason/rule/field and stack —
 * never a request or response body, headers, or a client's configuration that undici or the
 * Kubernetes client may have attached.
 */
export function safeError(err: unknown, depth = 0): SafeError {
  if (!(err instanceof Error)) {
    const o = err as Partial<SafeError> | null;
    // Already serialised (the deep scrub ran first): keep it.
    if (o && typeof o === 'object' && typeof o.type === 'string' && typeof o.message === 'string') return scrub(o) as SafeError;
    return { type: typeof err, message: scrubString(String(err)) };
  }
  const e = err as Error & { code?: unknown; status?: unknown; statusCode?: unknown; reason?: unknown; rule?: unknown; field?: unknown };
  const out: SafeError = { type: e.name || e.constructor?.name || 'Error', message: scrubString(e.message ?? '') };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined) out.status = status;
  if (typeof e.reason === 'string') out.reason = e.reason;
  if (typeof e.rule === 'string') out.rule = e.rule;
  if (typeof e.field === 'string') out.field = e.field;
  if (e.stack) out.stack = scrubString(e.stack);
  if (e.cause !== undefined && depth < 3) out.cause = safeError(e.cause, depth + 1);
  return out;
}

export interface LoggerOptions {
  level?: LevelWithSilent | string;
  name?: string;
  /** Where lines go; default stdout. Tests pass a stream to capture output. */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const options = {
    level: opts.level ?? 'info',
    name: opts.name ?? 'chaman-operator',
    base: opts.base ?? { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: { err: safeError, error: safeError },
    formatters: {
      level: (label: string) => ({ level: label }),
      log: (obj: Record<string, unknown>) => scrub(obj) as Record<string, unknown>,
    },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? scrubString(a) : a)));
      },
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
