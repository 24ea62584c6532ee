/**
 * What API Gateway does in front of the functions, for a local run: match a request to a resource of the
 * REST API, turn it into the Lambda proxy event the real API would send (with a request context), and turn
 * the function's proxy result, or its failure, into the HTTP answer the caller would get.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { GATEWAY_ERROR_CODES } from '../shared/manifest/error-codes.js';
import type { HttpFunctionKey } from '../shared/manifest/functions.js';
import { type HttpMethod, ROUTE_LIST } from '../shared/manifest/routes.js';
import { LOCAL_ACCOUNT_ID } from './lambda.js';

/** The stage name local request contexts carry. */
export const LOCAL_STAGE = 'local';

/** The functions behind the API. */
export type FunctionKey = HttpFunctionKey;

/** A method on a resource of the REST API and the function integrated with it. */
export interface ApiRoute {
  method: HttpMethod;
  /** The resource template, e.g. `/events/{requestId}`: the handlers route on it. */
  resource: string;
  function: FunctionKey;
}

/** The REST API's routes: the service manifest's, as the stack deploys them. */
export const API_ROUTES: readonly ApiRoute[] = ROUTE_LIST.map((route) => ({
  method: route.method,
  resource: route.path,
  function: route.function,
}));

const METHOD_ORDER: readonly HttpMethod[] = ['GET', 'POST', 'DELETE'];

export type RouteMatch =
  | { kind: 'route'; route: ApiRoute; pathParameters: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'bad-path' }
  | { kind: 'no-route' };

/** Finds the route of a path, decoding path parameters as API Gateway does. */
export function matchRoute(method: string, pathname: string): RouteMatch {
  const segments = pathname.split('/').slice(1);
  const allowed: string[] = [];
  for (const route of API_ROUTES) {
    const template = route.resource.split('/').slice(1);
    if (template.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    let matches = true;
    for (const [index, part] of template.entries()) {
      const segment = segments[index] ?? '';
      const parameter = /^\{(\w+)\}$/.exec(part)?.[1];
      if (parameter === undefined) {
        matches = part === segment;
      } else if (segment === '') {
        matches = false;
      } else {
        try {
          pathParameters[parameter] = decodeURIComponent(segment);
        } catch {
          return { kind: 'bad-path' };
        }
      }
      if (!matches) break;
    }
    if (!matches) continue;
    if (route.method === method) return { kind: 'route', route, pathParameters };
    allowed.push(route.method);
  }
  // In one order whatever the manifest's: reads first.
  allowed.sort((a, b) => METHOD_ORDER.indexOf(a as HttpMethod) - METHOD_ORDER.indexOf(b as HttpMethod));
  return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'no-route' };
}

export interface ProxyRequest {
  request: IncomingMessage;
  url: URL;
  body: Buffer;
  match: Extract<RouteMatch, { kind: 'route' }>;
  /** The API request id, also answered as `x-amzn-RequestId`. */
  requestId: string;
  receivedAt: number;
}

