import type { SQSRecord } from 'aws-lambda';
import {
  AppError,
  NotFoundError,
  UpstreamRejectedError,
  ValidationError,
} from '../../shared/domain/errors.js';
import type { Logger } from '../../shared/observability/logger.js';
import type { DeadLetterQueue } from './dead-letter.js';
import { type EnrichDeps, enrich } from './enrich.js';
import { parseEnrichBody } from './input.js';

/**
 * Failures that no redelivery can fix: the body is invalid, or Fingerprint answered 400/404. Everything else
 * (429, 5xx, timeouts, throttling, a wrong key that an operator may fix, an unknown bug) goes back to SQS,
 * which redelivers it until `maxReceiveCount` and then moves it to the dead-letter queue itself.
 */
export function isPermanent(error: unknown): error is AppError {
  return (
    error instanceof ValidationError ||
    error instanceof NotFoundError ||
    error instanceof UpstreamRejectedError
  );
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
    const input = parseEnrichBody(record.body);
    const result = await enrich(input, deps, { deadline });
    deps.logger.info('Record enriched', {
      ...log,
      source: result.source,
      stored: result.stored,
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
