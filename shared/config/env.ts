import { API_VERSIONS, REGIONS } from '../fingerprint/types.js';
import { LOG_LEVELS } from '../observability/logger.js';
import * as z from '../validation/zod.js';

/**
 * Loading a function's environment, and the settings several functions share. Each function's schema lives
 * beside its handler (`functions/<name>/env.ts`, or `http-env.ts` and `queue-env.ts` for the enrich
 * function's two triggers) and is parsed once at cold start; the CDK stack types the `environment` it gives
 * each function from the same schema (`z.input<…>`), so a missing variable is a compile error in `infra/` and
 * a loud, named error at cold start anywhere else.
 *
 * The shared settings are functions rather than ready-made schemas so that a bundle builds only the fields of
 * its own function at import: building every function's schema was a measurable part of a cold start.
 */

/** A whole number between `min` and `max`, `defaultValue` when unset. */
export const wholeNumberEnv = (min: number, max: number, defaultValue: number) =>
  z._default(z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max)), defaultValue);

/** What every function has: its table, the events' retention and the log level. */
export const commonEnv = () => ({
  TABLE_NAME: z.string().check(z.minLength(1)),
  /** Retention of a stored event, counted from the event's timestamp. */
  EVENT_TTL_DAYS: wholeNumberEnv(1, 3650, 90),
  LOG_LEVEL: z._default(
    z.pipe(
      z.pipe(
        z.string(),
        z.transform((value: string) => value.toUpperCase()),
      ),
      z.enum(LOG_LEVELS),
    ),
    'INFO',
  ),
});

/** How long a secret read from Secrets Manager is reused before it is read again. */
export const secretCacheSecondsEnv = () => wholeNumberEnv(0, 86_400, 300);

/**
 * Whether an event that reaches the function in Fingerprint's v4 form is also kept as received, compressed, on
 * its item next to the normalized view, so that `GET /v4/events/…` serves it losslessly. `false` keeps the
 * normalized view only (v4 routes then render events from it; docs/storage.md).
 */
export const storeUpstreamEnv = () => ({ STORE_UPSTREAM_EVENTS: flagEnv(true) });

/** What every function that calls the Fingerprint Server API has. */
export const fingerprintEnv = () => ({
  ...storeUpstreamEnv(),
  /** Secrets Manager name or ARN of the secret API key. */
  FINGERPRINT_SECRET_ID: z.string().check(z.minLength(1)),
  FINGERPRINT_REGION: z._default(z.enum(Object.values(REGIONS)), REGIONS.us),
  FINGERPRINT_API_VERSION: z._default(z.enum(Object.values(API_VERSIONS)), API_VERSIONS.v4),
  /** Overrides the region's host (local runs, tests, a proxy). */
  FINGERPRINT_BASE_URL: z.optional(z.url({ protocol: /^https?$/ })),
  /** Fingerprint's default limit is 5 requests/s; raise it only with a plan that allows more. */
  FINGERPRINT_MAX_RPS: wholeNumberEnv(1, 1000, 5),
  /**
   * Days a visitorId or linkedId history reaches back: Fingerprint's retention (30 by default, 90 or more on
   * Enterprise). Capped at `EVENT_TTL_DAYS`, since older events would expire on arrival.
   */
  FINGERPRINT_HISTORY_DAYS: wholeNumberEnv(1, 3650, 30),
  SECRET_CACHE_SECONDS: secretCacheSecondsEnv(),
  /**
   * Secrets Manager name or ARN of the keys that open sealed client results: a JSON list of base64 keys, tried
   * in order. Unset: `POST /enrich` and the queue refuse a `sealedResult` (`SealedResultsNotConfigured`).
   */
  FINGERPRINT_SEALED_KEYS_SECRET_ID: z.optional(z.string().check(z.minLength(1))),
});

/** The settings of a function that calls the Fingerprint Server API, as parsed. */
export type FingerprintCallerEnv = z.output<
  z.ZodMiniObject<ReturnType<typeof commonEnv> & ReturnType<typeof fingerprintEnv>>
>;

/**
 * What every HTTP function with IAM routes has: the browser origins allowed by CORS, comma-separated (the stack
 * sets it from `corsAllowOrigins`). Unset or empty: no CORS headers.
 */
export const corsEnv = () => ({
  CORS_ALLOW_ORIGINS: z._default(
    z.pipe(
      z.string(),
      z.transform((value: string) =>
        value
          .split(',')
          .map((origin) => origin.trim())
          .filter((origin) => origin !== ''),
      ),
    ),
    [],
  ),
});

/** A switch: `true`/`false` (or 1/0, yes/no, on/off, enabled/disabled), case-insensitive. */
export const flagEnv = (defaultValue: boolean) => z._default(z.stringbool(), defaultValue);

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
