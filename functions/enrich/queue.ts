import { loadEnvOf } from '../../shared/config/env-rules.js';
import { createLogger } from '../../shared/observability/logger.js';
import { lazily } from '../../shared/runtime/lazy.js';
import { lazyDeadLetterQueue } from './dead-letter.js';
import { createEnrichDeps, QUEUE_RESERVE_AHEAD_MS } from './deps.js';
import { ENRICH_QUEUE_ENV } from './queue-env.js';
import { createEnrichQueueHandler } from './queue-handler.js';

const env = await loadEnvOf(ENRICH_QUEUE_ENV);

/** The enrich queue consumer: records in parallel, failures reported per record (`batchItemFailures`). */
export const handler = createEnrichQueueHandler({
  // Every consumer shares the fleet's one budget of FINGERPRINT_MAX_RPS (with the HTTP function) and waits
  // for room in it up to the batch's deadline; a record still without room then goes back to SQS. It reserves a
  // released seat only shortly before it frees, so that POST /enrich callers waiting meanwhile get it first.
  ...createEnrichDeps(env, {
    maxWaitMs: Number.POSITIVE_INFINITY,
    reserveAheadMs: QUEUE_RESERVE_AHEAD_MS,
  }),
  // SQS serves only records that can never succeed: its client is loaded with the first of them, not at cold start.
  deadLetters: lazyDeadLetterQueue(
    lazily(async () => {
      const { SQSClient, SqsDeadLetterQueue } = await import('./sqs-dead-letter.js');
      return new SqsDeadLetterQueue({ client: new SQSClient({}), queueUrl: env.DEAD_LETTER_QUEUE_URL });
    }),
  ),
  logger: createLogger(env.LOG_LEVEL),
});
