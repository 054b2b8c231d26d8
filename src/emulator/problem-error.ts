// An emulator reply, and the request that ends in a problem+json answer (RFC 9457).
import { makeProblem } from '../chaman/problem.ts';
import type { Problem, ProblemCode } from '../chaman/problem.ts';
import type { FieldError } from '../chaman/types.ts';

export interface Reply {
  status: number;
  body?: unknown;
  bytes?: Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A request that ends in a problem+json answer. */
export class ProblemError extends Error {
  readonly problem: Problem;
  readonly headers: Record<string, string>;
  constructor(code: ProblemCode, detail: string, headers: Record<string, string> = {}, errors?: FieldError[]) {
    super(detail);
    this.problem = makeProblem(code, detail, errors ? { errors } : {});
    this.headers = headers;
  }
}
