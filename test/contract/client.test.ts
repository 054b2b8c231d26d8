// The client against the emulator over HTTP: authentication, typed errors, retries (and when not),
// Retry-After, rate limiting, idempotency, dropped connections, and no credential in any error.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccessDeniedError, AuthenticationError, ConflictError, NotFoundError, RateLimitedError, UnavailableError, ValidationError } from '../../src/chaman/errors.ts';
import { ChamanHttpClient } from '../../src/chaman/http-client.ts';
import type { ChamanRequestEvent } from '../../src/chaman/http-client.ts';
import type { CreateAccountRequest } from '../../src/chaman/types.ts';
import { CONTACT, RESTRICTED_SENDER, freshSender, startContractEnv } from './env.ts';
import type { ContractEnv } from './env.ts';

let env: ContractEnv;
beforeAll(async () => {
  env = await startContractEnv();
});
afterEach(() => {
  env.emulator.setFaults({ latencyMs: 0, errorRate: 0, rate429: 0, dropRate: 0, dropAfterCommitRate: 0, retryAfterSeconds: 1 });
});
afterAll(async () => {
  const violations = env.violations();
  await env.stop();
  expect(violations).toEqual([]);
});

/** A REST account managed by a technical intermediary: no certificate needed (R15). */
const TI_ACCOUNT: CreateAccountRequest = {
  type: 'REST',
  name: 'Intermediary account',
  permissions: ['DimonaDeclaration'],
  management: 'TechnicalIntermediary',
  certificates: [],
};

async function senderWithContact(): Promise<string> {
  const sender = freshSender();
  await env.client().putContact(sender, CONTACT);
  return sender;
}

