// The emulator's admin endpoints (/admin/faults, /admin/state, /admin/requests), for tests and
// benchmarks: only a credential that may manage every sender; a read-only one may only GET.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROBLEM_CONTENT_TYPE } from '../chaman/problem.ts';
import type { EmulatorContext } from './context.ts';
import { ProblemError } from './problem-error.ts';
import { NO_FAULTS, mergeFaults } from './faults.ts';
import { problemReply, readJson, send } from './http-io.ts';

export async function handleAdmin(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const { backend, log } = ctx;
  const path = url.pathname;
  const credential = ctx.credentials.authenticate(req);
  if (!credential) {
    send(res, problemReply('UNAUTHENTICATED', 'the admin endpoints need a credential of the emulator (a bearer token or client certificate)', path));
    return;
  }
  if (credential.senders !== '*' || (credential.readOnly && req.method !== 'GET')) {
    send(res, problemReply('ACCESS_DENIED', 'the admin endpoints need a credential that may manage every sender ("*"); a read-only one may only GET them', path));
    return;
  }
  try {
    if (path === '/admin/faults' && req.method === 'GET') {
      send(res, { status: 200, body: ctx.faults() });
    } else if (path === '/admin/faults' && req.method === 'PUT') {
      const merged = mergeFaults(NO_FAULTS, await readJson(req));
      if (!merged.faults) {
        send(res, problemReply('VALIDATION_FAILED', 'invalid faults', path, {}, merged.errors.map((e) => ({ ...e, rule: 'SCHEMA' }))));
        return;
      }
      ctx.setFaults(merged.faults);
      log.warn({ faults: merged.faults }, 'faults changed');
      send(res, { status: 200, body: merged.faults });
    } else if (path === '/admin/state' && req.method === 'GET') {
      send(res, { status: 200, body: backend.dump() });
    } else if (path === '/admin/requests' && req.method === 'GET') {
      const since = url.searchParams.get('since');
      send(res, { status: 200, body: ctx.requestLog.requests(since !== null ? Number(since) : undefined) });
    } else {
      send(res, problemReply('NOT_FOUND', `no such admin endpoint: ${req.method} ${path}`, path));
    }
  } catch (error) {
    if (error instanceof ProblemError) send(res, { status: error.problem.status, body: error.problem, contentType: PROBLEM_CONTENT_TYPE });
    else send(res, problemReply('INTERNAL_ERROR', (error as Error).message, path));
  }
}
