/**
 * An SQS standard queue with a redrive policy, and the Lambda event source mapping that feeds consumers from
 * it, simulated faithfully enough to check that nothing is lost or duplicated:
 *
 * - a received message is invisible for the visibility timeout, then visible again unless deleted with its
 *   latest receipt handle; every receive increments `ApproximateReceiveCount`;
 * - a message that was received `maxReceiveCount` times and becomes visible again is moved to the
 *   dead-letter queue by SQS itself (with its original messageId and body, and no reason) instead of being
 *   delivered once more;
 * - the event source runs at most `maxConcurrency` invocations at once, each on its own consumer instance
 *   and one batch at a time; after an invocation it deletes the records that did not fail, and deletes
 *   nothing when the invocation threw, ran past its timeout or reported an itemIdentifier that is not in the
 *   batch (Lambda then treats the whole batch as failed);
 * - optionally, a delete can be "lost", which is how a standard queue delivers a message more than once.
 *
 * Visibility timeouts run in virtual time: when an idle consumer finds nothing visible, the clock jumps to the
 * next waiting message's visibility instead of waiting minutes, but never so far that the visibility timeout
 * of a message an invocation is still working on could pass before the invocation's own timeout (that would
 * deliver it twice at once, which the deployed visibility timeout of 6 × the function timeout rules out).
 * Invocations themselves run in real time.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { buildContext } from '../../local/harness/lambda-events.js';

export const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:enrich';

/** Real time plus whatever the simulation skipped. */
export class VirtualClock {
  #offset = 0;

  now(): number {
    return Date.now() + this.#offset;
  }

  advanceTo(time: number): void {
    this.#offset += Math.max(0, time - this.now());
  }

  /** Milliseconds skipped so far. */
  get skipped(): number {
    return this.#offset;
  }
}

export type MessageState = 'queued' | 'inFlight' | 'deleted' | 'redriven';

export interface SimulatedMessage {
  messageId: string;
  body: string;
  sentAt: number;
  state: MessageState;
  receiveCount: number;
  visibleAt: number;
  firstReceiveAt?: number;
  receiptHandle?: string;
  /** What happened to the message, for diagnosing a failed assertion. */
  history: string[];
}

export interface DeadLetter {
  /** The dead-letter message's own id. */
  messageId: string;
  body: string;
  attributes: Record<string, string>;
  /** `consumer`: sent by the consumer with its reason; `redrive`: moved by SQS after `maxReceiveCount`. */
  via: 'consumer' | 'redrive';
  /** The enrich queue message it stands for. */
  sourceMessageId: string;
}

export class SimulatedDeadLetterQueue {
  readonly messages: DeadLetter[] = [];

  /** What `SendMessage` from the consumer does. */
  sendFromConsumer(body: string, attributes: Record<string, string>): string {
    const messageId = randomUUID();
    this.messages.push({
      messageId,
      body,
      attributes,
      via: 'consumer',
      sourceMessageId: attributes.sourceMessageId ?? '',
    });
    return messageId;
  }

  redrive(message: SimulatedMessage): void {
    this.messages.push({
      messageId: message.messageId,
      body: message.body,
      attributes: {},
      via: 'redrive',
      sourceMessageId: message.messageId,
    });
  }
}

export interface SimulatedQueueOptions {
  clock: VirtualClock;
  deadLetterQueue: SimulatedDeadLetterQueue;
  visibilityTimeoutMs: number;
  maxReceiveCount: number;
}

export class SimulatedQueue {
  readonly messages = new Map<string, SimulatedMessage>();
  readonly #options: SimulatedQueueOptions;
  #order: SimulatedMessage[] = [];

  constructor(options: SimulatedQueueOptions) {
    this.#options = options;
  }

  get clock(): VirtualClock {
    return this.#options.clock;
  }

  send(body: string): string {
    const now = this.clock.now();
    const message: SimulatedMessage = {
      messageId: randomUUID(),
      body,
      sentAt: now,
      state: 'queued',
      receiveCount: 0,
      visibleAt: now,
      history: [],
    };
    this.messages.set(message.messageId, message);
    this.#order.push(message);
    return message.messageId;
  }

  /** Up to `max` visible messages, oldest first, now invisible for the visibility timeout. */
  receive(max: number): SQSRecord[] {
    const now = this.clock.now();
    const records: SQSRecord[] = [];
    for (const message of this.#order) {
      if (records.length >= max) break;
      if (!this.#isPending(message) || message.visibleAt > now) continue;
      if (message.receiveCount >= this.#options.maxReceiveCount) {
        message.state = 'redriven';
        message.history.push(`moved to the dead-letter queue at ${now}`);
        this.#options.deadLetterQueue.redrive(message);
        continue;
      }
      message.state = 'inFlight';
      message.receiveCount += 1;
      message.firstReceiveAt ??= now;
      message.receiptHandle = `AQEB${randomUUID()}`;
      message.visibleAt = now + this.#options.visibilityTimeoutMs;
      message.history.push(
        `received #${message.receiveCount} at ${now}, visible again at ${message.visibleAt}`,
      );
      records.push(toRecord(message));
    }
    this.#order = this.#order.filter((message) => this.#isPending(message));
    return records;
  }

  /** `DeleteMessage`: only the latest receipt handle of a message deletes it. */
  delete(messageId: string, receiptHandle: string): boolean {
    const message = this.messages.get(messageId);
    if (message === undefined || message.receiptHandle !== receiptHandle || !this.#isPending(message)) {
      message?.history.push(`delete with a stale receipt handle at ${this.clock.now()}`);
      return false;
    }
    message.state = 'deleted';
    message.history.push(`deleted at ${this.clock.now()}`);
    return true;
  }

  /** Messages still queued or in flight. */
  pendingCount(): number {
    return this.#order.length;
  }

  /**
   * When the next pending message becomes visible, or `undefined` when none is pending. `among` restricts it
   * to the messages it accepts.
   */
  nextVisibleAt(among: (messageId: string) => boolean = () => true): number | undefined {
    let next: number | undefined;
    for (const message of this.#order) {
      if (!among(message.messageId)) continue;
      if (next === undefined || message.visibleAt < next) next = message.visibleAt;
    }
    return next;
  }

  #isPending(message: SimulatedMessage): boolean {
    return message.state === 'queued' || message.state === 'inFlight';
  }
}

