import { loadEnvOf } from '../../shared/config/env-rules.js';
import { createLogger } from '../../shared/observability/logger.js';
import { DynamoDbRequestCoalescer } from '../../shared/store/dynamodb-request-coalescer.js';
import { createEnrichDeps, HTTP_BUDGET_WAIT_MS } from './deps.js';
import { ENRICH_HTTP_ENV } from './http-env.js';
import { createEnrichHttpHandler } from './http-handler.js';

const env = await loadEnvOf(ENRICH_HTTP_ENV);

/**
 * `POST /enrich` (resolve through the Server API and store), `GET /events/{requestId}` and
 * `GET /v4/events/{event_id}` (the cache, with read-through) and `DELETE /visitors/{visitorId}` (erasure): every route that needs the Fingerprint client.
 */
export const handler = createEnrichHttpHandler({
  logger: createLogger(env.LOG_LEVEL),
  settings: {
    readThrough: env.READ_THROUGH_ENABLED,
    storeUpstream: env.STORE_UPSTREAM_EVENTS,
    upstreamErasure: env.UPSTREAM_ERASURE_ENABLED,
    corsAllowOrigins: env.CORS_ALLOW_ORIGINS,
  },
  // The fleet shares one budget of FINGERPRINT_MAX_RPS with the queue consumers. A call that finds no room in
  // it within about a second gets 429 with Retry-After (the queue is the way to smooth load).
  ...createEnrichDeps(env, {
    maxWaitMs: HTTP_BUDGET_WAIT_MS,
    coalescer: (client, tableName) => new DynamoDbRequestCoalescer({ client, tableName }),
    erasureSettleMs: env.ERASURE_SETTLE_MS,
  }),
});
