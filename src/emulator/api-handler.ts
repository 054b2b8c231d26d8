// The Chaman API of the emulator (/api/v1): routing, fault injection, authentication and R14, then
// the backend. Every request is logged (no headers, no bodies) and recorded in the request log.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROBLEM_CONTENT_TYPE } from '../chaman/problem.ts';
import { ProblemError } from './problem-error.ts';
import type { Reply } from './problem-error.ts';
import type { EmulatorContext } from './context.ts';
import { mayManage, type Credential, type Credentials } from './credentials.ts';
import { decideFault } from './faults.ts';
import { MUTATING, headerValue, problemReply, readJson, send } from './http-io.ts';

interface Route {
  method: string;
  pattern: RegExp;
  operation: string;
}

const ID = '([^/]+)';
const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/api\/v1\/permissions$/, operation: 'listPermissions' },
  { method: 'GET', pattern: new RegExp(`^/api/v1/senders/${ID}$`), operation: 'getSender' },
  { method: 'PUT', pattern: new RegExp(`^/api/v1/senders/${ID}/contact$`), operation: 'putContact' },
  { method: 'GET', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts$`), operation: 'listAccounts' },
  { method: 'POST', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts$`), operation: 'createAccount' },
  { method: 'GET', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts/${ID}$`), operation: 'getAccount' },
  { method: 'PATCH', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts/${ID}$`), operation: 'editAccount' },
  { method: 'DELETE', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts/${ID}$`), operation: 'deleteAccount' },
  { method: 'POST', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts/${ID}/certificates$`), operation: 'addCertificate' },
  { method: 'PUT', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts/${ID}/certificates/${ID}$`), operation: 'replaceCertificate' },
  { method: 'DELETE', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts/${ID}/certificates/${ID}$`), operation: 'removeCertificate' },
  { method: 'GET', pattern: new RegExp(`^/api/v1/senders/${ID}/accounts/${ID}/certificates/${ID}/content$`), operation: 'downloadCertificate' },
];

export async function handleApi(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { backend, credentials, log, requestLog } = ctx;
  const started = performance.now();
  const url = new URL(req.url ?? '/', 'http://emulator');
  const path = url.pathname;
  const method = req.method ?? 'GET';

  const route = ROUTES.find((r) => r.method === method && r.pattern.test(path));
  const operation = route?.operation ?? 'unknown';
  let fault: string | undefined;
  const finish = (reply: Reply): void => {
    send(res, reply);
    const durationMs = Math.round((performance.now() - started) * 100) / 100;
    requestLog.record({ method, path, operation, status: reply.status, durationMs, ...(fault ? { fault } : {}) });
    log.info({ method, path, operation, status: reply.status, durationMs, ...(fault ? { fault } : {}) }, 'request');
  };
  const drop = (): void => {
    requestLog.record({ method, path, operation, status: 0, durationMs: Math.round(performance.now() - started), fault: fault ?? 'drop' });
    log.info({ method, path, operation, fault }, 'connection dropped (fault injection)');
    req.socket.destroy();
  };

  try {
    if (!path.startsWith('/api/v1/')) throw new ProblemError('NOT_FOUND', `no such endpoint: ${path}; the API is under /api/v1`);

    // Faults first: an injected 429/503/drop means the request was not processed.
    if (ctx.faults().latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, ctx.faults().latencyMs));
    const decision = decideFault(ctx.faults(), ctx.random);
    if (decision === 'drop') {
      fault = 'drop';
      drop();
      return;
    }
    if (decision === 'rateLimit') {
      fault = '429';
      finish(problemReply('RATE_LIMITED', 'injected rate limit: retry after the delay in Retry-After', path, { 'retry-after': String(ctx.faults().retryAfterSeconds) }));
      return;
    }
    if (decision === 'error') {
      fault = '503';
      finish(problemReply('UNAVAILABLE', 'injected error: the request was not processed, retry later', path));
      return;
    }

    const { credential, params } = authorize(credentials, req, method, path, route);
    const body = MUTATING.has(method) && method !== 'DELETE' ? await readJson(req) : undefined;
    const idempotencyKey = idempotencyKeyOf(req);
    const reply = await backend.handle(operation, {
      params,
      query: url.searchParams,
      body,
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      scope: credential.label,
    });
    if (ctx.faults().responseDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, ctx.faults().responseDelayMs));
    if (decision === 'dropAfterCommit') {
      fault = 'dropAfterCommit';
      drop();
      return;
    }
    finish(reply);
  } catch (error) {
    if (error instanceof ProblemError) {
      finish({ status: error.problem.status, body: { ...error.problem, instance: path }, contentType: PROBLEM_CONTENT_TYPE, headers: error.headers });
    } else {
      log.error({ err: { message: (error as Error)?.message, stack: (error as Error)?.stack }, method, path, operation }, 'internal error');
      finish(problemReply('INTERNAL_ERROR', 'the emulator failed to process the request; see its log', path));
    }
  }
}

/** The caller's credential and the route's parameters, or the problem that refuses the call (401, 404/405, R14). */
function authorize(credentials: Credentials, req: IncomingMessage, method: string, path: string, route: Route | undefined): { credential: Credential; params: string[] } {
  const credential = credentials.authenticate(req);
  if (!credential) {
    throw new ProblemError(
      'UNAUTHENTICATED',
      'no credential or an unknown one: send "Authorization: Bearer <token>" with a registered token, or a client certificate the server trusts',
      { 'www-authenticate': 'Bearer realm="chaman"' },
    );
  }
  if (!route) {
    const allowed = ROUTES.filter((r) => r.pattern.test(path)).map((r) => r.method);
    if (allowed.length > 0) throw new ProblemError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`, { allow: allowed.join(', ') });
    throw new ProblemError('NOT_FOUND', `no such endpoint: ${method} ${path}`);
  }
  const params = route.pattern.exec(path)!.slice(1).map((p) => decodeURIComponent(p));
  const senderNumber = params[0];
  if (senderNumber !== undefined && !mayManage(credential, senderNumber)) {
    throw new ProblemError(
      'ACCESS_DENIED',
      `this credential may not manage sender ${senderNumber} in Chaman (R14). If you are not an access manager, ask yours to enable Chaman for you; ` +
        'if you are, enable the application Chaman for this credential in the access-management application.',
    );
  }
  if (credential.readOnly && MUTATING.has(method)) {
    throw new ProblemError('ACCESS_DENIED', `this credential is read-only in Chaman (R14): it may read, not ${method} ${path}. Use a credential that may manage the sender.`);
  }
  return { credential, params };
}

/** The Idempotency-Key header, checked: 1 to 255 printable ASCII characters without spaces. */
function idempotencyKeyOf(req: IncomingMessage): string | undefined {
  const idempotencyKey = headerValue(req.headers['idempotency-key']);
  if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 255 || !/^[\x21-\x7e]+$/.test(idempotencyKey))) {
    throw new ProblemError('VALIDATION_FAILED', 'the Idempotency-Key header must be 1 to 255 printable ASCII characters without spaces, e.g. a UUID', {}, [
      { field: 'Idempotency-Key', rule: 'SCHEMA', message: 'use 1 to 255 printable ASCII characters without spaces, e.g. a UUID' },
    ]);
  }
  return idempotencyKey;
}
