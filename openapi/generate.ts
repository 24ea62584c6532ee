/**
 * Builds `openapi/openapi.json` from the service manifest and the authored words of `source/` (one module a
 * part of the document, put together by `source/index.ts`), and (run as `npm run openapi`) writes it.
 * `test/contract/openapi-generated.test.ts` checks the committed file is what this builds.
 *
 * Generated: the paths and methods (`shared/manifest/routes.ts`), their security (a public route's own, the
 * IAM routes the default SigV4), the path and query parameters with their schemas (zod 4's `toJSONSchema` of the
 * schemas the handlers parse with, `openapi/contracts.ts`), the answer's schema reference, each error
 * status's response for the route's error shape, and the error code enum (`shared/manifest/error-codes.ts`).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { v4Instant } from '../functions/query/input.js';
import { linkedIdParam, requestIdParam, visitorIdParam } from '../shared/http/params.js';
import { ALL_ERROR_CODES } from '../shared/manifest/error-codes.js';
import { type ErrorShape, ROUTE_LIST, type RouteKey } from '../shared/manifest/routes.js';
import * as z from '../shared/validation/zod.js';
import { ROUTE_CONTRACTS } from './contracts.js';
import { COMPONENTS, HEAD, type Json, OPERATIONS } from './source/index.js';
import { typeDeclarations } from './typescript.js';

/** Where the document is written, and what the package exports as `./openapi.json`. */
export const OPENAPI_FILE = fileURLToPath(new URL('./openapi.json', import.meta.url));

type JsonObject = { [key: string]: Json };

/** The standard response of each error status, by the route's error shape (`components/responses`). */
const ERROR_RESPONSES: Record<ErrorShape, Readonly<Record<number, string>>> = {
  service: {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    413: 'PayloadTooLarge',
    429: 'TooManyRequests',
    500: 'InternalError',
    502: 'BadGateway',
    503: 'ServiceUnavailable',
    504: 'GatewayTimeout',
  },
  // API Gateway answers 403 (and its throttling 429, its integration failures 502/504) in the service's shape
  // whatever the route: only the function's own answers take Fingerprint's shapes.
  v3: {
    400: 'V3BadRequest',
    403: 'Forbidden',
    429: 'TooManyRequests',
    500: 'V3InternalError',
    502: 'BadGateway',
    503: 'V3ServiceUnavailable',
    504: 'GatewayTimeout',
  },
  v4: {
    400: 'V4BadRequest',
    403: 'Forbidden',
    404: 'V4NotFound',
    429: 'V4TooManyRequests',
    500: 'V4InternalError',
    502: 'V4BadGateway',
    503: 'V4ServiceUnavailable',
    504: 'V4GatewayTimeout',
  },
};

/** The id rules are refinements JSON Schema cannot state from zod: each is a component schema, written once. */
const ID_COMPONENTS = new Map<unknown, string>([
  [visitorIdParam, 'VisitorId'],
  [requestIdParam, 'RequestId'],
  [linkedIdParam, 'LinkedId'],
]);

/** Schemas whose JSON Schema zod cannot derive (a transform), stated here next to the schema they describe. */
const STATED: ReadonlyMap<unknown, JsonObject> = new Map<unknown, JsonObject>([
  // An RFC3339 date-time, or Unix milliseconds (see the schema's refinement).
  [
    v4Instant,
    {
      oneOf: [
        { type: 'string', format: 'date-time' },
        { type: 'integer', minimum: 0 },
      ],
    },
  ],
]);

/** A parameter's schema: what the handler's zod schema accepts, as the value it parses to. */
function parameterSchema(schema: z.ZodMiniType): JsonObject {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
    // The parsed value (`limit` is an integer), not the query string's text.
    io: 'output',
    // A transform has no JSON Schema: `STATED` says what it accepts, and an empty schema is refused below.
    unrepresentable: 'any',
    override: (ctx) => {
      const component = ID_COMPONENTS.get(ctx.zodSchema);
      const stated =
        component === undefined ? STATED.get(ctx.zodSchema) : { $ref: `#/components/schemas/${component}` };
      if (stated === undefined) return;
      for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[key];
      Object.assign(ctx.jsonSchema, stated);
    },
  });
  if (Object.keys(json).length === 0)
    throw new Error('A parameter schema zod cannot describe: add it to STATED.');
  // The default last, as the document always wrote it.
  const { default: fallback, ...rest } = json as JsonObject;
  return fallback === undefined ? rest : { ...rest, default: fallback };
}

function parameters(key: keyof typeof OPERATIONS): JsonObject[] {
  const contract = ROUTE_CONTRACTS[key];
  const words = OPERATIONS[key].parameters ?? {};
  const of = (where: 'path' | 'query', object: z.ZodMiniObject | undefined): JsonObject[] =>
    Object.entries(object?.def.shape ?? {}).map(([name, schema]) => ({
      name,
      in: where,
      required: where === 'path',
      ...(words[name] !== undefined && { description: words[name] }),
      schema: parameterSchema(schema as z.ZodMiniType),
    }));
  const documented = [...of('path', contract.path), ...of('query', contract.query)];
  const unknown = Object.keys(words).filter(
    (name) => !documented.some((parameter) => parameter.name === name),
  );
  if (unknown.length > 0)
    throw new Error(`${key}: openapi/source/operations.ts describes parameters no schema reads: ${unknown}`);
  return [...documented, ...((OPERATIONS[key].extraParameters ?? []) as JsonObject[])];
}

