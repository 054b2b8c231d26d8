// Reading requests and writing replies for the emulator's endpoints: one JSON body at most 1 MiB
// and 32 levels deep, read before it is parsed; replies and problems (RFC 9457) as the backend gives them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROBLEM_CONTENT_TYPE, makeProblem } from '../chaman/problem.ts';
import type { Problem, ProblemCode } from '../chaman/problem.ts';
import { ProblemError } from './problem-error.ts';
import type { Reply } from './problem-error.ts';

const MAX_BODY_BYTES = 1024 * 1024;
export const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function problemReply(
  code: ProblemCode,
  detail: string,
  instance: string,
  headers: Record<string, string> = {},
  errors?: { field: string; rule: string; message: string }[],
): Reply {
  const problem: Problem = makeProblem(code, detail, { instance, ...(errors ? { errors } : {}) });
  return { status: problem.status, body: problem, contentType: PROBLEM_CONTENT_TYPE, headers };
}

export function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
  let payload: Buffer | undefined;
  if (reply.bytes !== undefined) {
    payload = Buffer.from(reply.bytes);
    headers['content-type'] = reply.contentType ?? 'application/octet-stream';
  } else if (reply.body !== undefined) {
    payload = Buffer.from(JSON.stringify(reply.body));
    headers['content-type'] = reply.contentType ?? 'application/json';
  }
  if (payload) headers['content-length'] = String(payload.length);
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/** No request of this API nests more than 4 levels; anything deeper is refused before JSON.parse sees it. */
const MAX_JSON_DEPTH = 32;

/** One linear pass: the nesting depth of JSON text, strings (and their escapes) skipped. */
function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new ProblemError('PAYLOAD_TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES.toLocaleString('en-US')} bytes (1 MiB), the most this server reads; it was not read: send one account or certificate per request (a certificate is a few kB)`);
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  const contentType = req.headers['content-type'] ?? '';
  if (contentType !== '' && !/\bjson\b/i.test(contentType)) {
    throw new ProblemError('UNSUPPORTED_MEDIA_TYPE', `send the body as application/json (got ${contentType.split(';')[0]})`);
  }
  if (jsonDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new ProblemError('MALFORMED_REQUEST', `the body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels, and was not parsed; a request of this API nests 4 at most`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ProblemError('MALFORMED_REQUEST', 'the body is not valid JSON');
  }
}
