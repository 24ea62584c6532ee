/**
 * Small builders for what the document writes again and again with other names: a reference, a property of a
 * plain type, a JSON body, an error body narrowed to its codes, the headers of an error answer. Each returns
 * exactly the JSON the document holds, keys in the document's order, so the data still reads like it.
 */
import { ERROR_CODE_HEADER, ERROR_FIELD_HEADER } from '../../shared/manifest/error-codes.js';
import type { JsonObject } from './json.js';

type Properties = Readonly<Record<string, JsonObject>>;

/** A reference to a component schema. */
export function ref(schema: string): JsonObject {
  return { $ref: `#/components/schemas/${schema}` };
}

/** A reference to a component response. */
export function responseRef(response: string): JsonObject {
  return { $ref: `#/components/responses/${response}` };
}

export const STRING: JsonObject = { type: 'string' };
export const BOOLEAN: JsonObject = { type: 'boolean' };

/** Properties of one and the same schema, by name, in the order given. */
export function each(schema: JsonObject, ...names: readonly string[]): Properties {
  return Object.fromEntries(names.map((name) => [name, schema]));
}

/** A count or a time in ms: an integer from 0, with its description when it has one. */
export function count(description?: string): JsonObject {
  return { type: 'integer', minimum: 0, ...(description !== undefined && { description }) };
}

/** An array of a component schema, with its description when it has one. */
export function listOf(schema: string, description?: string): JsonObject {
  return { type: 'array', items: ref(schema), ...(description !== undefined && { description }) };
}

/** A JSON body of this schema, with its example when it has one. */
export function json(schema: JsonObject, example?: JsonObject): JsonObject {
  return { 'application/json': { schema, ...(example !== undefined && { example }) } };
}

/** The service's error body (`Error`), its code narrowed to these. */
export function errorWith(...codes: readonly string[]): JsonObject {
  return {
    allOf: [
      ref('Error'),
      { type: 'object', properties: { error: { type: 'object', properties: { code: { enum: codes } } } } },
    ],
  };
}

/**
 * A Fingerprint-shaped error body from the function (`PlainError` for v3, `V4Error` for v4), or one API
 * Gateway gives by itself, in the service's shape with these codes.
 */
export function fingerprintErrorOr(
  body: 'PlainError' | 'V4Error',
  ...gatewayCodes: readonly string[]
): JsonObject {
  return { oneOf: [ref(body), errorWith(...gatewayCodes)] };
}

const RETRY_AFTER_SCHEMA: JsonObject = { type: 'string', pattern: '^[1-9][0-9]*$' };

/** `Retry-After`, in whole seconds, saying which codes send it. */
export function retryAfter(
  sentWith = '`UpstreamRateLimited`, `UpstreamBudgetExhausted` and `StoreThrottled`',
): Properties {
  return {
    'Retry-After': {
      description: `Seconds to wait before retrying. Always sent with ${sentWith}; API Gateway's own \`Throttled\` answer has none.`,
      schema: RETRY_AFTER_SCHEMA,
    },
  };
}

/** The headers that carry our code and the field at fault beside a Fingerprint-shaped error body. */
export function errorCodeHeaders(version: 'v3' | 'v4', ...codes: readonly string[]): Properties {
  return {
    [ERROR_CODE_HEADER]: {
      description: `Our error code, which ${version}'s body shape has no room for.`,
      schema: { type: 'string', enum: codes },
    },
    [ERROR_FIELD_HEADER]: {
      description:
        'The input field at fault (validation errors only), URI-encoded, e.g. `limit` or `query.foo%20bar`.',
      schema: { type: 'string', minLength: 1 },
    },
  };
}

/** A closed object (no property but these), with the ones it requires. */
export function closed(required: readonly string[], properties: Properties): JsonObject {
  return { type: 'object', additionalProperties: false, required, properties };
}
