import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadEnvOf } from '../../shared/config/env-rules.js';
import { createLogger } from '../../shared/observability/logger.js';
import { DynamoDbWebhookEventStore } from '../../shared/store/dynamodb-webhook-event-store.js';
import { WEBHOOK_ENV } from './env.js';
import { createWebhookHttpHandler } from './http-handler.js';
import { SecretsManagerWebhookSecrets } from './secret.js';

const env = await loadEnvOf(WEBHOOK_ENV);

/** `POST /webhooks/fingerprint`: verifies a Fingerprint webhook delivery and stores its event. */
export const handler = createWebhookHttpHandler({
  logger: createLogger(env.LOG_LEVEL),
  settings: {
    basicAuth: env.WEBHOOK_BASIC_AUTH_ENABLED,
    maxEventAgeSeconds: env.WEBHOOK_MAX_EVENT_AGE_SECONDS,
  },
  store: new DynamoDbWebhookEventStore({
    client: new DynamoDBClient({}),
    tableName: env.TABLE_NAME,
    ttlDays: env.EVENT_TTL_DAYS,
    storeUpstream: env.STORE_UPSTREAM_EVENTS,
  }),
  secrets: new SecretsManagerWebhookSecrets({
    client: new SecretsManagerClient({}),
    secretId: env.FINGERPRINT_WEBHOOK_SECRET_ID,
    cacheSeconds: env.SECRET_CACHE_SECONDS,
  }),
});
