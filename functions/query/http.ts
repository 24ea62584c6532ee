import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { loadEnv, queryEnvSchema } from '../../shared/config/env.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { httpHandler, jsonResponse } from '../../shared/http/middleware.js';
import { createLogger } from '../../shared/observability/logger.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import { parseEventsQuery, parseRequestId, parseVisitorId, parseVisitorsQuery } from './input.js';
import { getCachedEvent, getVisitorHistory, listCachedEvents, type QueryDeps } from './query.js';

const env = loadEnv(queryEnvSchema);
const logger = createLogger(env.LOG_LEVEL);
const deps: QueryDeps = {
  store: new DynamoDbEventStore({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    tableName: env.TABLE_NAME,
    ttlDays: env.EVENT_TTL_DAYS,
  }),
};

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
  'GET /events/{requestId}': async (event) =>
    jsonResponse(200, await getCachedEvent(parseRequestId(event.pathParameters?.requestId), deps)),
  'GET /events': async (event) => jsonResponse(200, await listCachedEvents(parseEventsQuery(event), deps)),
};

/** `GET /visitors/{visitorId}`, `GET /events/{requestId}` and `GET /events`, served from the cache only. */
export const handler = httpHandler(logger, async (event) => {
  const route = routes[`${event.httpMethod} ${event.resource}`];
  if (route === undefined) {
    throw new NotFoundError(`No route ${event.httpMethod} ${event.resource}.`);
  }
  return route(event);
});
