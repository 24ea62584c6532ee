import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// Both are CommonJS whose `module.exports` also carries `default`; under NodeNext only `.default` is typed.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

/** The API document, as kept in the repository and served at `GET /openapi.json`. */
export const OPENAPI_URL = new URL('../../openapi/openapi.json', import.meta.url);

type Json = Record<string, unknown>;

/** An answer as a caller sees it. */
export interface ObservedResponse {
  method: string;
  /** A concrete path (`/events/1708102555327.NLOjmg`) or a template (`/events/{requestId}`). */
  path: string;
  status: number;
  headers: Record<string, string | undefined>;
  body: unknown;
}

/** Reads `openapi/openapi.json`. */
export function loadOpenApi(): Json {
  return JSON.parse(readFileSync(OPENAPI_URL, 'utf8')) as Json;
}

/**
 * Checks answers against the document: the status must be documented for the operation, the body must match
 * its schema (JSON Schema 2020-12, the dialect of OpenAPI 3.1), and documented headers must have their shape.
 */
export class OpenApiValidator {
  readonly document: Json;
  readonly #ajv: InstanceType<typeof Ajv2020>;
  readonly #validators = new Map<string, ValidateFunction>();

  constructor(document: Json = loadOpenApi()) {
    this.document = document;
    // Strict: a keyword Ajv does not know is a mistake in the document, not something to skip. The one
    // exception is `required` inside `anyOf` without its own `properties`: the JSON Schema idiom for "at least
    // one of these fields", which strictRequired would refuse.
    this.#ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
    addFormats(this.#ajv);
    const schemas = (document.components as Json).schemas as Json;
    this.#ajv.addSchema({
      $id: 'openapi.json',
      $defs: Object.fromEntries(
        Object.entries(schemas).map(([name, schema]) => [name, rebase(schema as Json)]),
      ),
    });
  }

  /** The path templates of the document. */
  get paths(): string[] {
    return Object.keys(this.document.paths as Json);
  }

  /** The template a concrete path belongs to, e.g. `/visitors/abc` → `/visitors/{visitorId}`. */
  templateOf(path: string): string | undefined {
    const segments = path.split('?')[0]?.split('/') ?? [];
    return this.paths.find((template) => {
      const parts = template.split('/');
      return (
        parts.length === segments.length &&
        parts.every((part, index) => /^\{\w+\}$/.test(part) || part === segments[index])
      );
    });
  }

  /** Compiles every schema of the document; throws on the first one Ajv (in strict mode) refuses. */
  compileAll(): void {
    const schemas = (this.document.components as Json).schemas as Json;
    for (const name of Object.keys(schemas)) this.#ajv.compile({ $ref: `openapi.json#/$defs/${name}` });
  }

  /** Whether `value` matches the named component schema; the problems otherwise. */
  matches(schemaName: string, value: unknown): string[] {
    const key = `schema ${schemaName}`;
    let validate = this.#validators.get(key);
    if (validate === undefined) {
      validate = this.#ajv.compile({ $ref: `openapi.json#/$defs/${schemaName}` });
      this.#validators.set(key, validate);
    }
    return validate(value) ? [] : [describe(validate.errors)];
  }

  /** Problems with an answer; empty when it conforms. */
  check(response: ObservedResponse): string[] {
    const where = `${response.method} ${response.path} → ${response.status}`;
    const template = this.templateOf(response.path);
    if (template === undefined) return [`${where}: no such path in the document`];
    const operation = ((this.document.paths as Json)[template] as Json | undefined)?.[
      response.method.toLowerCase()
    ] as Json | undefined;
    if (operation === undefined) return [`${where}: no such operation in the document`];
    const declared = (operation.responses as Json)[String(response.status)] as Json | undefined;
    if (declared === undefined) return [`${where}: status not documented`];
    const resolved = this.#resolve(declared);
    const problems: string[] = [];

    const contentType = response.headers['content-type'] ?? '';
    if (!contentType.startsWith('application/json')) problems.push(`${where}: content-type ${contentType}`);
    const validate = this.#validator(template, response.method, String(response.status), resolved);
    if (!validate(response.body)) problems.push(`${where}: ${describe(validate.errors)}`);

    for (const [name, header] of Object.entries((resolved.headers as Json | undefined) ?? {})) {
      const value = response.headers[name.toLowerCase()];
      if (value === undefined) continue;
      const schema = (header as Json).schema as Json;
      if (!this.#ajv.validate(schema, value)) {
        problems.push(`${where}: header ${name}=${value}: ${describe(this.#ajv.errors)}`);
      }
    }
    return problems;
  }

  #validator(template: string, method: string, status: string, response: Json): ValidateFunction {
    const key = `${method} ${template} ${status}`;
    const cached = this.#validators.get(key);
    if (cached !== undefined) return cached;
    const media = (response.content as Json | undefined)?.['application/json'] as Json | undefined;
    if (media === undefined) throw new Error(`${key}: no application/json content in the document`);
    const validate = this.#ajv.compile(rebase(media.schema as Json));
    this.#validators.set(key, validate);
    return validate;
  }

  /** Follows a `$ref` to `#/components/responses/…`. */
  #resolve(response: Json): Json {
    const ref = response.$ref;
    if (typeof ref !== 'string') return response;
    const name = ref.replace('#/components/responses/', '');
    return ((this.document.components as Json).responses as Json)[name] as Json;
  }
}

/** `#/components/schemas/X` references point into the schema registered as `openapi.json`. */
function rebase(schema: Json): Json {
  return JSON.parse(
    JSON.stringify(schema).replaceAll('"$ref":"#/components/schemas/', '"$ref":"openapi.json#/$defs/'),
  ) as Json;
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 5)
    .map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`)
    .join('; ');
}

/** Lower-cased header names, as fetch gives them; a Lambda result's headers are spelled by the handler. */
export function lowerCaseHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
}
