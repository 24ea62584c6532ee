import { commonEnv, flagEnv, secretCacheSecondsEnv } from '../../shared/config/env.js';
import * as z from '../../shared/validation/zod.js';

/** The webhook function: it stores what Fingerprint pushes, and never calls the Server API. */
export const webhookEnvSchema = z.object({
  ...commonEnv(),
  /**
   * Secrets Manager name or ARN of the webhook secret: the signing secret as a plain string, or JSON
   * `{"secrets": ["<current>", "<previous>"], "basicAuth": {"username": "…", "password": "…"}}`.
   */
  FINGERPRINT_WEBHOOK_SECRET_ID: z.string().check(z.minLength(1)),
  /** Also require the HTTP basic auth credentials of the webhook secret's `basicAuth`. */
  WEBHOOK_BASIC_AUTH_ENABLED: flagEnv(false),
  SECRET_CACHE_SECONDS: secretCacheSecondsEnv(),
});

export type WebhookEnv = z.output<typeof webhookEnvSchema>;
