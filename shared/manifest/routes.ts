/**
 * Every route of the API, declared once. Derived from it: the REST API's methods, integrations and resource
 * policy (`infra/constructs/service-api.ts`), the local gateway (`local/api-gateway.ts`), each handler's router
 * (a `Record` over {@link RouteKeyOf} its function, so a missing or extra route does not compile) and its
 * error shape, and `openapi/openapi.json` (`npm run openapi`, with the request schemas of `requests.ts`).
 *
 * Plain data, no imports with side effects: a handler reads its routes' error shapes from here without loading
 * any schema.
 */
import type { FunctionKey } from './functions.js';

/** Where Fingerprint delivers webhooks. */
export const WEBHOOK_PATH = '/webhooks/fingerprint';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/**
 * The shape of a route's error answers. `service`: `{"error": {"code", "message", "field"?}}`. Fingerprint's own
 * routes answer its shapes, so its SDKs read our errors as theirs: `v3` (`{"error": "<message>"}`) and `v4`
 * (`{"error": {"code": <v4 code>, "message"}}`), our code in `X-Error-Code`.
 */
export type ErrorShape = 'service' | 'v3' | 'v4';

export interface RouteSpec {
  readonly method: HttpMethod;
  /** The API Gateway resource template; `{name}` segments are required path parameters. */
  readonly path: string;
  /** `iam`: SigV4 and the resource policy's callers. `public`: anyone; the handler proves the origin. */
  readonly auth: 'iam' | 'public';
  /** The function serving the route (a proxy integration). */
  readonly function: FunctionKey;
  readonly errorShape: ErrorShape;
  /** The path's parameters, in order: exactly the `{name}` segments of {@link path}. */
  readonly pathParams: readonly string[];
  /**
   * The body the route takes. `json-object`: API Gateway's validator refuses a body that is not a JSON object,
   * whatever its Content-Type (the handler checks the fields). `signed-bytes`: the handler checks a signature
   * over the exact bytes first, so the gateway validates nothing. `none`: no body.
   */
  readonly body: 'none' | 'json-object' | 'signed-bytes';
  /** The operation's id in `openapi/openapi.json`. */
  readonly operationId: string;
  /** The answer's type: a schema of `openapi/openapi.json`'s components. */
  readonly answer: string;
}

/**
 * The routes, keyed by `${method} ${path}`: the key API Gateway's proxy event gives a handler
 * (`${httpMethod} ${resource}`).
 */
export const ROUTES = {
  'POST /enrich': {
    method: 'POST',
    path: '/enrich',
    auth: 'iam',
    function: 'enrichHttp',
    errorShape: 'service',
    pathParams: [],
    body: 'json-object',
    operationId: 'enrich',
    answer: 'EnrichResponse',
  },
  'GET /events': {
    method: 'GET',
    path: '/events',
    auth: 'iam',
    function: 'query',
    errorShape: 'service',
    pathParams: [],
    body: 'none',
    operationId: 'listEvents',
    answer: 'EventList',
  },
  'GET /events/{requestId}': {
    method: 'GET',
    path: '/events/{requestId}',
    auth: 'iam',
    // Read-through to Fingerprint: served by the function that holds the Fingerprint client.
    function: 'enrichHttp',
    errorShape: 'service',
    pathParams: ['requestId'],
    body: 'none',
    operationId: 'getEvent',
    answer: 'NormalizedEvent',
  },
  'GET /visitors/{visitorId}': {
    method: 'GET',
    path: '/visitors/{visitorId}',
    auth: 'iam',
    function: 'query',
    errorShape: 'v3',
    pathParams: ['visitorId'],
    body: 'none',
    operationId: 'getVisitorHistory',
    answer: 'VisitorHistory',
  },
  'DELETE /visitors/{visitorId}': {
    method: 'DELETE',
    path: '/visitors/{visitorId}',
    auth: 'iam',
    // Erasure at Fingerprint needs the Fingerprint client, which the enrich function holds.
    function: 'enrichHttp',
    errorShape: 'service',
    pathParams: ['visitorId'],
    body: 'none',
    operationId: 'eraseVisitor',
    answer: 'VisitorErasure',
  },
  'POST /webhooks/fingerprint': {
    method: 'POST',
    path: WEBHOOK_PATH,
    // Fingerprint cannot sign with SigV4: the handler checks the HMAC signature (and optional basic auth).
    auth: 'public',
    function: 'webhook',
    errorShape: 'service',
    pathParams: [],
    body: 'signed-bytes',
    operationId: 'receiveWebhook',
    answer: 'WebhookReceipt',
  },
  // Fingerprint's own v4 read contract, from the cache: the search from the query function, one event (with
  // read-through) from the function that holds the Fingerprint client.
  'GET /v4/events': {
    method: 'GET',
    path: '/v4/events',
    auth: 'iam',
    function: 'query',
    errorShape: 'v4',
    pathParams: [],
    body: 'none',
    operationId: 'searchV4Events',
    answer: 'V4EventSearch',
  },
  'GET /v4/events/{event_id}': {
    method: 'GET',
    path: '/v4/events/{event_id}',
    auth: 'iam',
    function: 'enrichHttp',
    errorShape: 'v4',
    pathParams: ['event_id'],
    body: 'none',
    operationId: 'getV4Event',
    answer: 'V4Event',
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteKey = keyof typeof ROUTES;

/** The keys of the routes a function serves: its router is a `Record` over them. */
export type RouteKeyOf<F extends FunctionKey> = {
  [K in RouteKey]: (typeof ROUTES)[K]['function'] extends F ? K : never;
}[RouteKey];

/** Every route, in declaration order. */
export const ROUTE_LIST: readonly (RouteSpec & { readonly key: RouteKey })[] = (
  Object.keys(ROUTES) as RouteKey[]
).map((key) => ({ key, ...ROUTES[key] }));

/** The routes a function serves. */
export function routesOf<F extends FunctionKey>(fn: F): (RouteSpec & { readonly key: RouteKeyOf<F> })[] {
  return ROUTE_LIST.filter((route) => route.function === fn) as (RouteSpec & {
    readonly key: RouteKeyOf<F>;
  })[];
}

/**
 * A route's error shape, by the proxy event's `httpMethod` and `resource`; a request for no route of the API
 * (which API Gateway never sends) gets the service's shape.
 */
export function errorShapeOf(method: string, resource: string): ErrorShape {
  const route: RouteSpec | undefined = (ROUTES as Record<string, RouteSpec>)[`${method} ${resource}`];
  return route?.errorShape ?? 'service';
}
