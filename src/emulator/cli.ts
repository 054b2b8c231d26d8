// `chaman-operator emulator`: the reference Chaman backend as a long-running process.
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { createLogger } from './logger.ts';
import { isLoopback, startEmulator } from './server.ts';
import type { EmulatorOptions, SenderScope } from './server.ts';

export const EMULATOR_USAGE = `Usage: chaman-operator emulator --port P --data-dir DIR [options]

The reference Chaman backend (HTTP contract v1, api/chaman-backend.openapi.yaml).

Options:
  --port P               port to listen on (0 picks a free one)                  [required]
  --data-dir DIR         where state is kept; acknowledged writes survive kill -9 [required]
  --host H               address to listen on (default 127.0.0.1; without TLS only loopback)
  --token NAME:SENDERS   a bearer token NAME that may manage SENDERS: sender numbers separated
                         by commas, or * for all (repeatable), e.g. --token dev:*; a suffix
                         :ro makes it read-only (403 on any write), e.g. --token ci:300010:ro
  --token-file F         read NAME:SENDERS lines from a file (keeps tokens out of the process list)
  --client CN:SENDERS    an mTLS client certificate (subject CN) and its senders (repeatable)
  --tls-cert F --tls-key F   serve HTTPS with this certificate and key (PEM files)
  --client-ca F          trust client certificates issued by this CA (PEM), for --client
  --latency-ms N         fault: add N ms to every API request
  --response-delay-ms N  fault: wait N ms after a request is processed, before answering
  --error-rate F         fault: answer this share of requests 503 (0..1)
  --rate-429 F           fault: answer this share of requests 429 with Retry-After (0..1)
  --retry-after S        Retry-After of an injected 429, in seconds (default 1)
  --drop-rate F          fault: destroy the connection of this share of requests (0..1)
  --drop-after-commit-rate F  fault: process this share of requests (a write is committed), then
                         destroy the connection instead of answering (0..1)
  --sha1-cutoff DATE     R7: SHA-1 refused for every type from this date (default 2026-01-01)
  --log-level L          pino level: fatal, error, warn, info (default), debug, trace, silent

Faults can be changed at runtime: PUT /admin/faults {"errorRate":0.2}. GET /admin/state and
GET /admin/requests help tests. Admin endpoints need a credential that may manage every sender (*).`;

/** Parses `NAME:SENDERS` (the last colon separates; SENDERS is `*` or `n1,n2`). */
export function parseCredential(text: string, flag: string): [string, SenderScope] {
  const at = text.lastIndexOf(':');
  if (at <= 0 || at === text.length - 1) throw new UsageError(`${flag} expects NAME:SENDERS (e.g. dev:* or ci:300010,300011)`);
  const name = text.slice(0, at);
  const senders = text.slice(at + 1);
  if (senders === '*') return [name, '*'];
  const list = senders.split(',').map((s) => s.trim());
  if (list.some((s) => !/^\d+$/.test(s))) throw new UsageError(`${flag}: SENDERS is * or sender numbers (digits) separated by commas`);
  return [name, list];
}

class UsageError extends Error {}

function rate(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`${flag} expects a number between 0 and 1`);
  return n;
}

