import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import {
  type DeadLetterQueue,
  deadLetterAttributes,
  type FailureReason,
} from '../functions/enrich/dead-letter.js';
import { ValidationError } from '../shared/domain/errors.js';
import { parseInput } from '../shared/http/validation.js';
import { SQS_MAX_MESSAGE_BYTES } from '../shared/manifest/limits.js';
import { LOCAL_ACCOUNT_ID } from './lambda.js';

/** Records per invocation: the event source's batch size in `infra/constructs/enrich-queue.ts`. */
export const MAX_BATCH_SIZE = 10;
/** The dead-letter queue's retention in the stack: older messages are gone from it. */
const DEAD_LETTER_RETENTION_MS = 14 * 24 * 3_600_000;
/** The IAM unique id SQS reports as the sender of locally sent messages. */
const LOCAL_SENDER_ID = 'AIDALOCALSERVER0000000';

const batchRequestSchema = z.strictObject({
  records: z.array(z.unknown()).min(1).max(MAX_BATCH_SIZE),
});

/**
 * Reads a `POST /_local/queue/enrich` body: `{"records": [<message body>, …]}`. A string record is a message
 * body as is (so a malformed body can be sent too); anything else is the JSON of one.
 * @throws ValidationError naming the field.
 */
export function parseBatchRequest(raw: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ValidationError(
      'body',
      'The body is not valid JSON: send {"records": [{"requestId": "…"}, …]}.',
    );
  }
  const { records } = parseInput(batchRequestSchema, json);
  return records.map((record, index) => {
    const body = typeof record === 'string' ? record : JSON.stringify(record);
    if (Buffer.byteLength(body, 'utf8') > SQS_MAX_MESSAGE_BYTES) {
      throw new ValidationError(
        `records.${index}`,
        `A message body is at most ${SQS_MAX_MESSAGE_BYTES} bytes.`,
      );
    }
    return body;
  });
}

/** The local enrich queue's ARN, as the consumer's records carry it. */
export function queueArn(region: string): string {
  return `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:fingerprint-enrichment-local-enrich`;
}

/** An SQS event as the event source mapping delivers it: a first receive of each body, just sent. */
export function buildSqsEvent(bodies: readonly string[], region: string, now = Date.now()): SQSEvent {
  return {
    Records: bodies.map(
      (body): SQSRecord => ({
        messageId: randomUUID(),
        receiptHandle: `AQEB${randomBytes(96).toString('base64')}`,
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(now),
          SenderId: LOCAL_SENDER_ID,
          ApproximateFirstReceiveTimestamp: String(now),
        },
        messageAttributes: {},
        md5OfBody: md5(body),
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn(region),
        awsRegion: region,
      }),
    ),
  };
}

/** A message in the dead-letter queue, in the shape `aws sqs receive-message` shows it. */
export interface DeadLetterMessage {
  MessageId: string;
  Body: string;
  MD5OfBody: string;
  Attributes: { SentTimestamp: string };
  MessageAttributes: Record<string, { DataType: 'String'; StringValue: string }>;
}

/**
 * The local dead-letter queue: what the consumer sends is kept in order, with the same attributes the cloud
 * queue gets, and appended to a JSON Lines file (when one is given) before `send` resolves, so a crash or a
 * restart loses nothing.
 */
export class LocalDeadLetterQueue implements DeadLetterQueue {
  readonly #file: string | undefined;
  readonly #now: () => number;
  #messages: DeadLetterMessage[];

  constructor(options: { file?: string; now?: () => number } = {}) {
    this.#file = options.file;
    this.#now = options.now ?? Date.now;
    this.#messages = this.#file === undefined ? [] : readMessages(this.#file);
  }

  async send(record: SQSRecord, reason: FailureReason): Promise<void> {
    const message: DeadLetterMessage = {
      MessageId: randomUUID(),
      Body: record.body,
      MD5OfBody: md5(record.body),
      Attributes: { SentTimestamp: String(this.#now()) },
      MessageAttributes: Object.fromEntries(
        Object.entries(deadLetterAttributes(record, reason)).map(([name, value]) => [
          name,
          { DataType: 'String', StringValue: value },
        ]),
      ),
    };
    if (this.#file !== undefined) appendFileSync(this.#file, `${JSON.stringify(message)}\n`);
    this.#messages.push(message);
  }

  /** The messages still within the queue's retention, oldest first. */
  list(): DeadLetterMessage[] {
    const oldest = this.#now() - DEAD_LETTER_RETENTION_MS;
    return this.#messages.filter((message) => Number(message.Attributes.SentTimestamp) > oldest);
  }

  /** Deletes every message, like `PurgeQueue`; returns how many there were. */
  purge(): number {
    const count = this.list().length;
    this.#messages = [];
    if (this.#file !== undefined) writeFileSync(this.#file, '');
    return count;
  }
}

const storedMessageSchema = z.object({
  MessageId: z.string(),
  Body: z.string(),
  MD5OfBody: z.string(),
  Attributes: z.object({ SentTimestamp: z.string() }),
  MessageAttributes: z.record(
    z.string(),
    z.object({ DataType: z.literal('String'), StringValue: z.string() }),
  ),
});

/** Reads the kept messages; a line cut short by a crash mid-write is skipped rather than failing the start. */
function readMessages(file: string): DeadLetterMessage[] {
  if (!existsSync(file)) return [];
  const messages: DeadLetterMessage[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const parsed = storedMessageSchema.safeParse(JSON.parse(line));
      if (parsed.success) messages.push(parsed.data);
    } catch {
      // An unreadable line is a partial write; the rest of the file is still good.
    }
  }
  return messages;
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}