/** The Lambda proxy event of a REST API (payload format 1.0) for this request. */
export function toProxyEvent(input: ProxyRequest): APIGatewayProxyEvent {
  const { request, url, match } = input;
  const method = match.route.method;
  const { headers, multiValueHeaders } = readHeaders(request.rawHeaders);
  const { single, multi } = readQuery(url.searchParams);
  const hostHeader = headers.Host ?? headers.host ?? url.host;
  return {
    resource: match.route.resource,
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: single,
    multiValueQueryStringParameters: multi,
    pathParameters: Object.keys(match.pathParameters).length > 0 ? { ...match.pathParameters } : null,
    stageVariables: null,
    body: input.body.length > 0 ? input.body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: 'local',
      authorizer: null,
      domainName: hostHeader,
      domainPrefix: hostHeader.split('.')[0] ?? hostHeader,
      extendedRequestId: input.requestId.replaceAll('-', '').slice(0, 16),
      httpMethod: method,
      identity: {
        // IAM is not enforced locally: a signed request only tells which access key signed it.
        accessKey: signingAccessKey(headers.Authorization ?? headers.authorization),
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: normalizeIp(request.socket.remoteAddress),
        user: null,
        userAgent: headers['User-Agent'] ?? headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${LOCAL_STAGE}${url.pathname}`,
      protocol: `HTTP/${request.httpVersion}`,
      requestId: input.requestId,
      requestTime: clfTime(input.receivedAt),
      requestTimeEpoch: input.receivedAt,
      resourceId: 'local',
      resourcePath: match.route.resource,
      stage: LOCAL_STAGE,
    },
  };
}

/** Writes a function's proxy result; a malformed one is the 502 API Gateway answers for it. */
export function writeProxyResult(
  response: ServerResponse,
  result: unknown,
  requestId: string,
): { status: number; error?: string } {
  if (!isProxyResult(result)) {
    writeGatewayError(response, 502, 'Internal server error', requestId);
    return { status: 502, error: 'Malformed Lambda proxy response' };
  }
  const body =
    result.isBase64Encoded === true ? Buffer.from(result.body, 'base64') : Buffer.from(result.body);
  const headers: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    headers[name] = values.map(String);
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  headers['x-amzn-RequestId'] = requestId;
  headers['Content-Length'] = String(body.length);
  response.writeHead(result.statusCode, headers);
  response.end(body);
  return { status: result.statusCode };
}

/**
 * An answer API Gateway gives by itself, in the shape the stack's gateway responses give it:
 * `{"error": {"code", "message"}}` with the code of the response type.
 */
export function writeGatewayError(
  response: ServerResponse,
  status: number,
  message: string,
  requestId: string,
  extraHeaders: Record<string, string> = {},
): void {
  const code = status >= 500 ? GATEWAY_ERROR_CODES.GatewayError : GATEWAY_ERROR_CODES.RequestRejected;
  writeJson(
    response,
    status,
    { error: { code, message } },
    { 'x-amzn-RequestId': requestId, ...extraHeaders },
  );
}

/** A JSON answer with the headers every route of the product sends. */
export function writeJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = Buffer.from(JSON.stringify(body));
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': String(text.length),
    ...headers,
  });
  response.end(text);
}

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  if (typeof value !== 'object' || value === null) return false;
  const { statusCode, body } = value as Record<string, unknown>;
  return Number.isInteger(statusCode) && (typeof body === 'string' || body === undefined);
}

/**
 * Headers with the caller's spelling: the last value in `headers`, all of them in `multiValueHeaders`. Names
 * are data: they are gathered in Maps and turned into own properties (as the JSON of a real proxy event
 * gives), so a header named `__proto__` or `constructor` is one more header, not a property of every object.
 */
function readHeaders(raw: readonly string[]) {
  const multi = new Map<string, string[]>();
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index] ?? '';
    const value = raw[index + 1] ?? '';
    const existing = multi.get(name);
    if (existing === undefined) multi.set(name, [value]);
    else existing.push(value);
  }
  return { headers: lastValues(multi), multiValueHeaders: Object.fromEntries(multi) };
}

/** Query parameters, decoded: the last value of a repeated name in the single-value map, as API Gateway does. */
function readQuery(params: URLSearchParams) {
  const multi = new Map<string, string[]>();
  for (const [name, value] of params) {
    const existing = multi.get(name);
    if (existing === undefined) multi.set(name, [value]);
    else existing.push(value);
  }
  if (multi.size === 0) return { single: null, multi: null };
  return { single: lastValues(multi), multi: Object.fromEntries(multi) };
}

/** `Object.fromEntries` defines own properties, whatever the names: `__proto__` included. */
function lastValues(multi: ReadonlyMap<string, readonly string[]>): Record<string, string> {
  return Object.fromEntries([...multi].map(([name, values]) => [name, values.at(-1) ?? '']));
}

function signingAccessKey(authorization: string | undefined): string | null {
  const match = authorization === undefined ? null : /Credential=([A-Z0-9]+)\//.exec(authorization);
  return match?.[1] ?? null;
}

function normalizeIp(address: string | undefined): string {
  if (address === undefined) return '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** `$context.requestTime`: common log format, e.g. `25/Nov/2026:12:17:00 +0000`. */
function clfTime(epochMs: number): string {
  const date = new Date(epochMs);
  const pad = (value: number) => String(value).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
