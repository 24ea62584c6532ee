/** SQS records and events as Lambda delivers them, for the tests and the bench. */
import { randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

export const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:enrich';

/** An SQS record as Lambda delivers it, with a real-looking messageId and receive count. */
export function buildRecord(body: string, overrides: Partial<SQSRecord> = {}): SQSRecord {
  const now = Date.now();
  return {
    messageId: randomUUID(),
    receiptHandle: `AQEB${randomUUID()}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(now - 1_000),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'us-east-1',
    ...overrides,
  };
}

export function buildSqsEvent(bodies: string[]): SQSEvent {
  return { Records: bodies.map((body) => buildRecord(body)) };
}
