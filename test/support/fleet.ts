/**
 * A fleet of "Lambda instances" on one dynalite table: each has what a cold start gives it (its own Fingerprint
 * client with its own `DynamoDbRateLimiter` loop, its own coalescer, its own handler), and they share only the
 * table and the upstream, as instances in the cloud do.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createEnrichHttpHandler } from '../../functions/enrich/http-handler.js';
import { createFingerprintClient } from '../../shared/fingerprint/client.js';
import { StaticKeyProvider } from '../../shared/fingerprint/secret.js';
import type { FingerprintClient } from '../../shared/fingerprint/types.js';
import { createLogger } from '../../shared/observability/logger.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import * as storeParts from '../../shared/store/dynamodb-event-store-parts.js';
import {
  DynamoDbRateLimiter,
  type DynamoDbRateLimiterOptions,
} from '../../shared/store/dynamodb-rate-limiter.js';
import { DynamoDbRequestCoalescer } from '../../shared/store/dynamodb-request-coalescer.js';

export interface FleetOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Where the instances send Server API calls (the arrival recorder in front of the fake). */
  baseUrl: string;
  apiKey: string;
  maxRps: number;
  /** The limiter's bound on waiting (HTTP: about a second). */
  maxWaitMs?: number;
  /** Which budget in the table: separate runs on one table use separate budgets. */
  budget?: string;
  limiter?: Partial<DynamoDbRateLimiterOptions>;
}

export interface FleetInstance {
  limiter: DynamoDbRateLimiter;
  coalescer: DynamoDbRequestCoalescer;
  fingerprint: FingerprintClient;
  handler: ReturnType<typeof createEnrichHttpHandler>;
}

export function startInstance(options: FleetOptions): FleetInstance {
  const table = { client: options.client, tableName: options.tableName };
  const limiter = new DynamoDbRateLimiter({
    ...table,
    maxRps: options.maxRps,
    ...(options.maxWaitMs !== undefined && { maxWaitMs: options.maxWaitMs }),
    ...(options.budget !== undefined && { budget: options.budget }),
    ...options.limiter,
  });
  const fingerprint = createFingerprintClient({
    baseUrl: options.baseUrl,
    keys: new StaticKeyProvider(options.apiKey),
    limiter,
    // Only first attempts: the tests count calls, and the fake does not fail them.
    maxAttempts: 1,
  });
  const coalescer = new DynamoDbRequestCoalescer(table);
  const store = new DynamoDbEventStore({ parts: storeParts, ...table, ttlDays: 30 });
  const handler = createEnrichHttpHandler({
    logger: createLogger('ERROR'),
    settings: { readThrough: true, upstreamErasure: false },
    store,
    fingerprint,
    coalescer,
  });
  return { limiter, coalescer, fingerprint, handler };
}

export function startFleet(size: number, options: FleetOptions): FleetInstance[] {
  return Array.from({ length: size }, () => startInstance(options));
}
