import { API_VERSIONS, REGIONS } from '../fingerprint/types.js';
import { LOG_LEVELS } from '../observability/logger.js';
import * as z from '../validation/zod.js';
import { MIN_CONSUMERS } from './consumer-concurrency.js';

/**
 * Loading a function's environment, and the settings several functions share. Each function's schema lives
 * beside its handler (`functions/<name>/env.ts`, or `http-env.ts` and `queue-env.ts` for the enrich
 * function's two triggers) and is parsed once at cold start; the CDK stack types the `environment` it gives
 * each function from the same schema (`z.input<…>`), so a missing variable is a compile error in `infra/` and
 * a loud, named error at cold start anywhere else. A setting a deployment chooses is defined once, in
 * {@link SETTINGS}, which the stack's context (`infra/config.ts`) reads with too.
 */

/** A whole number between `min` and `max`, `defaultValue` when unset. */
export const wholeNumberEnv = (min: number, max: number, defaultValue: number) =>
  z._default(z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max)), defaultValue);

/**
 * A switch: `true` or `false`, in any case. The one spelling of every switch, at run time and in the CDK
 * context alike (which reads a `cdk.json` boolean as the text the stack writes for it).
 */
export const flagEnv = (defaultValue: boolean) =>
  z._default(
    z.stringbool({ truthy: ['true'], falsy: ['false'], error: 'expected true or false' }),
    defaultValue,
  );

/**
 * A list: comma-separated text (an environment variable, `-c key=a,b`), or an array (a `cdk.json` list, whose
 * items may hold commas). Items are trimmed and empty ones dropped; each must be text that passes `isItem`, or
 * the list is refused with `message`, naming the item's index.
 */
export const listEnv = (isItem: (item: string) => boolean, message: string) =>
  z._default(
    z.transform((value: unknown, context) => {
      const items: unknown[] = Array.isArray(value) ? value : String(value).split(',');
      const list = items
        .map((item) => (typeof item === 'string' ? item.trim() : item))
        .filter((item) => item !== '');
      list.forEach((item, index) => {
        if (typeof item !== 'string' || !isItem(item)) {
          context.issues.push({ code: 'custom', message, input: item, path: [index] });
        }
      });
      return list as string[];
    }),
    [],
  );

/** Hosts on this machine: the only ones the Fingerprint key may be sent to over plain http. */
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * Whether the Fingerprint key may be sent to `value`: over https, or over plain http to this machine. Zod runs
 * this after a failed URL check too; that check has said what is wrong then.
 */
function isKeySafeUrl(value: string): boolean {
  if (!URL.canParse(value)) return true;
  const url = new URL(value);
  return url.protocol === 'https:' || LOOPBACK_HOST.test(url.hostname);
}

/** Whether `value` is an origin exactly as a browser sends it in `Origin`: scheme, host and port only. */
function isWebOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

/**
 * Every setting the functions read that a deployment also chooses, defined once: the same schema reads the
 * environment variable at run time (`variable`) and the CDK context key of the same name at deploy time
 * (`infra/config.ts`), so the two accept the same values, with the same defaults. Each is its own constant,
 * holding a function rather than a ready-made schema, so that a bundle holds and builds only its own
 * function's settings: building every function's schema was a measurable part of a cold start.
 */

/** Days a stored event is served and kept, counted from the event's timestamp. */
export const eventTtlDaysSetting = () => wholeNumberEnv(1, 3650, 90);

export const logLevelSetting = () =>
  z._default(
    z.pipe(
      z.pipe(
        z.string(),
        z.transform((value: string) => value.toUpperCase()),
      ),
      z.enum(LOG_LEVELS),
    ),
    'INFO',
  );

/** The Fingerprint region of the workspace whose secret key is used. */
export const fingerprintRegionSetting = () => z._default(z.enum(Object.values(REGIONS)), REGIONS.us);

export const fingerprintApiVersionSetting = () =>
  z._default(z.enum(Object.values(API_VERSIONS)), API_VERSIONS.v4);

/**
 * Overrides the region's Server API host (a proxy; locally the sandbox). The secret key travels with every
 * call, so https, or plain http only to this machine (a local sandbox or proxy).
 */
export const fingerprintBaseUrlSetting = () =>
  z.optional(
    z
      .url({ protocol: /^https?$/ })
      .check(
        z.refine(
          isKeySafeUrl,
          'expected an https URL (plain http only to localhost, 127.0.0.1 or [::1]): the secret API key is sent with every call',
        ),
      ),
  );

/**
 * Upstream requests per second the whole fleet may send (Fingerprint's default limit is 5; raise it only
 * with a plan that allows more). At least {@link MIN_CONSUMERS}: SQS runs at least that many queue consumers,
 * and the stack keeps their number a divisor of the limit (ADR 4).
 */
export const fingerprintMaxRpsSetting = () => wholeNumberEnv(MIN_CONSUMERS, 1000, 5);

/**
 * Days a visitorId or linkedId history reaches back: Fingerprint's retention (30 by default, 90 or more on
 * Enterprise). Capped at `EVENT_TTL_DAYS`, since older events would expire on arrival.
 */
export const fingerprintHistoryDaysSetting = () => wholeNumberEnv(1, 3650, 30);

/** How long a secret read from Secrets Manager is reused before it is read again. */
export const secretCacheSecondsSetting = () => wholeNumberEnv(0, 86_400, 300);

/**
 * Whether an event that reaches a function in Fingerprint's v4 form is also kept as received, compressed, on
 * its item next to the normalized view, so that `GET /v4/events/…` serves it losslessly. `false` keeps the
 * normalized view only (v4 routes then render events from it; docs/storage.md).
 */
