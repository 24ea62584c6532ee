import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { injectLambdaContext } from '../../shared/observability/logger.js';
import { deadlineFor } from '../../shared/runtime/deadline.js';
import { processRecord, type RecordHandlerDeps } from './queue-record.js';

/**
 * Builds the enrich queue consumer from its ports. `queue.ts` calls it once at module scope with ports built
 * from the environment (the Lambda); the local server calls it with ports of its own.
 *
 * The batch processor keeps the current batch's state, so one handler must not run two batches at once:
 * Lambda never does that within an instance, and the local server gives each concurrent batch its own handler.
 */
export function createEnrichQueueHandler(deps: RecordHandlerDeps) {
  const processor = new BatchProcessor(EventType.SQS);
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(deps.logger))
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
}
