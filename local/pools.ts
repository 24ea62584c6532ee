/**
 * The local Lambda pools: one per function of the service manifest, with its timeout and memory
 * (`FUNCTION_SETTINGS`), each instance built as a cold start builds it in the cloud.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { HTTP_BUDGET_WAIT_MS, QUEUE_RESERVE_AHEAD_MS } from '../functions/enrich/deps.js';
import { historyDaysFor } from '../functions/enrich/history-window.js';
import { createEnrichHttpHandler } from '../functions/enrich/http-handler.js';
import { createEnrichQueueHandler } from '../functions/enrich/queue-handler.js';
import { createQueryHttpHandler } from '../functions/query/http-handler.js';
import { MissingWebhookSecrets } from '../functions/webhook/credentials.js';
import { createWebhookHttpHandler } from '../functions/webhook/http-handler.js';
import { createFingerprintClient } from '../shared/fingerprint/client.js';
import { StaticKeyProvider } from '../shared/fingerprint/secret.js';
import type { FunctionKey as AnyFunctionKey, HttpFunctionKey } from '../shared/manifest/functions.js';
import { createLogger } from '../shared/observability/logger.js';
import { DynamoDbEventStore } from '../shared/store/dynamodb-event-store.js';
import * as storeParts from '../shared/store/dynamodb-event-store-parts.js';
import { DynamoDbRateLimiter } from '../shared/store/dynamodb-rate-limiter.js';
import { DynamoDbRequestCoalescer } from '../shared/store/dynamodb-request-coalescer.js';
import { DynamoDbWebhookEventStore } from '../shared/store/dynamodb-webhook-event-store.js';
import type { LocalConfig } from './config.js';
import type { EmbeddedDynamoDb } from './dynamodb.js';
import type { SandboxUpstream } from './fingerprint-emulator/index.js';
import { FUNCTION_SETTINGS, FunctionPool } from './lambda.js';
import type { LocalDeadLetterQueue } from './queue.js';

/** Sent to a custom upstream when no real key is configured: a stand-in that checks keys will refuse it. */
const PLACEHOLDER_KEY = 'local-placeholder-key';
const SANDBOX_KEY = 'local-sandbox-key';

export interface Upstream {
  /** The Server API base URL; the region's host when absent. */
  baseUrl?: string;
  keys: StaticKeyProvider;
}

export function upstreamOf(config: LocalConfig, sandbox: SandboxUpstream | undefined): Upstream {
  switch (config.upstream.kind) {
    case 'fingerprint':
      return { keys: new StaticKeyProvider(config.upstream.apiKey) };
    case 'custom':
      return {
        baseUrl: config.upstream.baseUrl,
        keys: new StaticKeyProvider(config.upstream.apiKey ?? PLACEHOLDER_KEY),
      };
    case 'sandbox':
      if (sandbox === undefined) throw new Error('The sandbox upstream was not started');
      return { baseUrl: sandbox.baseUrl, keys: new StaticKeyProvider(SANDBOX_KEY) };
  }
}

/** A pool for each function of the manifest: the ones behind the API take proxy events, the other SQS batches. */
export type Pools = { [K in HttpFunctionKey]: FunctionPool<APIGatewayProxyEvent, APIGatewayProxyResult> } & {
  [K in Exclude<AnyFunctionKey, HttpFunctionKey>]: FunctionPool<SQSEvent, SQSBatchResponse>;
};

/**
 * One pool per function. Each new instance gets what a cold start gets in the cloud: its own logger, its own
 * Fingerprint client with its own `DynamoDbRateLimiter` loop, and (HTTP) its own coalescer of in-flight requests.
 * As in the cloud, the limiters share one budget of `FINGERPRINT_MAX_RPS` through the table, and the
 * coalescers their leases. The stores and the key are shared, as they hold no per-call state.
 */
export function createPools(
  config: LocalConfig,
  ports: { dynamo: EmbeddedDynamoDb; upstream: Upstream; deadLetters: LocalDeadLetterQueue; region: string },
): Pools {
  // The event store serves the enrich and query functions, the webhook's insert-only store the webhook: two
  // instances on the one table, each shared by its functions' instances.
  const storeOptions = {
    client: ports.dynamo.client,
    tableName: config.tableName,
    ttlDays: config.eventTtlDays,
    storeUpstream: config.storeUpstream,
  };
  const store = new DynamoDbEventStore({ ...storeOptions, parts: storeParts });
  const webhookStore = new DynamoDbWebhookEventStore(storeOptions);
  const historyDays = historyDaysFor({ historyDays: config.historyDays, eventTtlDays: config.eventTtlDays });
  const table = { client: ports.dynamo.client, tableName: config.tableName };
  const fingerprint = (maxWaitMs: number, reserveAheadMs?: number) =>
    createFingerprintClient({
      apiVersion: config.apiVersion,
      region: config.region,
      ...(ports.upstream.baseUrl !== undefined && { baseUrl: ports.upstream.baseUrl }),
      keys: ports.upstream.keys,
      historyDays,
      limiter: new DynamoDbRateLimiter({
        ...table,
        maxRps: config.maxRps,
        maxWaitMs,
        ...(reserveAheadMs !== undefined && { reserveAheadMs }),
      }),
    });
  const settings = (key: keyof typeof FUNCTION_SETTINGS) => ({
    ...FUNCTION_SETTINGS[key],
    region: ports.region,
  });
  return {
    enrichHttp: new FunctionPool({
      settings: settings('enrichHttp'),
      create: () =>
        createEnrichHttpHandler({
          logger: createLogger(config.logLevel),
          settings: {
            readThrough: config.readThrough,
            upstreamErasure: config.upstreamErasure,
            storeUpstream: config.storeUpstream,
          },
          store,
          fingerprint: fingerprint(HTTP_BUDGET_WAIT_MS),
          coalescer: new DynamoDbRequestCoalescer(table),
          historyDays,
          ...(config.sealedKeys !== undefined && { sealedKeys: config.sealedKeys }),
        }),
    }),
    query: new FunctionPool({
      settings: settings('query'),
      create: () =>
        createQueryHttpHandler({
          logger: createLogger(config.logLevel),
          store,
          storeUpstream: config.storeUpstream,
        }),
    }),
    webhook: new FunctionPool({
      settings: settings('webhook'),
      create: () =>
        createWebhookHttpHandler({
          logger: createLogger(config.logLevel),
          settings: {
            basicAuth: config.webhook.basicAuth,
            maxEventAgeSeconds: config.webhook.maxEventAgeSeconds,
          },
          store: webhookStore,
          secrets: config.webhook.secrets ?? new MissingWebhookSecrets(),
        }),
    }),
    enrichQueue: new FunctionPool({
      settings: settings('enrichQueue'),
      maxInstances: config.queueMaxConcurrency,
      create: () =>
        createEnrichQueueHandler({
          logger: createLogger(config.logLevel),
          store,
          fingerprint: fingerprint(Number.POSITIVE_INFINITY, QUEUE_RESERVE_AHEAD_MS),
          historyDays,
          ...(config.sealedKeys !== undefined && { sealedKeys: config.sealedKeys }),
          deadLetters: ports.deadLetters,
        }),
    }),
  };
}