function toRecord(message: SimulatedMessage): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle ?? '',
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveAt ?? message.sentAt),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(message.body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'us-east-1',
  };
}

export type QueueConsumer = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface EventSourceOptions {
  queue: SimulatedQueue;
  /** One handler per consumer instance; as many run at once as there are handlers (`maxConcurrency`). */
  consumers: QueueConsumer[];
  /** @default 10 */
  batchSize?: number;
  /** The consumer function's timeout: each invocation gets this much remaining time. */
  functionTimeoutMs: number;
  /** Whether SQS "forgets" the delete of this record, so that it is delivered again. */
  loseDelete?: (record: SQSRecord) => boolean;
  /** Stop receiving (in-flight invocations still finish) once this returns true. */
  stopReceiving?: () => boolean;
}

export interface Invocation {
  consumer: number;
  records: SQSRecord[];
  startedAt: number;
  durationMs: number;
  /** Why the whole batch failed, if it did. */
  batchFailure?: 'threw' | 'timedOut' | 'invalidResponse';
  failed: string[];
}

export interface EventSourceReport {
  invocations: Invocation[];
  deletes: number;
  lostDeletes: number;
  virtualTimeSkippedMs: number;
  /** How often the clock jumped ahead to the next visibility timeout. */
  clockJumps: number;
}

/**
 * Runs the event source until the queue is empty (or `stopReceiving` says so and the running invocations
 * have finished).
 */
export async function runEventSource(options: EventSourceOptions): Promise<EventSourceReport> {
  const { queue, consumers, functionTimeoutMs } = options;
  const batchSize = options.batchSize ?? 10;
  const report: EventSourceReport = {
    invocations: [],
    deletes: 0,
    lostDeletes: 0,
    virtualTimeSkippedMs: 0,
    clockJumps: 0,
  };
  const skippedBefore = queue.clock.skipped;
  let busy = 0;
  /** Messages some invocation is working on right now. */
  const active = new Set<string>();
  let wake: () => void = () => undefined;
  let changed = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const notify = (): void => {
    wake();
    changed = new Promise<void>((resolve) => {
      wake = resolve;
    });
  };

  const poll = async (index: number, consumer: QueueConsumer): Promise<void> => {
    for (;;) {
      if (options.stopReceiving?.()) return;
      const records = queue.receive(batchSize);
      if (records.length === 0) {
        if (queue.pendingCount() === 0 && busy === 0) {
          notify();
          return;
        }
        const next = queue.nextVisibleAt((id) => !active.has(id));
        const limit = queue.nextVisibleAt((id) => active.has(id));
        // A running invocation may go on for up to the function timeout in real time, which the clock adds on
        // top of any jump: keep that much short of the visibility timeout of what it is working on.
        if (next !== undefined && (limit === undefined || next + functionTimeoutMs < limit)) {
          // Nothing is visible: skip to when the next waiting message reappears.
          queue.clock.advanceTo(next);
          report.clockJumps += 1;
          continue;
        }
        await changed;
        continue;
      }
      busy += 1;
      for (const record of records) active.add(record.messageId);
      try {
        report.invocations.push(await invoke(index, consumer, records));
      } finally {
        for (const record of records) active.delete(record.messageId);
        busy -= 1;
        notify();
      }
    }
  };

  const invoke = async (
    index: number,
    consumer: QueueConsumer,
    records: SQSRecord[],
  ): Promise<Invocation> => {
    const startedAt = Date.now();
    let response: SQSBatchResponse | undefined;
    let threw = false;
    try {
      response = await consumer({ Records: records }, buildContext(functionTimeoutMs, 'enrich-queue'));
    } catch {
      threw = true;
    }
    const durationMs = Date.now() - startedAt;
    const ids = new Set(records.map((record) => record.messageId));
    const failed = (response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
    const batchFailure = threw
      ? 'threw'
      : durationMs > functionTimeoutMs
        ? 'timedOut'
        : failed.some((id) => !ids.has(id))
          ? 'invalidResponse'
          : undefined;
    if (batchFailure === undefined) {
      const failedIds = new Set(failed);
      for (const record of records) {
        if (failedIds.has(record.messageId)) continue;
        if (options.loseDelete?.(record)) {
          report.lostDeletes += 1;
          continue;
        }
        if (queue.delete(record.messageId, record.receiptHandle)) report.deletes += 1;
      }
    }
    return {
      consumer: index,
      records,
      startedAt,
      durationMs,
      failed,
      ...(batchFailure !== undefined && { batchFailure }),
    };
  };

  await Promise.all(consumers.map((consumer, index) => poll(index, consumer)));
  report.virtualTimeSkippedMs = queue.clock.skipped - skippedBefore;
  return report;
}
