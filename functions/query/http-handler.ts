import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { NotFoundError } from '../../shared/domain/errors.js';
import { httpHandler, jsonResponse } from '../../shared/http/middleware.js';
import { parseVisitorId } from '../../shared/http/params.js';
import type { Logger } from '../../shared/observability/logger.js';
import { parseEventsQuery, parseVisitorsQuery } from './input.js';
import { getVisitorHistory, listCachedEvents, type QueryDeps } from './query.js';

export interface QueryHttpHandlerDeps extends QueryDeps {
  logger: Logger;
  /** `CORS_ALLOW_ORIGINS`. @default none */
  corsAllowOrigins?: readonly string[];
}

/**
 * Builds the handler of `GET /visitors/{visitorId}` and `GET /events` from its ports. `http.ts` calls it once
 * at module scope with ports built from the environment (the Lambda); the local server calls it with ports of
 * its own. `GET /events/{requestId}` reads through to Fingerprint, so the enrich function serves it.
 */
export function createQueryHttpHandler(deps: QueryHttpHandlerDeps) {
  /** The read routes, by API Gateway resource template. */
  const routes: Record<string, (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>> = {
    'GET /visitors/{visitorId}': async (event) => {
      const { request_id, linked_id, paginationKey, ...rest } = parseVisitorsQuery(event);
      const query = {
        visitorId: parseVisitorId(event.pathParameters?.visitorId),
        ...rest,
        ...(request_id !== undefined && { requestId: request_id }),
        ...(linked_id !== undefined && { linkedId: linked_id }),
        ...(paginationKey !== undefined && { paginationKey }),
      };
      return jsonResponse(200, await getVisitorHistory(query, deps));
    },
    'GET /events': async (event) => jsonResponse(200, await listCachedEvents(parseEventsQuery(event), deps)),
  };

  return httpHandler(
    deps.logger,
    async (event) => {
      const route = routes[`${event.httpMethod} ${event.resource}`];
      if (route === undefined) {
        throw new NotFoundError(`No route ${event.httpMethod} ${event.resource}.`);
      }
      return route(event);
    },
    {
      corsAllowOrigins: deps.corsAllowOrigins,
      // v3's own route answers v3's error shape, so Fingerprint's SDKs read our errors as theirs.
      plainErrors: (event) => event.httpMethod === 'GET' && event.resource === '/visitors/{visitorId}',
    },
  );
}