export const storeUpstreamEventsSetting = () => flagEnv(true);

/**
 * `GET /events/{requestId}` resolves a cache miss through the Server API (and stores it) instead of
 * answering 404.
 */
export const readThroughEnabledSetting = () => flagEnv(true);

/**
 * `DELETE /visitors/{visitorId}?upstream=true` also asks Fingerprint to delete the visitor's data (its
 * Delete API, which Fingerprint enables on request). Off by default: it deletes data at Fingerprint.
 */
export const upstreamErasureEnabledSetting = () => flagEnv(false);

/** `POST /webhooks/fingerprint` also requires the HTTP basic auth credentials of the webhook secret. */
export const webhookBasicAuthEnabledSetting = () => flagEnv(false);

/**
 * The oldest event a webhook delivery may carry, in seconds. Fingerprint delivers at once and retries a
 * failed delivery once, 5 minutes later, so the least accepted leaves room for that retry; anything much
 * older is a replay.
 */
export const webhookMaxEventAgeSecondsSetting = () => wholeNumberEnv(600, 86_400, 3_600);

/**
 * Browser origins allowed by CORS (`https://app.example.com`, as browsers send them in `Origin`), as a list
 * or comma-separated. Empty: no CORS headers (and no preflight routes).
 */
export const corsAllowOriginsSetting = () =>
  listEnv(
    isWebOrigin,
    'expected an origin such as https://app.example.com: http or https, a host and an optional port, with no path or trailing slash',
  );

/**
 * Every shared setting under its CDK context key, with the environment variable the stack sets from it: for
 * the stack's context (`infra/config.ts`) and the tests. The functions import the definitions one by one, so
 * that no bundle holds this table.
 */
export const SETTINGS = {
  eventTtlDays: { variable: 'EVENT_TTL_DAYS', schema: eventTtlDaysSetting },
  logLevel: { variable: 'LOG_LEVEL', schema: logLevelSetting },
  fingerprintRegion: { variable: 'FINGERPRINT_REGION', schema: fingerprintRegionSetting },
  fingerprintApiVersion: { variable: 'FINGERPRINT_API_VERSION', schema: fingerprintApiVersionSetting },
  fingerprintBaseUrl: { variable: 'FINGERPRINT_BASE_URL', schema: fingerprintBaseUrlSetting },
  fingerprintMaxRps: { variable: 'FINGERPRINT_MAX_RPS', schema: fingerprintMaxRpsSetting },
  fingerprintHistoryDays: { variable: 'FINGERPRINT_HISTORY_DAYS', schema: fingerprintHistoryDaysSetting },
  secretCacheSeconds: { variable: 'SECRET_CACHE_SECONDS', schema: secretCacheSecondsSetting },
  storeUpstreamEvents: { variable: 'STORE_UPSTREAM_EVENTS', schema: storeUpstreamEventsSetting },
  readThroughEnabled: { variable: 'READ_THROUGH_ENABLED', schema: readThroughEnabledSetting },
  upstreamErasureEnabled: { variable: 'UPSTREAM_ERASURE_ENABLED', schema: upstreamErasureEnabledSetting },
  webhookBasicAuthEnabled: { variable: 'WEBHOOK_BASIC_AUTH_ENABLED', schema: webhookBasicAuthEnabledSetting },
  webhookMaxEventAgeSeconds: {
    variable: 'WEBHOOK_MAX_EVENT_AGE_SECONDS',
    schema: webhookMaxEventAgeSecondsSetting,
  },
  corsAllowOrigins: { variable: 'CORS_ALLOW_ORIGINS', schema: corsAllowOriginsSetting },
} as const;

/** The name of a setting shared by the functions and the deployment (its CDK context key). */
export type SettingName = keyof typeof SETTINGS;

/** What every function has: its table, the events' retention and the log level. */
export const commonEnv = () => ({
  TABLE_NAME: z.string().check(z.minLength(1)),
  EVENT_TTL_DAYS: eventTtlDaysSetting(),
  LOG_LEVEL: logLevelSetting(),
});

/** How long a secret read from Secrets Manager is reused before it is read again. */
export const secretCacheSecondsEnv = () => secretCacheSecondsSetting();

/** `STORE_UPSTREAM_EVENTS`, see {@link SETTINGS}. */
export const storeUpstreamEnv = () => ({ STORE_UPSTREAM_EVENTS: storeUpstreamEventsSetting() });

/** What every function that calls the Fingerprint Server API has. */
export const fingerprintEnv = () => ({
  ...storeUpstreamEnv(),
  /** Secrets Manager name or ARN of the secret API key. */
  FINGERPRINT_SECRET_ID: z.string().check(z.minLength(1)),
  FINGERPRINT_REGION: fingerprintRegionSetting(),
  FINGERPRINT_API_VERSION: fingerprintApiVersionSetting(),
  FINGERPRINT_BASE_URL: fingerprintBaseUrlSetting(),
  FINGERPRINT_MAX_RPS: fingerprintMaxRpsSetting(),
  FINGERPRINT_HISTORY_DAYS: fingerprintHistoryDaysSetting(),
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
 * What every HTTP function with IAM routes has: the browser origins allowed by CORS (the stack sets it from
 * `corsAllowOrigins`). Unset or empty: no CORS headers.
 */
export const corsEnv = () => ({ CORS_ALLOW_ORIGINS: corsAllowOriginsSetting() });

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
