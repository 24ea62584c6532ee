/**
 * Each route's contract: its operation id, its answer's type, and its request schemas, the zod schemas its
 * handler parses with (`functions/*\/input.ts`, `shared/http/params.ts`), so `openapi/openapi.json`'s
 * parameters and bodies are generated from what the code checks. A `Record` over every route key: a route
 * cannot be added without saying what it takes and answers.
 *
 * Apart from the manifest (`shared/manifest/routes.ts`), beside the generator: it imports the handlers' input
 * modules, which sit above `shared/` in the import graph, and no function needs it.
 */
import { bodySchema, eraseQuerySchema, v4EventPath, v4EventQuery } from '../functions/enrich/input.js';
import { eventsQuerySchema, v4SearchQuerySchema, visitorsQuerySchema } from '../functions/query/input.js';
import { requestIdPath, visitorIdPath } from '../shared/http/params.js';
import type { RouteKey } from '../shared/manifest/routes.js';
import type * as z from '../shared/validation/zod.js';

export interface RouteContract {
  /** The operation's id in `openapi/openapi.json`. */
  readonly operationId: string;
  /** The answer's type: a schema of `openapi/openapi.json`'s components. */
  readonly answer: string;
  /** The path parameters, one property per `{name}` of the route's path. */
  readonly path?: z.ZodMiniObject;
  /** The query string; absent when the route ignores it. */
  readonly query?: z.ZodMiniObject;
  /**
   * A JSON body's schema, the one the handler parses with (a signed body is described by the document, not
   * parsed by a schema). Flat, so the handler can name the field at fault; the document states the body's forms
   * for callers (`openapi/source/events.ts`), and `test/contract/openapi-document.test.ts` holds the two to
   * the same bodies.
   */
  readonly body?: z.ZodMiniType;
}

export const ROUTE_CONTRACTS: Record<RouteKey, RouteContract> = {
  'POST /enrich': { operationId: 'enrich', answer: 'EnrichResponse', body: bodySchema },
  'GET /events': { operationId: 'listEvents', answer: 'EventList', query: eventsQuerySchema },
  'GET /events/{requestId}': { operationId: 'getEvent', answer: 'NormalizedEvent', path: requestIdPath },
  'GET /visitors/{visitorId}': {
    operationId: 'getVisitorHistory',
    answer: 'VisitorHistory',
    path: visitorIdPath,
    query: visitorsQuerySchema,
  },
  'DELETE /visitors/{visitorId}': {
    operationId: 'eraseVisitor',
    answer: 'VisitorErasure',
    path: visitorIdPath,
    query: eraseQuerySchema,
  },
  'POST /webhooks/fingerprint': { operationId: 'receiveFingerprintWebhook', answer: 'WebhookReceipt' },
  'GET /v4/events': { operationId: 'searchV4Events', answer: 'V4EventSearch', query: v4SearchQuerySchema },
  'GET /v4/events/{event_id}': {
    operationId: 'getV4Event',
    answer: 'V4Event',
    path: v4EventPath,
    query: v4EventQuery,
  },
};
