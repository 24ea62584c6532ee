import {
  COMMON_ENV,
  type EnvOf,
  SETTING_RULES,
  STORE_UPSTREAM_ENV,
  text,
} from '../../shared/config/env-rules.js';

/** The webhook function: it stores what Fingerprint pushes, and never calls the Server API (rules as data, see `enrich/http-env.ts`). */
export const WEBHOOK_ENV = {
  ...COMMON_ENV,
  ...STORE_UPSTREAM_ENV,
  /**
   * Secrets Manager name or ARN of the webhook secret: the signing secret as a plain string, or JSON
   * `{"secrets": ["<current>", "<previous>"], "basicAuth": {"username": "…", "password": "…"}}`.
   */
  FINGERPRINT_WEBHOOK_SECRET_ID: text(),
  WEBHOOK_BASIC_AUTH_ENABLED: SETTING_RULES.webhookBasicAuthEnabled,
  SECRET_CACHE_SECONDS: SETTING_RULES.secretCacheSeconds,
  /** Deliveries of events older than this are acknowledged without being stored. */
  WEBHOOK_MAX_EVENT_AGE_SECONDS: SETTING_RULES.webhookMaxEventAgeSeconds,
} as const;

export type WebhookEnv = EnvOf<typeof WEBHOOK_ENV>;
