import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { FingerprintCallerEnv } from '../../shared/config/env-rules.js';
import { createFingerprintClient } from '../../shared/fingerprint/client.js';
import { SecretsManagerKeyProvider } from '../../shared/fingerprint/secret.js';
import type { FingerprintClient } from '../../shared/fingerprint/types.js';
import { DynamoDbRateLimiter } from '../../shared/store/dynamodb-rate-limiter.js';

/**
 * What only a call that reaches Fingerprint needs: the Secrets Manager client for the key, the Fingerprint
 * client with its dialects and parsers, and the fleet-wide limiter. `deps.ts` imports this module dynamically on
 * the first cache miss, so esbuild puts it (and what nothing else imports) in a chunk of its own that a cached
 * read never loads (docs/performance.md).
 */
export function createUpstream(
  env: FingerprintCallerEnv,
  options: { dynamo: DynamoDBClient; historyDays: number; maxWaitMs: number; reserveAheadMs?: number },
): FingerprintClient {
  return createFingerprintClient({
    apiVersion: env.FINGERPRINT_API_VERSION,
    region: env.FINGERPRINT_REGION,
    ...(env.FINGERPRINT_BASE_URL !== undefined && { baseUrl: env.FINGERPRINT_BASE_URL }),
    keys: new SecretsManagerKeyProvider({
      client: new SecretsManagerClient({}),
      secretId: env.FINGERPRINT_SECRET_ID,
      cacheSeconds: env.SECRET_CACHE_SECONDS,
    }),
    historyDays: options.historyDays,
    limiter: new DynamoDbRateLimiter({
      client: options.dynamo,
      tableName: env.TABLE_NAME,
      maxRps: env.FINGERPRINT_MAX_RPS,
      maxWaitMs: options.maxWaitMs,
      ...(options.reserveAheadMs !== undefined && { reserveAheadMs: options.reserveAheadMs }),
    }),
  });
}
