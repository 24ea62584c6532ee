import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadEnvOf } from '../../shared/config/env-rules.js';
import { createLogger } from '../../shared/observability/logger.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import * as parts from '../../shared/store/dynamodb-event-store-parts.js';
import { QUERY_ENV } from './env.js';
import { createQueryHttpHandler } from './http-handler.js';

const env = await loadEnvOf(QUERY_ENV);

/** `GET /visitors/{visitorId}`, `GET /events` and `GET /v4/events`, served from the cache only. */
export const handler = createQueryHttpHandler({
  logger: createLogger(env.LOG_LEVEL),
  corsAllowOrigins: env.CORS_ALLOW_ORIGINS,
  storeUpstream: env.STORE_UPSTREAM_EVENTS,
  store: new DynamoDbEventStore({
    client: new DynamoDBClient({}),
    tableName: env.TABLE_NAME,
    ttlDays: env.EVENT_TTL_DAYS,
    // Every route pages through an index: the pager, with the store's other parts, loads with the function.
    parts,
  }),
});
