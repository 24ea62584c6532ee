import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { type DeadLetterQueue, deadLetterAttributes, type FailureReason } from './dead-letter.js';

/** Re-exported so that the consumer's one dynamic import brings both. */
export { SQSClient };

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
