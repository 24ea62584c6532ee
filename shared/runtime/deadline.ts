import type { Context } from 'aws-lambda';

/**
 * Time kept back from the Lambda's remaining time so that, after the last upstream attempt, the function
 * still has time to write to DynamoDB and answer (or report its batch) before it is killed.
 */
export const FINISH_MARGIN_MS = 1_500;

/** The epoch ms by which upstream work must be over for this invocation. */
export function deadlineFor(context: Pick<Context, 'getRemainingTimeInMillis'>, now = Date.now()): number {
  return now + Math.max(0, context.getRemainingTimeInMillis() - FINISH_MARGIN_MS);
}
