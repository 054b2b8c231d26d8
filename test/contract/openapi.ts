// Validates HTTP answers against api/chaman-backend.openapi.yaml with ajv (JSON Schema 2020-12,
// the dialect of OpenAPI 3.1). Every answer must be documented for its operation and status, and
// its body must match the documented schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { parse } from 'yaml';

const DOC_ID = 'chaman-openapi';

interface Operation {
  operationId: string;
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: unknown }> }>;
}

interface Route {
  method: string;
  pattern: RegExp;
  template: string;
  operation: Operation;
}

export interface RecordedResponse {
  method: string;
  path: string;
  status: number;
  contentType: string;
  body: Buffer;
}

export class OpenApiValidator {
  readonly doc: Record<string, any>;
  readonly #ajv: Ajv2020;
  readonly #routes: Route[] = [];
  readonly #compiled = new Map<string, ValidateFunction>();

  constructor(file = join(import.meta.dirname, '..', '..', 'api', 'chaman-backend.openapi.yaml')) {
    this.doc = parse(readFileSync(file, 'utf8'));
    this.#ajv = new Ajv2020({ strict: false, allErrors: true });
    this.#ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    this.#ajv.addSchema({ $id: DOC_ID, ...this.doc });
    const apiBase = new URL(this.doc.servers[0].url).pathname.replace(/\/$/, '');
    for (const [template, item] of Object.entries<Record<string, any>>(this.doc.paths)) {
      const base = template.startsWith('/admin/') ? '' : apiBase;
      const pattern = new RegExp(`^${base}${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const method of ['get', 'put', 'post', 'patch', 'delete']) {
        if (item[method]) this.#routes.push({ method: method.toUpperCase(), pattern, template, operation: item[method] });
      }
    }
  }

  /** The operationIds of the document. */
  operations(): string[] {
    return this.#routes.map((r) => r.operation.operationId);
  }

  /** The schema of a component, compiled (e.g. `Account`). */
  component(name: string): ValidateFunction {
    return this.#compile(`#/components/schemas/${name}`, { $ref: `${DOC_ID}#/components/schemas/${name}` });
  }

  /** Problems with one answer; [] when it matches the document. */
  check(response: RecordedResponse): string[] {
    const path = response.path.split('?')[0]!;
    const where = `${response.method} ${path} → ${response.status}`;
    if (response.status === 0) return []; // a connection dropped by fault injection: nothing to validate
    const route = this.#routes.find((r) => r.method === response.method && r.pattern.test(path));
    if (!route) {
      // Only unknown paths may answer an undocumented 404/405/401.
      return [404, 405, 401].includes(response.status) ? this.#checkProblem(response, where) : [`${where}: not in the document`];
    }
    let documented = route.operation.responses[String(response.status)];
    if (!documented) return [`${where}: status not documented for ${route.operation.operationId}`];
    if (documented.$ref) documented = this.#resolve(documented.$ref);
    const content = documented!.content;
    if (!content) return response.body.length === 0 ? [] : [`${where}: documented without a body, got ${response.body.length} bytes`];
    const mediaType = response.contentType.split(';')[0]!.trim();
    const entry = content[mediaType];
    if (!entry) return [`${where}: content type ${mediaType} not documented (expected ${Object.keys(content).join(', ')})`];
    if (mediaType === 'application/pkix-cert') return response.body.length > 0 ? [] : [`${where}: empty certificate`];
    let body: unknown;
    try {
      body = JSON.parse(response.body.toString('utf8'));
    } catch {
      return [`${where}: body is not JSON`];
    }
    const key = `${route.template} ${response.method} ${response.status} ${mediaType}`;
    const validate = this.#compile(key, rewriteRefs(entry.schema));
    return validate(body) ? [] : [`${where}: ${this.#ajv.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 400)}`];
  }

  #checkProblem(response: RecordedResponse, where: string): string[] {
    const validate = this.component('Problem');
    try {
      return validate(JSON.parse(response.body.toString('utf8'))) ? [] : [`${where}: ${this.#ajv.errorsText(validate.errors)}`];
    } catch {
      return [`${where}: body is not a problem+json`];
    }
  }

  #compile(key: string, schema: unknown): ValidateFunction {
    let validate = this.#compiled.get(key);
    if (!validate) {
      validate = this.#ajv.compile(schema as object);
      this.#compiled.set(key, validate);
    }
    return validate;
  }

  #resolve(ref: string): any {
    let node: any = this.doc;
    for (const part of ref.replace(/^#\//, '').split('/')) node = node[part.replaceAll('~1', '/').replaceAll('~0', '~')];
    return node;
  }
}

/** Inline schemas refer to `#/components/...` of the document: point them at the registered document. */
function rewriteRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rewriteRefs);
  if (typeof schema === 'object' && schema !== null) {
    return Object.fromEntries(
      Object.entries(schema).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${DOC_ID}${v}` : rewriteRefs(v)]),
    );
  }
  return schema;
}
