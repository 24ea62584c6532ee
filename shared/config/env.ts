import { LogLevel } from '@aws-lambda-powertools/logger';
import { API_VERSIONS, REGIONS } from '../fingerprint/types.js';
import * as z from '../validation/zod.js';

/**
 * Each function's environment, as Zod schemas parsed once at cold start. The CDK stack types the
 * `environment` it gives each function from the same schemas (`z.input<…>`), so a missing variable is a
 * compile error in `infra/` and a loud, named error at cold start anywhere else.
 */

const positiveInt = (defaultValue: number, max: number) =>
  z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(max)), defaultValue);

const common = {
  TABLE_NAME: z.string().check(z.minLength(1)),
  /** Retention of a stored event, counted from the event's timestamp. */
  EVENT_TTL_DAYS: positiveInt(90, 3650),
  LOG_LEVEL: z._default(
    z.pipe(
      z.pipe(
        z.string(),
        z.transform((value: string) => value.toUpperCase()),
      ),
      z.enum(Object.values(LogLevel)),
    ),
    LogLevel.INFO,
  ),
};

/** What every function that calls the Fingerprint Server API needs. */
const fingerprint = {
  /** Secrets Manager name or ARN of the secret API key. */
  FINGERPRINT_SECRET_ID: z.string().check(z.minLength(1)),
  FINGERPRINT_REGION: z._default(z.enum(Object.values(REGIONS)), REGIONS.us),
  FINGERPRINT_API_VERSION: z._default(z.enum(Object.values(API_VERSIONS)), API_VERSIONS.v4),
  /** Overrides the region's host (local runs, tests, a proxy). */
  FINGERPRINT_BASE_URL: z.optional(z.url({ protocol: /^https?$/ })),
  /** Fingerprint's default limit is 5 requests/s; raise it only with a plan that allows more. */
  FINGERPRINT_MAX_RPS: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000)), 5),
  SECRET_CACHE_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(86_400)), 300),
};

/** A switch: `true`/`false` (or 1/0, yes/no, on/off, enabled/disabled), case-insensitive. */
const flag = (defaultValue: boolean) => z._default(z.stringbool(), defaultValue);

export const queryEnvSchema = z.object(common);

export const enrichHttpEnvSchema = z.object({
  ...common,
  ...fingerprint,
  /**
   * `GET /events/{requestId}` resolves a cache miss through the Server API (and stores it) instead of
   * answering 404.
   */
  READ_THROUGH_ENABLED: flag(true),
  /**
   * `DELETE /visitors/{visitorId}?upstream=true` also asks Fingerprint to delete the visitor's data (its
   * Delete API, which Fingerprint enables on request). Off by default: it deletes data at Fingerprint.
   */
  UPSTREAM_ERASURE_ENABLED: flag(false),
});

/** The webhook function: it stores what Fingerprint pushes, and never calls the Server API. */
export const webhookEnvSchema = z.object({
  ...common,
  /**
   * Secrets Manager name or ARN of the webhook secret: the signing secret as a plain string, or JSON
   * `{"secrets": ["<current>", "<previous>"], "basicAuth": {"username": "…", "password": "…"}}`.
   */
  FINGERPRINT_WEBHOOK_SECRET_ID: z.string().check(z.minLength(1)),
  /** Also require the HTTP basic auth credentials of the webhook secret's `basicAuth`. */
  WEBHOOK_BASIC_AUTH_ENABLED: flag(false),
  SECRET_CACHE_SECONDS: fingerprint.SECRET_CACHE_SECONDS,
});

export const enrichQueueEnvSchema = z.object({
  ...common,
  ...fingerprint,
  /** Where permanent failures are sent at once, with their reason. */
  DEAD_LETTER_QUEUE_URL: z.url(),
  /**
   * The event source's maximum concurrency, set by the stack (`consumerConcurrencyFor`). Each consumer
   * instance takes `FINGERPRINT_MAX_RPS / this` of the upstream rate, so all of them together stay within
   * `FINGERPRINT_MAX_RPS` however deep the queue. 1 for a single process, such as a local run.
   */
  QUEUE_MAX_CONCURRENCY: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000)), 1),
});

export type QueryEnv = z.output<typeof queryEnvSchema>;
export type EnrichHttpEnv = z.output<typeof enrichHttpEnvSchema>;
/** What every function that calls the Fingerprint Server API has: both enrich functions' settings share it. */
export type FingerprintCallerEnv = Omit<EnrichHttpEnv, 'READ_THROUGH_ENABLED' | 'UPSTREAM_ERASURE_ENABLED'>;
export type WebhookEnv = z.output<typeof webhookEnvSchema>;
export type EnrichQueueEnv = z.output<typeof enrichQueueEnvSchema>;

/** A missing or invalid environment variable; the message names every one that is wrong. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses `env` with `schema`, or throws a {@link ConfigError} naming each wrong variable and why. */
export function loadEnv<S extends z.core.$ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = z.safeParse(schema, present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid environment: ${problems.join('; ')}`);
}
