import { type CfnResource, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { IPrincipal } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';

export interface EnrichQueueProps {
  /** The consumer's timeout; the visibility timeout is derived from it. */
  readonly consumerTimeout: Duration;
  /** Most consumer invocations at once; the consumer gets the same number to share the upstream rate. */
  readonly maxConcurrency: number;
  /**
   * Records per invocation, processed in parallel under the rate limit.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * How long the event source gathers records before invoking with a partial batch.
   * @default Duration.seconds(5)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Receives before SQS moves a record to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /** What happens to both queues (and their messages) when they leave the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The enrich queue, its dead-letter queue and the consumer's event source. Both queues use SSE-SQS and refuse
 * anything but TLS.
 */
export class EnrichQueue extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly maxConcurrency: number;
  public readonly maxReceiveCount: number;
  readonly #props: EnrichQueueProps;
  readonly #batchingWindow: Duration;

  constructor(scope: Construct, id: string, props: EnrichQueueProps) {
    super(scope, id);
    this.#props = props;
    this.maxConcurrency = props.maxConcurrency;
    this.maxReceiveCount = props.maxReceiveCount ?? 5;
    this.#batchingWindow = props.maxBatchingWindow ?? Duration.seconds(5);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: time to read the reasons and redrive after a weekend.
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    (this.deadLetterQueue.node.defaultChild as CfnResource).overrideLogicalId('EnrichDeadLetterQueue');

    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's guidance: at least 6 times the function timeout plus the batching window, so a batch that is
      // retried after throttling or a timeout is not delivered again while still in flight.
      visibilityTimeout: Duration.seconds(
        6 * props.consumerTimeout.toSeconds() + this.#batchingWindow.toSeconds(),
      ),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
      removalPolicy: props.removalPolicy,
    });
    (this.queue.node.defaultChild as CfnResource).overrideLogicalId('EnrichQueue');

    acknowledge(this.deadLetterQueue, {
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This is the dead-letter queue: its messages wait for an operator, who redrives them to the enrich queue (docs/deploy.md).',
    });
  }

  /**
   * Connects the consumer: an event source reporting partial batch failures, bounded concurrency, and
   * permission to send permanent failures straight to the dead-letter queue.
   */
  attachConsumer(consumer: { readonly function: IFunction; readonly timeout: Duration }): EventSourceMapping {
    const sizedFor = this.#props.consumerTimeout.toSeconds();
    if (consumer.timeout.toSeconds() > sizedFor) {
      throw new Error(
        `The consumer's timeout (${consumer.timeout.toSeconds()} s) exceeds the ${sizedFor} s the visibility timeout was sized for.`,
      );
    }
    this.queue.grantConsumeMessages(consumer.function);
    this.deadLetterQueue.grantSendMessages(consumer.function);
    const mapping = new EventSourceMapping(this, 'EventSource', {
      target: consumer.function,
      eventSourceArn: this.queue.queueArn,
      batchSize: this.#props.batchSize ?? 10,
      maxBatchingWindow: this.#batchingWindow,
      reportBatchItemFailures: true,
      maxConcurrency: this.maxConcurrency,
    });
    acknowledge(mapping, {
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'SQS event sources take no on-failure destination: failed records return to the queue and, after maxReceiveCount receives, move to its dead-letter queue; permanent failures are sent there at once by the consumer.',
    });
    return mapping;
  }

  /** Lets other accounts or roles send enrich requests (a queue policy statement each). */
  grantSend(principal: IPrincipal): void {
    this.queue.grantSendMessages(principal);
  }
}