function responses(route: (typeof ROUTE_LIST)[number]): JsonObject {
  const source = OPERATIONS[route.key];
  const answers: JsonObject = {
    200: {
      ...source.success,
      content: {
        'application/json': { schema: { $ref: `#/components/schemas/${ROUTE_CONTRACTS[route.key].answer}` } },
      },
    },
  };
  const statuses = [...source.errors, ...Object.keys(source.errorResponses ?? {}).map(Number)].sort();
  for (const status of statuses) {
    const own = source.errorResponses?.[status];
    const standard = ERROR_RESPONSES[route.errorShape][status];
    if (own === undefined && standard === undefined) {
      throw new Error(`${route.key}: no ${route.errorShape} error response for ${status}`);
    }
    answers[status] = own ?? { $ref: `#/components/responses/${standard}` };
  }
  return answers;
}

function routeOf(key: RouteKey): (typeof ROUTE_LIST)[number] {
  const route = ROUTE_LIST.find((candidate) => candidate.key === key);
  if (route === undefined)
    throw new Error(`openapi/source/operations.ts documents ${key}, which is no route of the manifest.`);
  return route;
}

/** The whole document. */
export function buildOpenApiDocument(): JsonObject {
  const paths: Record<string, JsonObject> = {};
  // In the order of source/operations.ts, which has every route of the manifest (a Record over the route keys).
  for (const route of (Object.keys(OPERATIONS) as RouteKey[]).map((key) => routeOf(key))) {
    const source = OPERATIONS[route.key];
    const params = parameters(route.key);
    if (route.auth === 'public' && source.security === undefined) {
      throw new Error(
        `${route.key} is public: openapi/source/operations.ts must say how it is authenticated.`,
      );
    }
    paths[route.path] ??= {};
    (paths[route.path] as JsonObject)[route.method.toLowerCase()] = {
      operationId: ROUTE_CONTRACTS[route.key].operationId,
      tags: source.tags,
      summary: source.summary,
      description: source.description,
      ...(route.auth === 'public' && { security: source.security ?? [] }),
      ...(params.length > 0 && { parameters: params }),
      ...(source.requestBody !== undefined && { requestBody: source.requestBody }),
      responses: responses(route),
    };
  }
  return { ...HEAD, paths, components: withErrorCodes(COMPONENTS) };
}

/** The components, with every error code of the manifest as `Error`'s code enum. */
function withErrorCodes(components: JsonObject): JsonObject {
  const copy = structuredClone(components) as {
    schemas: { Error: { properties: { error: { properties: { code: JsonObject } } } } };
  };
  const code = copy.schemas.Error.properties.error.properties.code;
  copy.schemas.Error.properties.error.properties.code = {
    type: 'string',
    enum: [...ALL_ERROR_CODES],
    ...code,
  };
  return copy as unknown as JsonObject;
}

/** Writes the document as the repository's formatter (Biome) lays JSON out, so `npm run lint` accepts it. */
export function writeOpenApiDocument(file = OPENAPI_FILE): void {
  writeFileSync(file, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
  execFileSync('npx', ['biome', 'format', '--write', file], { stdio: 'ignore' });
}

/**
 * The components the API's types start from: every answer of the service's own routes, the request body, the
 * error body (v4's and v3's Fingerprint shapes are Fingerprint's types, not declared here). What they reference
 * is declared with them.
 */
const API_TYPE_ROOTS = [
  'EnrichRequest',
  'EnrichResponse',
  'NormalizedEvent',
  'EventList',
  'VisitorHistory',
  'VisitorErasure',
  'WebhookReceipt',
  'Error',
];

/**
 * Where the API's types are written: in the manifest, which the handlers import and the caller client compiles
 * and ships with it (`client/types.ts`).
 */
export const API_TYPES_FILE = fileURLToPath(new URL('../shared/manifest/api-types.ts', import.meta.url));

/** The text of an API types module, as Biome lays it out. */
export function apiTypesModule(document = buildOpenApiDocument()): string {
  const schemas = (document.components as { schemas: Record<string, Json> }).schemas;
  const text = `// Generated by \`npm run openapi\` from the component schemas of openapi/source: do not edit by hand.

/**
 * The types of the API's answers, its request body and its error body, as \`openapi/openapi.json\` describes
 * them: the handlers answer with these types and the caller client reads them, so neither restates a field.
 */

${typeDeclarations(schemas, API_TYPE_ROOTS)}
`;
  return execFileSync(BIOME, ['format', '--stdin-file-path=api-types.ts'], { input: text, encoding: 'utf8' });
}

const BIOME = fileURLToPath(new URL('../node_modules/.bin/biome', import.meta.url));

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeOpenApiDocument();
  console.log(`Wrote ${OPENAPI_FILE}`);
  writeFileSync(API_TYPES_FILE, apiTypesModule());
  console.log(`Wrote ${API_TYPES_FILE}`);
}
