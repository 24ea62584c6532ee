import type { SQSRecord } from 'aws-lambda';
import { AppError, ValidationError } from '../../shared/domain/errors.js';
import type { Logger } from '../../shared/observability/logger.js';
import type { DeadLetterQueue } from './dead-letter.js';
import { type EnrichDeps, enrich } from './enrich.js';
import { parseEnrichRequest } from './request.js';

/**
 * Failures that no redelivery can fix, dead-lettered at once with their reason: the product's one policy,
 * `AppError.retryable` (an invalid body, Fingerprint's 400/404, a 2xx whose content cannot be used, an answer
 * for another id). Everything else goes back to SQS, which redelivers it until `maxReceiveCount` and then moves
 * it to the dead-letter queue itself: 429, 5xx, timeouts, throttling, a configuration an operator can fix (the
 * key, the region, the base URL), and an unknown bug.
 */
export function isPermanent(error: unknown): error is AppError {
  return error instanceof AppError && !error.retryable;
}

export interface RecordHandlerDeps extends EnrichDeps {
  deadLetters: DeadLetterQueue;
  logger: Logger;
}

/**
 * Processes one queue record. Resolves when the record is done (stored, or dead-lettered with its reason);
 * rejects when SQS should deliver it again, which the batch processor reports as a batch item failure.
 */
export async function processRecord(
  record: SQSRecord,
  deps: RecordHandlerDeps,
  deadline: number,
): Promise<void> {
  const log = { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount };
  try {
    const input = await parseEnrichRequest(record.body);
    const result = await enrich(input, deps, { deadline });
    deps.logger.info('Record enriched', {
      ...log,
      source: result.source,
      stored: result.stored,
      skipped: result.skipped.count,
      complete: result.complete,
      suppressed: result.suppressed,
    });
  } catch (error) {
    if (!isPermanent(error)) {
      deps.logger.warn('Record failed, SQS will deliver it again', {
        ...log,
        errorCode: error instanceof AppError ? error.code : 'Internal',
        error,
      });
      throw error;
    }
    const reason = {
      code: error.code,
      message: error.message,
      ...(error instanceof ValidationError && { field: error.field }),
    };
    // If this send fails the record fails too, so SQS redelivers it: never acknowledged without a trace.
    await deps.deadLetters.send(record, reason);
    // `message` is a reserved key of the log line, so the reason travels under its own names.
    deps.logger.error('Record dead-lettered', {
      ...log,
      failureCode: reason.code,
      failureReason: reason.message,
      ...(reason.field !== undefined && { failureField: reason.field }),
    });
  }
}