function nonNegative(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} expects a number ≥ 0`);
  return n;
}

const FLAGS = {
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  host: { type: 'string' },
  token: { type: 'string', multiple: true },
  'token-file': { type: 'string', multiple: true },
  client: { type: 'string', multiple: true },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'client-ca': { type: 'string' },
  'latency-ms': { type: 'string' },
  'response-delay-ms': { type: 'string' },
  'error-rate': { type: 'string' },
  'rate-429': { type: 'string' },
  'retry-after': { type: 'string' },
  'drop-rate': { type: 'string' },
  'drop-after-commit-rate': { type: 'string' },
  'sha1-cutoff': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsOptionsConfig;

export function parseEmulatorArgs(argv: string[]): EmulatorOptions & { port: number; dataDir: string } {
  const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: FLAGS });
  if (values.help) throw new HelpRequested();
  const port = Number(values.port);
  if (values.port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port P is required (0..65535)');
  if (!values['data-dir']) throw new UsageError('--data-dir DIR is required');
  const { tokens, readOnlyTokens, clients } = credentialsFrom(values);
  const hasCert = values['tls-cert'] !== undefined;
  if (hasCert !== (values['tls-key'] !== undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (values['client-ca'] && !hasCert) throw new UsageError('--client-ca needs --tls-cert and --tls-key');
  if (Object.keys(clients).length > 0 && !values['client-ca']) throw new UsageError('--client needs --client-ca (and --tls-cert, --tls-key)');
  const host = values.host ?? '127.0.0.1';
  if (!hasCert && !isLoopback(host)) throw new UsageError(`without TLS the emulator listens on loopback only; --host ${host} needs --tls-cert and --tls-key`);
  let sha1Cutoff: Date | undefined;
  if (values['sha1-cutoff'] !== undefined) {
    sha1Cutoff = new Date(values['sha1-cutoff']);
    if (Number.isNaN(sha1Cutoff.getTime())) throw new UsageError('--sha1-cutoff expects a date, e.g. 2026-01-01');
  }
  const read = (file: string): Buffer => readFileSync(file);
  return {
    port,
    host,
    dataDir: values['data-dir'],
    tokens,
    ...(readOnlyTokens.length ? { readOnlyTokens } : {}),
    clients,
    faults: faultsFrom(values),
    logLevel: values['log-level'] ?? 'info',
    ...(sha1Cutoff ? { sha1Cutoff } : {}),
    ...(hasCert
      ? { tls: { cert: read(values['tls-cert']!), key: read(values['tls-key']!), ...(values['client-ca'] ? { clientCa: read(values['client-ca']) } : {}) } }
      : {}),
  };
}

/** The tokens (from --token and the lines of each --token-file; `:ro` marks a read-only one) and the client certificates' names. */
function credentialsFrom(values: { token?: string[]; 'token-file'?: string[]; client?: string[] }) {
  const fromFiles = (values['token-file'] ?? []).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
  const readOnlyTokens: string[] = [];
  const token = (text: string, flag: string): [string, SenderScope] => {
    const readOnly = text.endsWith(':ro');
    const parsed = parseCredential(readOnly ? text.slice(0, -3) : text, flag);
    if (readOnly) readOnlyTokens.push(parsed[0]);
    return parsed;
  };
  const tokens = Object.fromEntries([...fromFiles.map((t) => token(t, '--token-file')), ...(values.token ?? []).map((t) => token(t, '--token'))]);
  const clients = Object.fromEntries((values.client ?? []).map((c) => parseCredential(c, '--client')));
  if (Object.keys(tokens).length === 0 && Object.keys(clients).length === 0) {
    throw new UsageError('give at least one credential: --token NAME:SENDERS or --client CN:SENDERS');
  }
  return { tokens, readOnlyTokens, clients };
}

type FaultFlag = 'latency-ms' | 'response-delay-ms' | 'error-rate' | 'rate-429' | 'retry-after' | 'drop-rate' | 'drop-after-commit-rate';

/** The faults the flags set from the start (those not given stay off). */
function faultsFrom(values: { [F in FaultFlag]?: string }): Record<string, number> {
  const faults: Record<string, number> = {};
  const put = (key: string, value: number | undefined): void => {
    if (value !== undefined) faults[key] = value;
  };
  put('latencyMs', nonNegative(values['latency-ms'], '--latency-ms'));
  put('responseDelayMs', nonNegative(values['response-delay-ms'], '--response-delay-ms'));
  put('errorRate', rate(values['error-rate'], '--error-rate'));
  put('rate429', rate(values['rate-429'], '--rate-429'));
  put('retryAfterSeconds', nonNegative(values['retry-after'], '--retry-after'));
  put('dropRate', rate(values['drop-rate'], '--drop-rate'));
  put('dropAfterCommitRate', rate(values['drop-after-commit-rate'], '--drop-after-commit-rate'));
  return faults;
}

class HelpRequested extends Error {}

/** Runs until SIGINT/SIGTERM. Exit codes: 0 stopped, 2 usage error, 1 failed to start. */
export async function runEmulatorCli(argv: string[]): Promise<void> {
  let options: ReturnType<typeof parseEmulatorArgs>;
  try {
    options = parseEmulatorArgs(argv);
  } catch (error) {
    if (error instanceof HelpRequested) {
      console.log(EMULATOR_USAGE);
      return;
    }
    console.error(`chaman-operator emulator: ${(error as Error).message}\n\n${EMULATOR_USAGE}`);
    process.exitCode = 2;
    return;
  }
  const logger = createLogger(options.logLevel);
  let running;
  try {
    running = await startEmulator({ ...options, logger });
  } catch (error) {
    logger.fatal({ err: { message: (error as Error).message } }, 'the emulator could not start');
    process.exitCode = 1;
    return;
  }
  // One line on stdout that scripts can wait for (the logs go there too, as JSON).
  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
