import {
  commonEnv,
  flagEnv,
  secretCacheSecondsEnv,
  storeUpstreamEnv,
  wholeNumberEnv,
} from '../../shared/config/env.js';
import * as z from '../../shared/validation/zod.js';

/**
 * `WEBHOOK_MAX_EVENT_AGE_SECONDS`: the oldest event a delivery may carry. Fingerprint delivers at once and
 * retries a failed delivery once, 5 minutes later, so the least accepted leaves room for that retry; anything
 * much older is a replay. The CDK context `webhookMaxEventAgeSeconds` takes the same bounds.
 */
export const WEBHOOK_MAX_EVENT_AGE_SECONDS = { min: 600, max: 86_400, default: 3_600 } as const;

/** The webhook function: it stores what Fingerprint pushes, and never calls the Server API. */
export const webhookEnvSchema = z.object({
  ...commonEnv(),
  ...storeUpstreamEnv(),
  /**
   * Secrets Manager name or ARN of the webhook secret: the signing secret as a plain string, or JSON
   * `{"secrets": ["<current>", "<previous>"], "basicAuth": {"username": "…", "password": "…"}}`.
   */
  FINGERPRINT_WEBHOOK_SECRET_ID: z.string().check(z.minLength(1)),
  /** Also require the HTTP basic auth credentials of the webhook secret's `basicAuth`. */
  WEBHOOK_BASIC_AUTH_ENABLED: flagEnv(false),
  SECRET_CACHE_SECONDS: secretCacheSecondsEnv(),
  /** Deliveries of events older than this are acknowledged without being stored. */
  WEBHOOK_MAX_EVENT_AGE_SECONDS: wholeNumberEnv(
    WEBHOOK_MAX_EVENT_AGE_SECONDS.min,
    WEBHOOK_MAX_EVENT_AGE_SECONDS.max,
    WEBHOOK_MAX_EVENT_AGE_SECONDS.default,
  ),
});

export type WebhookEnv = z.output<typeof webhookEnvSchema>;
