// Reading a Chaman answer's body, never more than a cap (8 MiB by default): an answer past it is
// abandoned as soon as the cap is passed (its connection is closed), not buffered first, so a broken
// or hostile server cannot fill the operator's memory (issue 16 item 8).
import type { Dispatcher } from 'undici';
import { ResponseTooLargeError } from './errors.ts';

export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

type Body = Dispatcher.ResponseData['body'];

/** The body's bytes, or a ResponseTooLargeError once more than `maxBytes` were declared or received. */
export async function readBodyCapped(body: Body, declaredLength: unknown, maxBytes: number, what: string): Promise<Buffer> {
  const declared = Number(declaredLength);
  if (Number.isFinite(declared) && declared > maxBytes) {
    body.destroy();
    throw new ResponseTooLargeError(what, maxBytes);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      body.destroy();
      throw new ResponseTooLargeError(what, maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}

/**
 * What the client makes of a body: bytes for a download, parsed JSON for a JSON answer (undefined when
 * empty or not JSON), nothing otherwise. Bodies it does not use are drained within the same cap.
 */
export async function parseBody(response: Dispatcher.ResponseData, accept: 'json' | 'bytes' | undefined, maxBytes: number, what: string): Promise<unknown> {
  const read = () => readBodyCapped(response.body, response.headers['content-length'], maxBytes, what);
  if (response.statusCode === 204) {
    await read();
    return undefined;
  }
  if (response.statusCode < 400 && accept === 'bytes') return new Uint8Array(await read());
  const bytes = await read();
  if (!String(response.headers['content-type'] ?? '').includes('json') || bytes.length === 0) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}
