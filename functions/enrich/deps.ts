import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { FingerprintCallerEnv } from '../../shared/config/env.js';
import { createFingerprintClient } from '../../shared/fingerprint/client.js';
import { SecretsManagerSealedKeys } from '../../shared/fingerprint/sealed-keys.js';
import { SecretsManagerKeyProvider } from '../../shared/fingerprint/secret.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import { DynamoDbRateLimiter } from '../../shared/store/dynamodb-rate-limiter.js';
import { DynamoDbRequestCoalescer } from '../../shared/store/dynamodb-request-coalescer.js';
import { type EnrichDeps, historyDaysFor } from './enrich.js';

/**
 * The longest an HTTP caller waits for room in the fleet's budget of Fingerprint calls before it gets 429 with
 * `Retry-After`: a busy budget never keeps a function idle for seconds, and a second is one turn of every seat.
 */
export const HTTP_BUDGET_WAIT_MS = 1_000;

/**
 * Builds the enrich use case's ports from the environment. Called once at module scope by each trigger, so
 * SDK clients, the cached key, the limiter's loop and the in-flight requests live as long as the Lambda
 * instance.
 *
 * Every instance of every trigger shares one budget of `FINGERPRINT_MAX_RPS` calls through the event table
 * (`DynamoDbRateLimiter`); `maxWaitMs` bounds how long a call waits for room in it (HTTP: about a second;
 * the queue consumer: up to its deadline). `coalesce` makes concurrent fetches of one requestId one upstream
 * call (HTTP callers ask at once; queue records of one requestId are rare, idempotent, and not worth two
 * writes per record).
 */
export function createEnrichDeps(
  env: FingerprintCallerEnv,
  options: { maxWaitMs: number; coalesce: boolean; erasureSettleMs?: number },
): EnrichDeps {
  const keys = new SecretsManagerKeyProvider({
    client: new SecretsManagerClient({}),
    secretId: env.FINGERPRINT_SECRET_ID,
    cacheSeconds: env.SECRET_CACHE_SECONDS,
  });
  const dynamo = new DynamoDBClient({});
  const historyDays = historyDaysFor({
    historyDays: env.FINGERPRINT_HISTORY_DAYS,
    eventTtlDays: env.EVENT_TTL_DAYS,
  });
  return {
    historyDays,
    store: new DynamoDbEventStore({
      client: dynamo,
      tableName: env.TABLE_NAME,
      ttlDays: env.EVENT_TTL_DAYS,
      ...(options.erasureSettleMs !== undefined && { erasureSettleMs: options.erasureSettleMs }),
      storeUpstream: env.STORE_UPSTREAM_EVENTS,
    }),
    fingerprint: createFingerprintClient({
      apiVersion: env.FINGERPRINT_API_VERSION,
      region: env.FINGERPRINT_REGION,
      ...(env.FINGERPRINT_BASE_URL !== undefined && { baseUrl: env.FINGERPRINT_BASE_URL }),
      keys,
      historyDays,
      limiter: new DynamoDbRateLimiter({
        client: dynamo,
        tableName: env.TABLE_NAME,
        maxRps: env.FINGERPRINT_MAX_RPS,
        maxWaitMs: options.maxWaitMs,
      }),
    }),
    // The keys of sealed results are read on the first sealed result only; most instances never see one.
    ...(env.FINGERPRINT_SEALED_KEYS_SECRET_ID !== undefined && {
      sealedKeys: new SecretsManagerSealedKeys({
        client: () => new SecretsManagerClient({}),
        secretId: env.FINGERPRINT_SEALED_KEYS_SECRET_ID,
        cacheSeconds: env.SECRET_CACHE_SECONDS,
      }),
    }),
    ...(options.coalesce && {
      coalescer: new DynamoDbRequestCoalescer({ client: dynamo, tableName: env.TABLE_NAME }),
    }),
  };
}
