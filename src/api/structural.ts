// Structural validation of ChamanSender, ChannelAccount and ChamanSenderGrant objects with ajv, from the same
// schema the CRDs are generated from. Used by `validate` and by the controller as a guard.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Finding, RuleId } from '../domain/types.ts';
import { chamanSenderCrd } from './chamansender.ts';
import { chamanSenderGrantCrd } from './chamansendergrant.ts';
import { channelAccountCrd } from './channelaccount.ts';
import { objectSchema, type CrdSource } from './crd.ts';
import type { Schema } from './openapi.ts';

export type ChamanKind = 'ChamanSender' | 'ChannelAccount' | 'ChamanSenderGrant';

const SOURCES: Record<ChamanKind, CrdSource> = {
  ChamanSender: chamanSenderCrd,
  ChannelAccount: channelAccountCrd,
  ChamanSenderGrant: chamanSenderGrantCrd,
};

/** A copy of the schema that refuses unknown fields, so typos are reported (the API server would prune them). */
function closed(schema: Schema): Schema {
  // A map (additionalProperties: a schema, e.g. matchLabels) keeps its value schema, closed in turn.
  const copy: Omit<Schema, 'additionalProperties'> & { additionalProperties?: Schema | false } = { ...schema };
  if (schema.additionalProperties) copy.additionalProperties = closed(schema.additionalProperties);
  if (copy.properties) {
    copy.properties = Object.fromEntries(Object.entries(copy.properties).map(([k, v]) => [k, closed(v)]));
    if (Object.keys(copy.properties).length > 0) copy.additionalProperties = false;
  }
  if (copy.items) copy.items = closed(copy.items);
  return copy as Schema;
}

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const validators = new Map<ChamanKind, { validate: ValidateFunction; schema: Schema }>();

function validatorFor(source: CrdSource): { validate: ValidateFunction; schema: Schema } {
  const kind = source.kind as ChamanKind;
  let entry = validators.get(kind);
  if (!entry) {
    // Only the user's part is checked: metadata belongs to Kubernetes and status to the operator.
    const whole = objectSchema(source);
    const schema: Schema = { ...whole, properties: { ...whole.properties, spec: closed(source.spec), status: { type: 'object' } } };
    entry = { validate: ajv.compile(schema), schema };
    validators.set(kind, entry);
  }
  return entry;
}

/** `/spec/certificates/0/name` → `spec.certificates[0].name` */
export function toFieldPath(instancePath: string, property?: string): string {
  const segments = instancePath.split('/').filter(Boolean);
  if (property) segments.push(property);
  return segments.reduce((path, seg) => (/^\d+$/.test(seg) ? `${path}[${seg}]` : path ? `${path}.${seg}` : seg), '');
}

function schemaAt(root: Schema, field: string): Schema | undefined {
  let node: Schema | undefined = root;
  for (const seg of field.replace(/\[\d+\]/g, '.[]').split('.').filter(Boolean)) {
    node = seg === '[]' ? node?.items : node?.properties?.[seg];
  }
  return node;
}

/** Which domain rule a schema constraint stands for, where one does. */
export function ruleForField(kind: ChamanKind, field: string): RuleId {
  if (/(ftp|sftp)\.username$/.test(field)) return 'R4';
  if (kind === 'ChamanSender' && field.startsWith('spec.contact')) return 'R1';
  if (field === 'spec.management') return 'R15';
  return 'SCHEMA';
}

function toFinding(kind: ChamanKind, root: Schema, error: ErrorObject): Finding {
  const params = error.params as Record<string, unknown>;
  const missing = error.keyword === 'required' ? String(params.missingProperty) : undefined;
  const extra = error.keyword === 'additionalProperties' ? String(params.additionalProperty) : undefined;
  const field = toFieldPath(error.instancePath, missing ?? extra);
  const rule = ruleForField(kind, field);
  const described = schemaAt(root, field)?.description;
  const hint = described ? ` ${described}` : '';
  switch (error.keyword) {
    case 'required':
      return { rule, field, severity: 'error', message: `${field} is required.${hint}` };
    case 'additionalProperties':
      return {
        rule: 'SCHEMA',
        field,
        severity: 'warning',
        message: `${field} is not a field of ${kind}; the API server will drop it. Check the spelling (kubectl explain ${kind.toLowerCase()}.spec).`,
      };
    case 'enum':
      return {
        rule,
        field,
        severity: 'error',
        message: `${field} must be one of ${(params.allowedValues as string[]).join(', ')}.${hint}`,
      };
    case 'pattern':
      return { rule, field, severity: 'error', message: `${field} has the wrong format (pattern ${String(params.pattern)}).${hint}` };
    default:
      return { rule, field, severity: 'error', message: `${field} ${error.message ?? 'is invalid'}.${hint}` };
  }
}

export function checkStructure(kind: ChamanKind, object: unknown): Finding[] {
  const { validate, schema } = validatorFor(SOURCES[kind]);
  if (validate(object)) return [];
  return (validate.errors ?? []).map((e) => toFinding(kind, schema, e));
}
