import { loadEnv } from '../../shared/config/env.js';
import { createLogger } from '../../shared/observability/logger.js';
import { createEnrichDeps } from './deps.js';
import { enrichHttpEnvSchema } from './http-env.js';
import { createEnrichHttpHandler } from './http-handler.js';

const env = loadEnv(enrichHttpEnvSchema);

/**
 * `POST /enrich` (resolve through the Server API and store), `GET /events/{requestId}` (the cache, with
 * read-through) and `DELETE /visitors/{visitorId}` (erasure): every route that needs the Fingerprint client.
 */
export const handler = createEnrichHttpHandler({
  logger: createLogger(env.LOG_LEVEL),
  settings: {
    readThrough: env.READ_THROUGH_ENABLED,
    upstreamErasure: env.UPSTREAM_ERASURE_ENABLED,
    corsAllowOrigins: env.CORS_ALLOW_ORIGINS,
  },
  // One instance alone never exceeds FINGERPRINT_MAX_RPS. Across instances HTTP enrichment is on demand:
  // when Fingerprint rate-limits it, the caller gets 429 with Retry-After (the queue is the way to smooth load).
  ...createEnrichDeps(env, { maxRps: env.FINGERPRINT_MAX_RPS, erasureSettleMs: env.ERASURE_SETTLE_MS }),
});
