import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { FingerprintCallerEnv } from '../../shared/config/env.js';
import { createFingerprintClient } from '../../shared/fingerprint/client.js';
import { SecretsManagerKeyProvider } from '../../shared/fingerprint/secret.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import { type EnrichDeps, historyDaysFor } from './enrich.js';

/**
 * Builds the enrich use case's ports from the environment. Called once at module scope by each trigger, so
 * SDK clients, the cached key and the rate limiter live as long as the Lambda instance.
 */
export function createEnrichDeps(
  env: FingerprintCallerEnv,
  options: { maxRps?: number; erasureSettleMs?: number } = {},
): EnrichDeps {
  const keys = new SecretsManagerKeyProvider({
    client: new SecretsManagerClient({}),
    secretId: env.FINGERPRINT_SECRET_ID,
    cacheSeconds: env.SECRET_CACHE_SECONDS,
  });
  const historyDays = historyDaysFor({
    historyDays: env.FINGERPRINT_HISTORY_DAYS,
    eventTtlDays: env.EVENT_TTL_DAYS,
  });
  return {
    historyDays,
    store: new DynamoDbEventStore({
      client: new DynamoDBClient({}),
      tableName: env.TABLE_NAME,
      ttlDays: env.EVENT_TTL_DAYS,
      ...(options.erasureSettleMs !== undefined && { erasureSettleMs: options.erasureSettleMs }),
    }),
    fingerprint: createFingerprintClient({
      apiVersion: env.FINGERPRINT_API_VERSION,
      region: env.FINGERPRINT_REGION,
      ...(env.FINGERPRINT_BASE_URL !== undefined && { baseUrl: env.FINGERPRINT_BASE_URL }),
      keys,
      historyDays,
      ...(options.maxRps !== undefined && { maxRps: options.maxRps }),
    }),
  };
}
