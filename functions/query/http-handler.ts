import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { NotFoundError } from '../../shared/domain/errors.js';
import { httpHandler, jsonResponse } from '../../shared/http/middleware.js';
import { visitorIdOf } from '../../shared/http/request.js';
import { errorShapeIn, QUERY_ROUTES, type RouteKeyOf } from '../../shared/manifest/routes.js';
import type { Logger } from '../../shared/observability/logger.js';
import { getVisitorHistory, listCachedEvents, type QueryDeps, searchV4Events } from './query.js';
import { parseEventsRequest, queryInputParsers } from './request.js';

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
  const routes: Record<
    RouteKeyOf<'query'>,
    (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>
  > = {
    'GET /visitors/{visitorId}': async (event) => {
      const { parseVisitorsQuery } = await queryInputParsers();
      const { request_id, linked_id, paginationKey, ...rest } = parseVisitorsQuery(event);
      const query = {
        visitorId: await visitorIdOf(event.pathParameters?.visitorId),
        ...rest,
        ...(request_id !== undefined && { requestId: request_id }),
        ...(linked_id !== undefined && { linkedId: linked_id }),
        ...(paginationKey !== undefined && { paginationKey }),
      };
      return jsonResponse(200, await getVisitorHistory(query, deps));
    },
    'GET /events': async (event) =>
      jsonResponse(200, await listCachedEvents(await parseEventsRequest(event), deps)),
    'GET /v4/events': async (event) => {
      const { parseV4SearchQuery } = await queryInputParsers();
      return jsonResponse(200, await searchV4Events(parseV4SearchQuery(event), deps));
    },
  };

  return httpHandler(
    deps.logger,
    async (event) => {
      const route: ((event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) | undefined =
        routes[`${event.httpMethod} ${event.resource}` as RouteKeyOf<'query'>];
      if (route === undefined) {
        throw new NotFoundError(`No route ${event.httpMethod} ${event.resource}.`);
      }
      return route(event);
    },
    {
      corsAllowOrigins: deps.corsAllowOrigins,
      // Fingerprint's own routes answer its error shapes (the manifest says which), so its SDKs read our
      // errors as theirs.
      errorShape: errorShapeIn(QUERY_ROUTES),
    },
  );
}
