import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ERROR_CODE_HEADER, ERROR_FIELD_HEADER } from '../manifest/error-codes.js';
import { injectLambdaContext, type Logger } from '../observability/logger.js';
import { lazily } from '../runtime/lazy.js';

/**
 * The error answers, loaded on a function's first error, and Fingerprint's v4 error shape on the first error of
 * a `/v4/*` route: a call that succeeds needs neither (docs/performance.md).
 */
const httpErrors = lazily(() => import('./errors.js'));
const v4Errors = lazily(() => import('./v4-errors.js'));

export type HttpHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** A JSON answer with the headers every route sends. */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * Turns whatever a route throws into its JSON error answer. Caller mistakes (4xx) are logged at INFO with
 * their code; failures (5xx) at ERROR with the error, whose messages never hold the key.
 */
function errorResponses(
  logger: Logger,
  errorShape: (event: APIGatewayProxyEvent) => ErrorShape,
): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: async (request) => {
      const { toHttpError, toPlainErrorAnswer } = await httpErrors();
      const answer = toHttpError(request.error);
      if (answer.statusCode >= 500) {
        logger.error('Request failed', { errorCode: answer.body.error.code, error: request.error });
      } else {
        logger.info('Request refused', {
          statusCode: answer.statusCode,
          errorCode: answer.body.error.code,
          field: answer.body.error.field,
        });
      }
      const shape = errorShape(request.event);
      const shaped =
        shape === 'v3'
          ? toPlainErrorAnswer(answer)
          : shape === 'v4'
            ? (await v4Errors()).toV4ErrorAnswer(answer)
            : answer;
      request.response = jsonResponse(shaped.statusCode, shaped.body, shaped.headers);
    },
  };
}

/** Headers of our answers a browser script may read, beyond the ones CORS always exposes. */
const CORS_EXPOSED_HEADERS = `Retry-After, WWW-Authenticate, X-Event-Source, ${ERROR_CODE_HEADER}, ${ERROR_FIELD_HEADER}`;

/** The request's `Origin` header, whatever its case (HTTP/2 clients send it in lower case). */
function originOf(event: APIGatewayProxyEvent): string | undefined {
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() === 'origin') return value;
  }
  return undefined;
}

/**
 * CORS on the answers themselves: API Gateway answers the preflights, but a browser also needs
 * `Access-Control-Allow-Origin` on the actual answer, errors included. The allowed origin is echoed (with
 * `Vary: Origin`, as the answer then depends on it); any other origin gets no CORS header.
 */
function corsHeaders(
  allowOrigins: readonly string[],
): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const allowed = new Set(allowOrigins);
  const addHeaders = async (request: middy.Request<APIGatewayProxyEvent, APIGatewayProxyResult>) => {
    const { response } = request;
    if (response === undefined || response === null) return;
    const origin = originOf(request.event);
    response.headers = {
      ...response.headers,
      Vary: 'Origin',
      ...(origin !== undefined &&
        allowed.has(origin) && {
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Expose-Headers': CORS_EXPOSED_HEADERS,
        }),
    };
  };
  return { after: addHeaders, onError: addHeaders };
}

export interface HttpHandlerOptions {
  /** Browser origins allowed by CORS (`CORS_ALLOW_ORIGINS`). @default none: no CORS headers */
  corsAllowOrigins?: readonly string[] | undefined;
  /**
   * The error shape of each request: `service` (`{"error": {"code", "message", "field"}}`), or Fingerprint's own
   * for the routes that keep its contract: `v3` (`{"error": "<message>"}`) or `v4` (`{"error": {"code": <v4
   * code>, "message"}}`), our code then in `X-Error-Code`. @default always `service`
   */
  errorShape?: (event: APIGatewayProxyEvent) => ErrorShape;
}

/** See {@link HttpHandlerOptions.errorShape}. */
export type ErrorShape = 'service' | 'v3' | 'v4';

/**
 * The middleware bundle of every HTTP route: structured logs with the Lambda context, JSON errors and, when
 * origins are allowed, CORS headers on every answer. (Middy runs `onError` in reverse order: the error answer
 * exists by the time the CORS middleware sees it.)
 */
export function httpHandler(logger: Logger, handler: HttpHandler, options: HttpHandlerOptions = {}) {
  const corsAllowOrigins = options.corsAllowOrigins ?? [];
  const chain = middy<APIGatewayProxyEvent, APIGatewayProxyResult>().use(injectLambdaContext(logger));
  if (corsAllowOrigins.length > 0) chain.use(corsHeaders(corsAllowOrigins));
  return chain.use(errorResponses(logger, options.errorShape ?? (() => 'service'))).handler(handler);
}
