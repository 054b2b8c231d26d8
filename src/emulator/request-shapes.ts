// The contract's JSON shapes (SPEC section 5) and how a body that breaks them, or a rule, becomes a
// 422 problem; the rules themselves come from src/domain.
import type { CertificateUpload, FieldError } from '../chaman/types.ts';
import * as domain from '../domain/index.ts';
import { CHANNEL_TYPES } from '../domain/types.ts';
import type { Finding } from '../domain/types.ts';
import { ProblemError } from './problem-error.ts';

type Shape = Record<string, { type: 'string' | 'array' | 'object'; required?: boolean; items?: Shape | 'string'; shape?: Shape; enum?: readonly string[] }>;

const PHONE_SHAPE: Shape = { countryCode: { type: 'string', required: true }, number: { type: 'string', required: true } };
export const CONTACT_SHAPE: Shape = {
  name: { type: 'string', required: true },
  role: { type: 'string' },
  phone: { type: 'object', required: true, shape: PHONE_SHAPE },
  email: { type: 'string', required: true },
  // the language's values are R1's business (the library says which are allowed)
  language: { type: 'string', required: true },
};
export const CERTIFICATE_SHAPE: Shape = {
  name: { type: 'string', required: true },
  fileName: { type: 'string', required: true },
  content: { type: 'string', required: true },
};
export const CREATE_SHAPE: Shape = {
  type: { type: 'string', required: true, enum: CHANNEL_TYPES },
  name: { type: 'string', required: true },
  permissions: { type: 'array', required: true, items: 'string' },
  management: { type: 'string', enum: ['Internal', 'TechnicalIntermediary'] },
  username: { type: 'string' },
  password: { type: 'string' },
  sshPublicKey: { type: 'string' },
  certificates: { type: 'array', required: true, items: CERTIFICATE_SHAPE },
};

function join(prefix: string, key: string | number): string {
  if (typeof key === 'number') return `${prefix}[${key}]`;
  return prefix === '' ? key : `${prefix}.${key}`;
}

/** Type errors of a JSON body against a shape, as SCHEMA field errors. Unknown fields are refused. */
const MAX_UNKNOWN_FIELDS_NAMED = 10;

export function shapeErrors(value: unknown, shape: Shape, at: string): FieldError[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ field: at, rule: 'SCHEMA', message: `${at === '' ? 'the body' : at} must be a JSON object` }];
  }
  const errors: FieldError[] = [];
  const object = value as Record<string, unknown>;
  const unknown = Object.keys(object).filter((key) => !(key in shape));
  // The first few by name, then a count: one error per field made an answer larger than the request.
  for (const key of unknown.slice(0, MAX_UNKNOWN_FIELDS_NAMED)) errors.push({ field: join(at, key), rule: 'SCHEMA', message: `unknown field; expected ${Object.keys(shape).join(', ')}` });
  if (unknown.length > MAX_UNKNOWN_FIELDS_NAMED) {
    errors.push({ field: at, rule: 'SCHEMA', message: `${unknown.length - MAX_UNKNOWN_FIELDS_NAMED} more unknown fields; expected ${Object.keys(shape).join(', ')}` });
  }
  for (const [key, spec] of Object.entries(shape)) {
    const field = join(at, key);
    const v = object[key];
    if (v === undefined || v === null) {
      if (spec.required) errors.push({ field, rule: 'SCHEMA', message: `${field} is required` });
      continue;
    }
    if (spec.type === 'string') {
      if (typeof v !== 'string') errors.push({ field, rule: 'SCHEMA', message: `${field} must be a string` });
      else if (spec.enum && !spec.enum.includes(v)) errors.push({ field, rule: 'SCHEMA', message: `${field} must be one of ${spec.enum.join(', ')}` });
    } else if (spec.type === 'object') {
      errors.push(...shapeErrors(v, spec.shape ?? {}, field));
    } else if (!Array.isArray(v)) {
      errors.push({ field, rule: 'SCHEMA', message: `${field} must be an array` });
    } else {
      v.forEach((item, i) => {
        if (spec.items === 'string') {
          if (typeof item !== 'string') errors.push({ field: join(field, i), rule: 'SCHEMA', message: 'must be a string' });
        } else if (spec.items) {
          errors.push(...shapeErrors(item, spec.items, join(field, i)));
        }
      });
    }
  }
  return errors;
}

// ---- small helpers ----

/**
 * R9: a private key is never sent to Chaman. For the operator, a PEM holding a certificate and its
 * key is a warning (it sends the certificate only); a backend that RECEIVES a key refuses the
 * request, so the client learns it leaked one. The detection is the library's.
 */
export function privateKeyErrors(upload: CertificateUpload, field: string): FieldError[] {
  if (typeof upload?.content !== 'string' || !domain.containsPrivateKey(new Uint8Array(Buffer.from(upload.content, 'base64')))) return [];
  return [
    {
      field,
      rule: 'R9',
      message: 'R9: the content holds a private key, which must never be sent to Chaman: send the certificate alone (DER or PEM), and keep the key secret (consider it exposed and rotate it)',
    },
  ];
}

export function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.field}|${e.rule}|${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function validation(errors: FieldError[]): ProblemError {
  const rules = [...new Set(errors.map((e) => e.rule))].join(', ');
  return new ProblemError('VALIDATION_FAILED', `the request breaks ${errors.length === 1 ? 'a rule' : `${errors.length} rules`} (${rules}): see errors`, {}, errors);
}

export function errorsOnly(findings: Finding[]): FieldError[] {
  return findings.filter((f) => f.severity === 'error').map((f) => ({ field: f.field, rule: f.rule, message: f.message }));
}
