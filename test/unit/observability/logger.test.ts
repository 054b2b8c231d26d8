import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, safeError, scrub } from '../../../src/observability/logger.ts';

function capture(level = 'debug') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger({ level, destination: destination as never });
  return { log, text: () => lines.join('') };
}

const PASSWORD = 'Pa55;w0rd!';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.sig-abcdef123456';
const PRIVATE_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDx\n-----END PRIVATE KEY-----';
const SSH_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n-----END OPENSSH PRIVATE KEY-----';
const B64 = Buffer.from('s3cret-bytes').toString('base64');

describe('logger', () => {
  it('leaves no trace of passwords, tokens or private keys, at any depth and in messages', () => {
    const { log, text } = capture();
    log.info({ password: PASSWORD, token: TOKEN, privateKey: PRIVATE_KEY, tls: { key: PRIVATE_KEY } }, 'top level');
    log.info({ request: { headers: { authorization: `Bearer ${TOKEN}` }, body: { password: PASSWORD } } }, 'nested');
    log.info({ secret: { metadata: { name: 's' }, data: { 'tls.key': B64 }, stringData: { password: PASSWORD } } }, 'a Secret');
    log.info({ a: { b: { c: { d: { password: PASSWORD, content: B64 } } } } }, 'deep');
    log.warn(`message that embeds ${PRIVATE_KEY} and Bearer ${TOKEN}`);
    log.info({ note: `text with ${SSH_KEY}`, credentials: { clientSecret: PASSWORD } }, 'ssh');
    log.info({ ['tls.key']: PRIVATE_KEY, key: B64 }, 'flat dotted');
    const out = text();
    for (const s of [PASSWORD, TOKEN, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDx', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmU', B64, 's3cret']) {
      expect(out).not.toContain(s);
    }
    expect(out).toContain('[REDACTED]');
    expect(out.split('\n').filter(Boolean).every((l) => JSON.parse(l).level)).toBe(true);
  });

  it('serialises errors without request bodies or headers', () => {
    const { log, text } = capture();
    const err = Object.assign(new Error(`upload failed for Bearer ${TOKEN}`), {
      status: 422,
      code: 'VALIDATION_FAILED',
      rule: 'R5',
      field: 'spec.ftp.passwordSecretRef',
      request: { headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ password: PASSWORD }) },
      response: { body: { echoed: PASSWORD } },
      config: { headers: { 'x-api-key': PASSWORD } },
      cause: Object.assign(new Error('inner'), { body: PASSWORD }),
    });
    log.error({ err }, 'reconcile failed');
    const out = text();
    expect(out).not.toContain(PASSWORD);
    expect(out).not.toContain(TOKEN);
    const line = JSON.parse(out);
    expect(line.err).toMatchObject({ type: 'Error', status: 422, code: 'VALIDATION_FAILED', rule: 'R5', field: 'spec.ftp.passwordSecretRef' });
    expect(line.err.cause.message).toBe('inner');
    expect(line.err.request).toBeUndefined();
  });

  it('safeError handles non-errors and scrub handles cycles and buffers', () => {
    expect(safeError('plain')).toEqual({ type: 'string', message: 'plain' });
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    expect(scrub(cyclic)).toEqual({ name: 'x', self: '[...]' });
    expect(scrub({ blob: Buffer.from('s3cret') })).toEqual({ blob: '[Buffer 6 bytes]' });
  });

  it('honours the level', () => {
    const { log, text } = capture('warn');
    log.info('hidden');
    log.warn('shown');
    expect(text()).not.toContain('hidden');
    expect(text()).toContain('shown');
  });
});
