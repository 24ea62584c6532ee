import type { SQSRecord } from 'aws-lambda';

export interface FailureReason {
  code: string;
  message: string;
  field?: string;
}

/** Where a record that can never succeed goes at once, with its reason, instead of waiting for redrive. */
export interface DeadLetterQueue {
  send(record: SQSRecord, reason: FailureReason): Promise<void>;
}

/**
 * The message attributes a dead-lettered record carries: why it failed and where it came from. Shared by every
 * {@link DeadLetterQueue}, so a local run shows exactly what the cloud queue holds.
 */
export function deadLetterAttributes(record: SQSRecord, reason: FailureReason): Record<string, string> {
  const attributes: Record<string, string> = {
    failureCode: reason.code,
    failureReason: reason.message,
    sourceMessageId: record.messageId,
    sourceQueueArn: record.eventSourceARN,
    receiveCount: record.attributes.ApproximateReceiveCount,
  };
  if (reason.field !== undefined) attributes.failureField = reason.field;
  return attributes;
}

/**
 * A {@link DeadLetterQueue} built on its first record: the queue consumer loads the SQS client only when a
 * record can never succeed, which few instances ever see (`lazily`, docs/performance.md).
 */
export function lazyDeadLetterQueue(load: () => Promise<DeadLetterQueue>): DeadLetterQueue {
  return { send: async (record, reason) => (await load()).send(record, reason) };
}
