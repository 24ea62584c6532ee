/**
 * Every route of the API, declared once. Derived from it: the REST API's methods, integrations and resource
 * policy (`infra/constructs/service-api.ts`), the local gateway (`local/api-gateway.ts`), each handler's router
 * (a `Record` over {@link RouteKeyOf} its function, so a missing or extra route does not compile) and its
 * error shape, and `openapi/openapi.json` (`npm run openapi`, with each route's contract in `contracts.ts`:
 * its request schemas, its answer's type and its operation id).
 *
 * Plain data, no imports with side effects. What only the contract needs lives in `contracts.ts`: every handler
 * bundles this table to read its routes' error shapes, and each function's init budget
 * (test/unit/bundle-size.test.ts) has no room for schemas or documentation strings.
 */
import type { HttpFunctionKey } from './functions.js';

/** Where Fingerprint delivers webhooks. */
export const WEBHOOK_PATH = '/webhooks/fingerprint';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/**
 * The shape of a route's error answers. `service`: `{"error": {"code", "message", "field"?}}`. Fingerprint's own
 * routes answer its shapes, so its SDKs read our errors as theirs: `v3` (`{"error": "<message>"}`) and `v4`
 * (`{"error": {"code": <v4 code>, "message"}}`), our code in `X-Error-Code`.
 */
export type ErrorShape = 'service' | 'v3' | 'v4';

/** A route's key: its method and its API Gateway resource path. */
type MethodAndPath = `${HttpMethod} /${string}`;

/** What the manifest says of a route besides its key, `${method} ${path}`. */
export interface RouteSpec {
  /** `iam`: SigV4 and the resource policy's callers. `public`: anyone; the handler proves the origin. */
  readonly auth: 'iam' | 'public';
  /** The function serving the route (a proxy integration). */
  readonly function: HttpFunctionKey;
  readonly errorShape: ErrorShape;
  /**
   * The body the route takes. `json-object`: API Gateway's validator refuses a body that is not a JSON object,
   * whatever its Content-Type (the handler checks the fields). `signed-bytes`: the handler checks a signature
   * over the exact bytes first, so the gateway validates nothing. `none`: no body.
   */
  readonly body: 'none' | 'json-object' | 'signed-bytes';
}

/**
 * The routes, keyed by `${method} ${path}` (the key API Gateway's proxy event gives a handler:
 * `${httpMethod} ${resource}`), grouped by the function serving them: a handler bundles its own group only, as
 * each function's init has little room (test/unit/bundle-size.test.ts).
 */
export const ENRICH_HTTP_ROUTES = {
  'POST /enrich': {
    auth: 'iam',
    function: 'enrichHttp',
    errorShape: 'service',
    body: 'json-object',
  },
  'GET /events/{requestId}': {
    auth: 'iam',
    // Read-through to Fingerprint: served by the function that holds the Fingerprint client.
    function: 'enrichHttp',
    errorShape: 'service',
    body: 'none',
  },
  'DELETE /visitors/{visitorId}': {
    auth: 'iam',
    // Erasure at Fingerprint needs the Fingerprint client, which the enrich function holds.
    function: 'enrichHttp',
    errorShape: 'service',
    body: 'none',
  },
  'GET /v4/events/{event_id}': {
    auth: 'iam',
    // Fingerprint's own v4 read contract, from the cache, with read-through as `GET /events/{requestId}`.
    function: 'enrichHttp',
    errorShape: 'v4',
    body: 'none',
  },
} as const satisfies Record<MethodAndPath, RouteSpec & { function: 'enrichHttp' }>;

export const QUERY_ROUTES = {
  'GET /events': {
    auth: 'iam',
    function: 'query',
    errorShape: 'service',
    body: 'none',
  },
  // Fingerprint's v3 `GET /visitors/{visitorId}` contract, from the cache.
  'GET /visitors/{visitorId}': {
    auth: 'iam',
    function: 'query',
    errorShape: 'v3',
    body: 'none',
  },
  // Fingerprint's own v4 search, from the cache (its one event is served by the enrich function).
  'GET /v4/events': {
    auth: 'iam',
    function: 'query',
    errorShape: 'v4',
    body: 'none',
  },
} as const satisfies Record<MethodAndPath, RouteSpec & { function: 'query' }>;

export const WEBHOOK_ROUTES = {
  [`POST ${WEBHOOK_PATH}`]: {
    // Fingerprint cannot sign with SigV4: the handler checks the HMAC signature (and optional basic auth).
    auth: 'public',
    function: 'webhook',
    errorShape: 'service',
    body: 'signed-bytes',
  },
} as const satisfies Record<MethodAndPath, RouteSpec & { function: 'webhook' }>;

/** Every route of the API. */
export const ROUTES = /* @__PURE__ */ Object.assign({}, ENRICH_HTTP_ROUTES, QUERY_ROUTES, WEBHOOK_ROUTES);

export type RouteKey = keyof typeof ROUTES;

/** The keys of the routes a function serves: its router is a `Record` over them. */
export type RouteKeyOf<F extends HttpFunctionKey> = {
  [K in RouteKey]: (typeof ROUTES)[K]['function'] extends F ? K : never;
}[RouteKey];

/** A route, with its key, the method and path it is made of, and its path's parameters. */
export interface Route extends RouteSpec {
  readonly key: RouteKey;
  readonly method: HttpMethod;
  /** The API Gateway resource template; `{name}` segments are required path parameters. */
  readonly path: string;
  /** The `{name}` segments of {@link path}, in order. */
  readonly pathParams: readonly string[];
}

/** The `{name}` segments of a path, in order. */
export function pathParamsOf(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? '');
}

/** Every route, in declaration order. */
export const ROUTE_LIST: readonly Route[] = /* @__PURE__ */ (Object.keys(ROUTES) as RouteKey[]).map((key) => {
  const [method, path] = key.split(' ') as [HttpMethod, string];
  return { key, method, path, ...ROUTES[key], pathParams: pathParamsOf(path) };
});

/** The routes a function serves. */
export function routesOf<F extends HttpFunctionKey>(fn: F): (Route & { readonly key: RouteKeyOf<F> })[] {
  return ROUTE_LIST.filter((route) => route.function === fn) as (Route & { readonly key: RouteKeyOf<F> })[];
}

/**
 * The error shape of a request to one of `routes`, by the proxy event's `httpMethod` and `resource`; a request
 * for another route (which API Gateway never sends that function) gets the service's shape.
 */
export function errorShapeIn(
  routes: Readonly<Record<string, RouteSpec>>,
): (event: { httpMethod: string; resource: string }) => ErrorShape {
  return (event) => routes[`${event.httpMethod} ${event.resource}`]?.errorShape ?? 'service';
}
