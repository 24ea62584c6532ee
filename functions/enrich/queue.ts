import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { enrichQueueEnvSchema, loadEnv } from '../../shared/config/env.js';
import { createLogger } from '../../shared/observability/logger.js';
import { deadlineFor } from '../../shared/runtime/deadline.js';
import { SqsDeadLetterQueue } from './dead-letter.js';
import { createEnrichDeps } from './deps.js';
import { processRecord, type RecordHandlerDeps } from './queue-record.js';

const env = loadEnv(enrichQueueEnvSchema);
const logger = createLogger(env.LOG_LEVEL);
const deps: RecordHandlerDeps = {
  // Every consumer instance takes an equal share of the upstream rate, so however many the event source runs
  // (at most QUEUE_MAX_CONCURRENCY), together they never exceed FINGERPRINT_MAX_RPS.
  ...createEnrichDeps(env, { maxRps: env.FINGERPRINT_MAX_RPS / env.QUEUE_MAX_CONCURRENCY }),
  deadLetters: new SqsDeadLetterQueue({ client: new SQSClient({}), queueUrl: env.DEAD_LETTER_QUEUE_URL }),
  logger,
};
const processor = new BatchProcessor(EventType.SQS);

/** The enrich queue consumer: records in parallel, failures reported per record (`batchItemFailures`). */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event, context) => {
    const deadline = deadlineFor(context);
    return processPartialResponse(
      event,
      (record: SQSRecord) => processRecord(record, deps, deadline),
      processor,
      {
        context,
        // A batch where every record failed is still reported record by record rather than as one thrown
        // error: the outcome is the same (all retried) and the logs say why for each.
        throwOnFullBatchFailure: false,
      },
    );
  });
