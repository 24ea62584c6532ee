import { SQSClient } from '@aws-sdk/client-sqs';
import { loadEnv } from '../../shared/config/env.js';
import { createLogger } from '../../shared/observability/logger.js';
import { SqsDeadLetterQueue } from './dead-letter.js';
import { createEnrichDeps } from './deps.js';
import { enrichQueueEnvSchema } from './queue-env.js';
import { createEnrichQueueHandler } from './queue-handler.js';

const env = loadEnv(enrichQueueEnvSchema);

/** The enrich queue consumer: records in parallel, failures reported per record (`batchItemFailures`). */
export const handler = createEnrichQueueHandler({
  // Every consumer instance takes an equal share of the upstream rate, so however many the event source runs
  // (at most QUEUE_MAX_CONCURRENCY), together they never exceed FINGERPRINT_MAX_RPS.
  ...createEnrichDeps(env, { maxRps: env.FINGERPRINT_MAX_RPS / env.QUEUE_MAX_CONCURRENCY }),
  deadLetters: new SqsDeadLetterQueue({ client: new SQSClient({}), queueUrl: env.DEAD_LETTER_QUEUE_URL }),
  logger: createLogger(env.LOG_LEVEL),
});
