import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
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
 * Sends the original body unchanged (so a redrive replays it as it was) with the reason and provenance as
 * message attributes, which the console and `aws sqs receive-message` show next to the body.
 */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  constructor(private readonly options: { client: SQSClient; queueUrl: string }) {}

  async send(record: SQSRecord, reason: FailureReason): Promise<void> {
    const attributes = deadLetterAttributes(record, reason);
    await this.options.client.send(
      new SendMessageCommand({
        QueueUrl: this.options.queueUrl,
        MessageBody: record.body,
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value },
          ]),
        ),
      }),
    );
  }
}
