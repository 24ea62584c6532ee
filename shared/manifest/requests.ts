/**
 * Each route's request schemas: the zod schemas its handler parses with (`functions/*\/input.ts`,
 * `shared/http/params.ts`), so `openapi/openapi.json`'s parameters and bodies are generated from what the code
 * checks. A `Record` over every route key: a route cannot be added without saying what it takes.
 *
 * Apart from `routes.ts` so that a handler reading its routes does not build every route's schemas at init.
 */
import { bodySchema, eraseQuerySchema, v4EventPath, v4EventQuery } from '../../functions/enrich/input.js';
import { eventsQuerySchema, v4SearchQuerySchema, visitorsQuerySchema } from '../../functions/query/input.js';
import { requestIdPath, visitorIdPath } from '../http/params.js';
import type * as z from '../validation/zod.js';
import type { RouteKey } from './routes.js';

export interface RequestSchemas {
  /** The path parameters, one property per `{name}` of the route's path. */
  readonly path?: z.ZodMiniObject;
  /** The query string; absent when the route ignores it. */
  readonly query?: z.ZodMiniObject;
  /** A JSON body's schema (a signed body is described by the document, not parsed by a schema). */
  readonly body?: z.ZodMiniType;
}

export const REQUEST_SCHEMAS: Record<RouteKey, RequestSchemas> = {
  'POST /enrich': { body: bodySchema },
  'GET /events': { query: eventsQuerySchema },
  'GET /events/{requestId}': { path: requestIdPath },
  'GET /visitors/{visitorId}': { path: visitorIdPath, query: visitorsQuerySchema },
  'DELETE /visitors/{visitorId}': { path: visitorIdPath, query: eraseQuerySchema },
  'POST /webhooks/fingerprint': {},
  'GET /v4/events': { query: v4SearchQuerySchema },
  'GET /v4/events/{event_id}': { path: v4EventPath, query: v4EventQuery },
};
