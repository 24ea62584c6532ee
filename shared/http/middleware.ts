import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Logger } from '../../shared/observability/logger.js';
import { injectLambdaContext } from '../../shared/observability/logger.js';
import { toHttpError } from './errors.js';

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
function errorResponses(logger: Logger): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: async (request) => {
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
      request.response = jsonResponse(answer.statusCode, answer.body, answer.headers);
    },
  };
}

/** The middleware bundle of every HTTP route: structured logs with the Lambda context, then JSON errors. */
export function httpHandler(logger: Logger, handler: HttpHandler) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger))
    .use(errorResponses(logger))
    .handler(handler);
}
