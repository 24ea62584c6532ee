/**
 * The enrich queue as deployed, in one process: several consumer instances of the real
 * `functions/enrich/queue.ts` (each a separate module instance, so each has its own rate limiter, key cache
 * and SDK clients, as separate Lambda instances do), fed by the simulated SQS queue and event source, calling
 * the loopback Server API and a DynamoDB (dynalite) behind a fault-injecting proxy. Secrets Manager and the
 * dead-letter queue's `SendMessage` are mocked; dead-lettered messages land in the simulated DLQ.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, type SendMessageCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import { type FakeFingerprint, startFakeFingerprint } from '../../local/fingerprint-emulator/index.js';
import { type ArrivalRecorder, startArrivalRecorder } from '../../local/harness/arrival-recorder.js';
import { type DynaliteHandle, EVENTS_ONLY, startDynalite } from '../../local/harness/dynalite.js';
import { type FaultyDynamo, startFaultyDynamo } from './faulty-dynamo.js';
import { API_KEY, DLQ_URL, SECRET_ID } from './service.js';
import {
  type QueueConsumer,
  SimulatedDeadLetterQueue,
  SimulatedQueue,
  VirtualClock,
} from './sqs-simulator.js';

export interface QueueHarnessOptions {
  /** Consumer instances, i.e. the event source's maximum concurrency (`QUEUE_MAX_CONCURRENCY`). */
  consumers: number;
  /** `FINGERPRINT_MAX_RPS`, shared by all consumers. */
  maxRps: number;
  /** @default 5, as the stack sets it */
  maxReceiveCount?: number;
  /** @default 365 s: 6 × the consumer's 60 s timeout + the 5 s batching window, as the stack sets it */
  visibilityTimeoutMs?: number;
  /** Whether the consumer's `SendMessage` to the dead-letter queue fails this time. */
  failDeadLetterSend?: (input: SendMessageCommandInput) => boolean;
  /** Records when requests reach Fingerprint, from a thread of its own (see `arrival-recorder.ts`). */
  recordArrivals?: boolean;
  env?: Record<string, string>;
}

export interface QueueHarness {
  dynamo: DynaliteHandle;
  proxy: FaultyDynamo;
  tableName: string;
  upstream: FakeFingerprint;
  /** Present with `recordArrivals`. */
  arrivals?: ArrivalRecorder;
  clock: VirtualClock;
  queue: SimulatedQueue;
  deadLetters: SimulatedDeadLetterQueue;
  consumers: QueueConsumer[];
  /** `GetSecretValue` calls so far. */
  secretFetches(): number;
  /** Makes Secrets Manager answer `key` from now on (a rotation). */
  setSecret(key: string): void;
  /** Every item in the table, read directly from dynalite (no faults). */
  scanTable(): Promise<Array<Record<string, unknown>>>;
  stop(): Promise<void>;
}

export async function startQueueHarness(options: QueueHarnessOptions): Promise<QueueHarness> {
  const dynamo = await startDynalite();
  const tableName = await dynamo.createTable();
  const proxy = await startFaultyDynamo(dynamo.endpoint);
  const upstream = await startFakeFingerprint({ apiKey: API_KEY });
  const arrivals = options.recordArrivals ? await startArrivalRecorder(upstream.baseUrl) : undefined;
  const clock = new VirtualClock();
  const deadLetters = new SimulatedDeadLetterQueue();
  const queue = new SimulatedQueue({
    clock,
    deadLetterQueue: deadLetters,
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? 365_000,
    maxReceiveCount: options.maxReceiveCount ?? 5,
  });

  let secret = API_KEY;
  const secrets = mockClient(SecretsManagerClient);
  secrets.on(GetSecretValueCommand, { SecretId: SECRET_ID }).callsFake(() => ({ SecretString: secret }));
  const sqs = mockClient(SQSClient);
  sqs.on(SendMessageCommand).callsFake((input: SendMessageCommandInput) => {
    if (options.failDeadLetterSend?.(input)) {
      throw Object.assign(new Error('We encountered an internal error. Please try again.'), {
        name: 'InternalError',
        $metadata: { httpStatusCode: 500 },
      });
    }
    const attributes = Object.fromEntries(
      Object.entries(input.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue ?? '']),
    );
    return { MessageId: deadLetters.sendFromConsumer(input.MessageBody ?? '', attributes) };
  });

  const { consumers, restoreEnv } = await loadConsumers(options.consumers, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
    AWS_SECRET_ACCESS_KEY: 'local-secret',
    AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
    TABLE_NAME: tableName,
    FINGERPRINT_SECRET_ID: SECRET_ID,
    FINGERPRINT_BASE_URL: arrivals?.baseUrl ?? upstream.baseUrl,
    FINGERPRINT_API_VERSION: 'v4',
    FINGERPRINT_MAX_RPS: String(options.maxRps),
    QUEUE_MAX_CONCURRENCY: String(options.consumers),
    DEAD_LETTER_QUEUE_URL: DLQ_URL,
    LOG_LEVEL: 'INFO',
    ...options.env,
  });

  return {
    dynamo,
    proxy,
    tableName,
    upstream,
    ...(arrivals && { arrivals }),
    clock,
    queue,
    deadLetters,
    consumers,
    secretFetches: () => secrets.commandCalls(GetSecretValueCommand).length,
    setSecret(key) {
      secret = key;
    },
    async scanTable() {
      const items: Array<Record<string, unknown>> = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await dynamo.documentClient.send(
          new ScanCommand({
            TableName: tableName,
            ...EVENTS_ONLY,
            ...(start && { ExclusiveStartKey: start }),
          }),
        );
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return items;
    },
    async stop() {
      restoreEnv();
      secrets.restore();
      sqs.restore();
      await arrivals?.close();
      await upstream.close();
      await proxy.close();
      await dynamo.close();
    },
  };
}

/**
 * Loads `count` separate instances of the queue consumer, each from a fresh module registry with `env` set,
 * as `count` Lambda instances would cold-start. The environment stays set until `restoreEnv()`, because the
 * SDK clients read their endpoint and credentials on first use, not at construction.
 */
export async function loadConsumers(
  count: number,
  env: Record<string, string>,
): Promise<{ consumers: QueueConsumer[]; restoreEnv: () => void }> {
  const previous = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  const restoreEnv = (): void => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  Object.assign(process.env, env);
  try {
    const consumers: QueueConsumer[] = [];
    // What the test file's own imports load on first use, from its registry, before fresh ones replace it.
    await (await import('../../shared/runtime/lazy.js')).loadDeferred();
    for (let index = 0; index < count; index += 1) {
      vi.resetModules();
      const { handler } = await import('../../functions/enrich/queue.js');
      // What the consumer loads on first use (the Fingerprint client, SQS), from this instance's registry too.
      await (await import('../../shared/runtime/lazy.js')).loadDeferred();
      consumers.push((event, context) => handler(event, context));
    }
    return { consumers, restoreEnv };
  } catch (error) {
    restoreEnv();
    throw error;
  }
}
