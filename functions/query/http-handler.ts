import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { NotFoundError } from '../../shared/domain/errors.js';
import { httpHandler, jsonResponse } from '../../shared/http/middleware.js';
import { parseVisitorId } from '../../shared/http/params.js';
import type { Logger } from '../../shared/observability/logger.js';
import { parseEventsQuery, parseV4SearchQuery, parseVisitorsQuery } from './input.js';
import { getVisitorHistory, listCachedEvents, type QueryDeps, searchV4Events } from './query.js';

export interface QueryHttpHandlerDeps extends QueryDeps {
  logger: Logger;
  /** `CORS_ALLOW_ORIGINS`. @default none */
  corsAllowOrigins?: readonly string[];
}

/**
 * Builds the handler of `GET /visitors/{visitorId}`, `GET /events` and `GET /v4/events` from its ports. `http.ts` calls it once
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
    'GET /v4/events': async (event) =>
      jsonResponse(200, await searchV4Events(parseV4SearchQuery(event), deps)),
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
      // Fingerprint's own routes answer its error shapes, so its SDKs read our errors as theirs.
      errorShape: (event) =>
        event.resource === '/visitors/{visitorId}'
          ? 'v3'
          : event.resource === '/v4/events'
            ? 'v4'
            : 'service',
    },
  );
}
