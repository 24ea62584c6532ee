import { enrichHttpEnvSchema, loadEnv } from '../../shared/config/env.js';
import { bodyText } from '../../shared/http/body.js';
import { httpHandler, jsonResponse } from '../../shared/http/middleware.js';
import { createLogger } from '../../shared/observability/logger.js';
import { deadlineFor } from '../../shared/runtime/deadline.js';
import { createEnrichDeps } from './deps.js';
import { enrich } from './enrich.js';
import { parseEnrichBody } from './input.js';

const env = loadEnv(enrichHttpEnvSchema);
const logger = createLogger(env.LOG_LEVEL);
// One instance alone never exceeds FINGERPRINT_MAX_RPS. Across instances HTTP enrichment is on demand:
// when Fingerprint rate-limits it, the caller gets 429 with Retry-After (the queue is the way to smooth load).
const deps = createEnrichDeps(env, { maxRps: env.FINGERPRINT_MAX_RPS });

/** `POST /enrich`: resolves a requestId, linkedId or visitorId through the Server API and stores it. */
export const handler = httpHandler(logger, async (event, context) => {
  const input = parseEnrichBody(bodyText(event));
  const result = await enrich(input, deps, { deadline: deadlineFor(context) });
  logger.info('Enriched', {
    kind: input.kind,
    source: result.source,
    events: result.events.length,
    stored: result.stored,
  });
  return jsonResponse(200, result);
});
