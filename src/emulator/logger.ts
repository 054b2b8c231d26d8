// Structured JSON logs (pino) for the emulator. Redaction is a second line of defence: request
// logs are built from method, path, status and operation only, never from headers or bodies.
import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'password',
  '*.password',
  'content',
  '*.content',
  'certificates[*].content',
  '*.certificates[*].content',
  'sshPublicKey',
  '*.sshPublicKey',
  'token',
  '*.token',
  'key',
  '*.key',
];

export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: 'chaman-emulator',
    level,
    base: { component: 'emulator' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
