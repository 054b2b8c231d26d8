// A tiny vocabulary for writing structural OpenAPI v3 schemas (the subset Kubernetes accepts),
// so the CRD sources read like the API they describe.

export interface CelRule {
  rule: string;
  message: string;
  /** JSONPath-like, relative to the node the rule is attached to (Kubernetes `fieldPath`). */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean' | 'number';
  description?: string;
  properties?: Record<string, Schema>;
  /** A map's values (e.g. matchLabels: string → string); structural schemas allow it without properties. */
  additionalProperties?: Schema;
  required?: string[];
  items?: Schema;
  enum?: string[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  'x-kubernetes-validations'?: CelRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

type Extra = Omit<Schema, 'type' | 'description'>;

export const str = (description: string, extra: Extra = {}): Schema => ({ type: 'string', description, ...extra });
export const int = (description: string, extra: Extra = {}): Schema => ({ type: 'integer', description, ...extra });
export const oneOf = (values: readonly string[], description: string, extra: Extra = {}): Schema => ({
  type: 'string',
  description,
  enum: [...values],
  ...extra,
});
export const arr = (items: Schema, description: string, extra: Extra = {}): Schema => ({
  type: 'array',
  description,
  items,
  ...extra,
});
export function obj(
  description: string,
  properties: Record<string, Schema>,
  required: string[] = [],
  extra: Extra = {},
): Schema {
  return { type: 'object', description, properties, ...(required.length ? { required } : {}), ...extra };
}

/** A field that can never change once set (CEL transition rule). */
export function immutable(schema: Schema, what: string, todo: string): Schema {
  return {
    ...schema,
    'x-kubernetes-validations': [
      ...(schema['x-kubernetes-validations'] ?? []),
      { rule: 'self == oldSelf', message: `${what} is immutable: ${todo}` },
    ],
  };
}
