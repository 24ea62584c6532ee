import {
  commonEnv,
  secretCacheSecondsEnv,
  storeUpstreamEnv,
  webhookBasicAuthEnabledSetting,
  webhookMaxEventAgeSecondsSetting,
} from '../../shared/config/env.js';
import * as z from '../../shared/validation/zod.js';

/** The webhook function: it stores what Fingerprint pushes, and never calls the Server API. */
export const webhookEnvSchema = z.object({
  ...commonEnv(),
  ...storeUpstreamEnv(),
  /**
   * Secrets Manager name or ARN of the webhook secret: the signing secret as a plain string, or JSON
   * `{"secrets": ["<current>", "<previous>"], "basicAuth": {"username": "…", "password": "…"}}`.
   */
  FINGERPRINT_WEBHOOK_SECRET_ID: z.string().check(z.minLength(1)),
  WEBHOOK_BASIC_AUTH_ENABLED: webhookBasicAuthEnabledSetting(),
  SECRET_CACHE_SECONDS: secretCacheSecondsEnv(),
  /** Deliveries of events older than this are acknowledged without being stored. */
  WEBHOOK_MAX_EVENT_AGE_SECONDS: webhookMaxEventAgeSecondsSetting(),
});

export type WebhookEnv = z.output<typeof webhookEnvSchema>;