describe('catalog and senders', () => {
  it('lists the 8 REST permissions of SPEC section 6, the FTP one, and all 9', async () => {
    const client = env.client();
    const rest = await client.listPermissions('REST');
    expect(rest.map((p) => p.id).sort()).toEqual(
      [
        'CareerProFederalLearningAccountDeclaration',
        'CheckInAtWorkConsultation',
        'DimonaConsultation',
        'DimonaDeclaration',
        'WithholdingObligation',
        'EmployerRestFrontOffice',
        'EmployerRestPublic',
        'WitaAmateurEnterprise',
      ].sort(),
    );
    expect((await client.listPermissions('FTP')).map((p) => p.id)).toEqual(['SupplementaryPensionsPreload']);
    expect(await client.listPermissions('SOAP')).toEqual([]);
    expect(await client.listPermissions()).toHaveLength(9);
    const dimona = rest.find((p) => p.id === 'DimonaDeclaration')!;
    expect(dimona.labels.fr).toBe('Effectuer des déclarations Dimona');
  });

  it('a sender with no data yet exists with organization and contact null', async () => {
    const sender = freshSender();
    expect(await env.client().getSender(sender)).toEqual({ senderNumber: sender, organization: null, contact: null });
  });

  it('PUT contact creates then updates the contact (R1)', async () => {
    const sender = freshSender();
    const client = env.client();
    expect((await client.putContact(sender, CONTACT)).contact).toEqual(CONTACT);
    const updated = { ...CONTACT, language: 'nl' as const, role: undefined };
    delete updated.role;
    expect((await client.putContact(sender, updated)).contact).toEqual(updated);
    expect((await client.getSender(sender)).contact).toEqual(updated);
  });

  it('a sender number that is not digits is NOT_FOUND', async () => {
    await expect(env.client().getSender('abc')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('authentication and access (R14)', () => {
  it('no token or an unknown token: 401 UNAUTHENTICATED → AuthenticationError', async () => {
    const none = await env.raw('GET', '/api/v1/permissions', { token: null });
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('UNAUTHENTICATED');
    expect(none.headers['www-authenticate']).toMatch(/Bearer/);
    const client = env.client({ auth: { kind: 'token', token: 'not-a-known-token' } });
    const error = await client.listPermissions().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect((error as AuthenticationError).status).toBe(401);
    expect((error as Error).message).not.toContain('not-a-known-token');
  });

  it('a sender the credential may not manage: 403 ACCESS_DENIED with what to do', async () => {
    const client = env.client({ auth: { kind: 'token', token: env.restrictedToken } });
    const error = await client.getSender('300010').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect((error as AccessDeniedError).code).toBe('ACCESS_DENIED');
    expect((error as Error).message).toMatch(/R14/);
    expect((error as Error).message).toMatch(/access-management|access manager/);
    const raw = await env.raw('GET', '/api/v1/senders/300010', { token: env.restrictedToken });
    expect(raw.status).toBe(403);
    expect(raw.body.detail).toMatch(/enable the application Chaman/);
    // its own sender works
    expect((await client.getSender(RESTRICTED_SENDER)).senderNumber).toBe(RESTRICTED_SENDER);
  });

  it('admin endpoints need an all-senders credential', async () => {
    expect((await env.raw('GET', '/admin/state', { token: null })).status).toBe(401);
    expect((await env.raw('GET', '/admin/state', { token: env.restrictedToken })).status).toBe(403);
    expect((await env.raw('GET', '/admin/state')).status).toBe(200);
  });
});

describe('error codes of the contract', () => {
  it('NOT_FOUND for an unknown account, certificate and endpoint', async () => {
    const sender = await senderWithContact();
    await expect(env.client().getAccount(sender, 'acc-000000000000')).rejects.toBeInstanceOf(NotFoundError);
    await expect(env.client().deleteAccount(sender, 'acc-000000000000')).rejects.toBeInstanceOf(NotFoundError);
    expect((await env.raw('GET', '/api/v1/nothing-here')).body.code).toBe('NOT_FOUND');
  });

  it('METHOD_NOT_ALLOWED, MALFORMED_REQUEST, UNSUPPORTED_MEDIA_TYPE, PAYLOAD_TOO_LARGE', async () => {
    const sender = freshSender();
    const method = await env.raw('POST', `/api/v1/senders/${sender}`, { body: {} });
    expect([method.status, method.body.code, method.headers.allow]).toEqual([405, 'METHOD_NOT_ALLOWED', 'GET']);
    const malformed = await env.raw('PUT', `/api/v1/senders/${sender}/contact`, { body: '{"name":' });
    expect([malformed.status, malformed.body.code]).toEqual([400, 'MALFORMED_REQUEST']);
    const media = await env.raw('PUT', `/api/v1/senders/${sender}/contact`, { body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect([media.status, media.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const large = await env.raw('POST', `/api/v1/senders/${sender}/accounts`, { body: { name: 'x'.repeat(1_100_000) } });
    expect([large.status, large.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('VALIDATION_FAILED (SCHEMA) for a body of the wrong shape, with field paths', async () => {
    const sender = await senderWithContact();
    const error = await env
      .client()
      .createAccount(sender, { type: 'REST', name: 'x', permissions: 'DimonaDeclaration', certificates: [{ name: 1 }] } as unknown as CreateAccountRequest, 'shape-1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const fields = (error as ValidationError).errors.map((e) => `${e.field}:${e.rule}`);
    expect(fields).toEqual(expect.arrayContaining(['permissions:SCHEMA', 'certificates[0].name:SCHEMA', 'certificates[0].content:SCHEMA']));
  });
});

describe('Idempotency-Key', () => {
  it('a replayed key returns the same account and creates only one', async () => {
    const sender = await senderWithContact();
    const client = env.client();
    const first = await client.createAccount(sender, TI_ACCOUNT, 'key-replay');
    const second = await client.createAccount(sender, TI_ACCOUNT, 'key-replay');
    expect(second).toEqual(first);
    expect(await client.listAccounts(sender)).toHaveLength(1);
    const raw = await env.raw('POST', `/api/v1/senders/${sender}/accounts`, { body: TI_ACCOUNT, headers: { 'idempotency-key': 'key-replay' } });
    expect(raw.status).toBe(201);
    expect(raw.headers['idempotent-replayed']).toBe('true');
    expect(raw.body.id).toBe(first.id);
  });

  it('the same key with a different body is 409 IDEMPOTENCY_KEY_REUSED', async () => {
    const sender = await senderWithContact();
    const client = env.client();
    await client.createAccount(sender, TI_ACCOUNT, 'key-reused');
    const error = await client.createAccount(sender, { ...TI_ACCOUNT, name: 'Another' }, 'key-reused').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('a replay after the account was deleted says so (404)', async () => {
    const sender = await senderWithContact();
    const client = env.client();
    const account = await client.createAccount(sender, TI_ACCOUNT, 'key-deleted');
    await client.deleteAccount(sender, account.id);
    await expect(client.createAccount(sender, TI_ACCOUNT, 'key-deleted')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('an answer lost after the create (dropped connection) is retried with the key: one account', async () => {
    const sender = await senderWithContact();
    const events: ChamanRequestEvent[] = [];
    const client = env.client({ onRequest: (e) => events.push(e) });
    env.emulator.setFaults({ dropAfterCommitRate: 1 });
    setTimeout(() => env.emulator.setFaults({ dropAfterCommitRate: 0 }), 30);
    const account = await client.createAccount(sender, TI_ACCOUNT, 'key-lost-answer');
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events[0]).toMatchObject({ operation: 'createAccount', error: 'UNAVAILABLE', willRetry: true });
    const accounts = await client.listAccounts(sender);
    expect(accounts.map((a) => a.id)).toEqual([account.id]);
  });
});

describe('retries', () => {
  it('honours Retry-After on 429', async () => {
    const events: ChamanRequestEvent[] = [];
    const client = env.client({ onRequest: (e) => events.push(e) });
    env.emulator.setFaults({ rate429: 1, retryAfterSeconds: 1 });
    setTimeout(() => env.emulator.setFaults({ rate429: 0 }), 200);
    const started = performance.now();
    await client.listPermissions('REST');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(events.map((e) => e.status)).toEqual([429, 200]);
    expect(events[0]).toMatchObject({ operation: 'listPermissions', method: 'GET', error: 'RATE_LIMITED', willRetry: true });
  });

  it('gives up with RateLimitedError when Retry-After exceeds what the policy waits', async () => {
    const client = env.client({ retry: { maxRetryAfterMs: 500 } });
    env.emulator.setFaults({ rate429: 1, retryAfterSeconds: 5 });
    const error = await client.listPermissions().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(5000);
  });

  it('retries 503 on GET with backoff, then gives up with UnavailableError', async () => {
    const events: ChamanRequestEvent[] = [];
    const client = env.client({ onRequest: (e) => events.push(e), retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 } });
    env.emulator.setFaults({ errorRate: 1 });
    await expect(client.listAccounts(freshSender())).rejects.toBeInstanceOf(UnavailableError);
    expect(events.map((e) => [e.status, e.willRetry])).toEqual([
      [503, true],
      [503, true],
      [503, false],
    ]);
  });

  it('never retries a POST without an Idempotency-Key; retries one with a key', async () => {
    const sender = freshSender();
    const upload = { name: 'c', fileName: 'c.cer', content: 'AAAA' };
    env.emulator.setFaults({ errorRate: 1 });
    const without: ChamanRequestEvent[] = [];
    await expect(env.client({ onRequest: (e) => without.push(e) }).addCertificate(sender, 'acc-x', upload)).rejects.toBeInstanceOf(UnavailableError);
    expect(without).toHaveLength(1);
    expect(without[0]!.willRetry).toBe(false);
    const withKey: ChamanRequestEvent[] = [];
    await expect(
      env.client({ onRequest: (e) => withKey.push(e), retry: { maxAttempts: 3, baseDelayMs: 5 } }).addCertificate(sender, 'acc-x', upload, 'cert-key'),
    ).rejects.toBeInstanceOf(UnavailableError);
    expect(withKey).toHaveLength(3);
  });

  it('a dropped connection is an UnavailableError, retried for GET', async () => {
    const events: ChamanRequestEvent[] = [];
    const client = env.client({ onRequest: (e) => events.push(e), retry: { maxAttempts: 2, baseDelayMs: 5 } });
    env.emulator.setFaults({ dropRate: 1 });
    const error = await client.listPermissions().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(events).toHaveLength(2);
    expect(events[0]!.status).toBeUndefined();
  });

  it('a request timeout is an UnavailableError', async () => {
    const client = env.client({ requestTimeoutMs: 100, retry: false });
    env.emulator.setFaults({ latencyMs: 400 });
    const error = await client.listPermissions().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toMatch(/no answer within 100 ms/);
  });
});

describe('rate limiter', () => {
  it('bounds calls per second', async () => {
    const client = env.client({ rateLimit: { ratePerSecond: 20, burst: 2 } });
    const started = performance.now();
    await Promise.all(Array.from({ length: 12 }, () => client.listPermissions('FTP')));
    const elapsed = performance.now() - started;
    // 2 at once, then 10 more at 20/s: at least 500 ms
    expect(elapsed).toBeGreaterThanOrEqual(480);
    expect(elapsed).toBeLessThan(3000);
  });
});

describe('hooks', () => {
  it('report operation, method, status and duration of each call', async () => {
    const events: ChamanRequestEvent[] = [];
    const client = env.client({ onRequest: (e) => events.push(e) });
    const sender = freshSender();
    await client.getSender(sender);
    await client.putContact(sender, CONTACT);
    await client.listAccounts(sender);
    expect(events.map((e) => `${e.operation} ${e.method} ${e.status}`)).toEqual(['getSender GET 200', 'putContact PUT 200', 'listAccounts GET 200']);
    expect(events.every((e) => e.durationMs >= 0 && e.attempt === 1)).toBe(true);
  });

  it('a throwing hook does not break the call', async () => {
    const client = env.client({
      onRequest: () => {
        throw new Error('metrics broke');
      },
    });
    expect(await client.listPermissions('FTP')).toHaveLength(1);
  });
});

describe('the emulator counts calls for tests', () => {
  it('GET /admin/requests counts API calls by operation, and mutating ones', async () => {
    const before = env.emulator.requests();
    const client = env.client();
    const sender = freshSender();
    await client.getSender(sender);
    await client.putContact(sender, CONTACT);
    const after = (await env.raw('GET', `/admin/requests?since=${before.recent.at(-1)?.seq ?? 0}`)).body;
    expect(after.total - before.total).toBe(2);
    expect(after.mutating - before.mutating).toBe(1);
    expect(after.recent.map((r: { operation: string }) => r.operation)).toEqual(['getSender', 'putContact']);
    expect(JSON.stringify(after)).not.toContain(env.token);
  });
});

describe('ChamanHttpClient against a bare HTTP server', () => {
  it('honours Retry-After on 503', async () => {
    const { createServer } = await import('node:http');
    const seen: number[] = [];
    const server = createServer((_req, res) => {
      seen.push(performance.now());
      if (seen.length === 1) {
        res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '1' });
        res.end(JSON.stringify({ type: 'urn:chaman:problem:unavailable', title: 'down', status: 503, code: 'UNAVAILABLE' }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('[]');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const client = new ChamanHttpClient({ baseUrl: `http://127.0.0.1:${port}`, auth: { kind: 'token', token: 't' }, retry: { baseDelayMs: 1 } });
    try {
      expect(await client.listPermissions()).toEqual([]);
      expect(seen).toHaveLength(2);
      expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(950);
    } finally {
      await client.close();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('ChamanHttpClient without a server', () => {
  it('a refused connection is UnavailableError and names no credential', async () => {
    const client = new ChamanHttpClient({ baseUrl: 'http://127.0.0.1:9', auth: { kind: 'token', token: env.token }, retry: false, connectTimeoutMs: 500 });
    const error = await client.listPermissions().catch((e: unknown) => e);
    await client.close();
    expect(error).toBeInstanceOf(UnavailableError);
    expect(JSON.stringify({ message: (error as Error).message, stack: (error as Error).stack, ...(error as object) })).not.toContain(env.token);
  });
});
