import { assertNever } from '../domain/errors.js';
import { API_VERSIONS, REGIONS } from '../fingerprint/types.js';
import { LOG_LEVELS } from '../observability/logger.js';
import { MIN_CONSUMERS } from './consumer-concurrency.js';

/**
 * The functions' environment variables as data, without Zod: each variable's rule (its kind, bounds, spellings
 * and default), from which `shared/config/env.ts` derives the Zod schema of every variable and every function
 * (the one validator: what a variable accepts, its value and its error message), and from which
 * {@link readEnvFast} reads the common, well-formed case at cold start without loading Zod.
 *
 * Why: building and running a function's Zod env schema was the largest single part of a cold start's init
 * beyond the AWS SDK's own (docs/performance.md, "What changed", 15). The fast read never refuses: it accepts a
 * variable only in the plain form a deployment writes (`90`, `true`, `INFO`, an https URL) and otherwise defers
 * the whole environment to the Zod schema, loaded then by `import()`. `test/unit/env-rules.test.ts` checks,
 * over every probe of the settings test and random text, that whenever it accepts, the Zod schema accepts the
 * same environment and yields the identical value.
 */

/** A whole number between `min` and `max`, `default` when unset. */
export interface WholeNumberRule {
  readonly kind: 'wholeNumber';
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

/** A switch: `true` or `false`, in any case. */
export interface FlagRule {
  readonly kind: 'flag';
  readonly default: boolean;
}

/** One of `values`; with `anyCase`, written in any case and read upper-cased (a log level). */
export interface ChoiceRule<V extends string = string> {
  readonly kind: 'choice';
  readonly values: readonly V[];
  readonly default: V;
  readonly anyCase?: boolean;
}

/** Non-empty text (a table's name, a secret's id). */
export interface TextRule {
  readonly kind: 'text';
  readonly optional: boolean;
}

/** Any URL (a queue's URL, set by the stack). */
export interface UrlRule {
  readonly kind: 'url';
}

/** An optional URL the Fingerprint key may be sent to: https, or plain http to this machine only. */
export interface KeySafeUrlRule {
  readonly kind: 'keySafeUrl';
}

/** A list: comma-separated text or an array; each item must pass `isItem`, or the list is refused with `message`. */
export interface ListRule {
  readonly kind: 'list';
  readonly isItem: (item: string) => boolean;
  readonly message: string;
}

export type EnvRule =
  | WholeNumberRule
  | FlagRule
  | ChoiceRule
  | TextRule
  | UrlRule
  | KeySafeUrlRule
  | ListRule;

/** A function's environment: each variable it reads, under its name, with its rule. */
export type EnvSpec = Readonly<Record<string, EnvRule>>;

/** The value a variable of rule `R` is read as (`undefined` when an optional one is unset). */
export type EnvValue<R extends EnvRule> = R extends WholeNumberRule
  ? number
  : R extends FlagRule
    ? boolean
    : R extends ChoiceRule<infer V>
      ? V
      : R extends TextRule
        ? R['optional'] extends true
          ? string | undefined
          : string
        : R extends UrlRule
          ? string
          : R extends KeySafeUrlRule
            ? string | undefined
            : R extends ListRule
              ? string[]
              : never;

/** Whether a variable of rule `R` may be left unset and then be absent from the environment read. */
type IsOptional<R extends EnvRule> = R extends KeySafeUrlRule
  ? true
  : R extends TextRule
    ? R['optional'] extends true
      ? true
      : false
    : false;

type OptionalKeys<S extends EnvSpec> = { [K in keyof S]: IsOptional<S[K]> extends true ? K : never }[keyof S];

/** The environment of spec `S` as read: what its Zod schema outputs. */
export type EnvOf<S extends EnvSpec> = {
  -readonly [K in Exclude<keyof S, OptionalKeys<S>>]: EnvValue<S[K]>;
} & { -readonly [K in OptionalKeys<S>]?: EnvValue<S[K]> };

export const wholeNumber = (min: number, max: number, defaultValue: number): WholeNumberRule => ({
  kind: 'wholeNumber',
  min,
  max,
  default: defaultValue,
});

export const flag = (defaultValue: boolean): FlagRule => ({ kind: 'flag', default: defaultValue });

export const choice = <V extends string>(
  values: readonly V[],
  defaultValue: NoInfer<V>,
  options: { anyCase?: boolean } = {},
): ChoiceRule<V> => ({ kind: 'choice', values, default: defaultValue, ...options });

export const text = (): TextRule & { optional: false } => ({ kind: 'text', optional: false });

export const optionalText = (): TextRule & { optional: true } => ({ kind: 'text', optional: true });

export const url = (): UrlRule => ({ kind: 'url' });

export const keySafeUrl = (): KeySafeUrlRule => ({ kind: 'keySafeUrl' });

export const list = (isItem: (item: string) => boolean, message: string): ListRule => ({
  kind: 'list',
  isItem,
  message,
});

/** Hosts on this machine: the only ones the Fingerprint key may be sent to over plain http. */
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * Whether the Fingerprint key may be sent to `value`: over https, or over plain http to this machine. Zod runs
 * this after a failed URL check too; that check has said what is wrong then.
 */
export function isKeySafeUrl(value: string): boolean {
  if (!URL.canParse(value)) return true;
  const parsed = new URL(value);
  return parsed.protocol === 'https:' || LOOPBACK_HOST.test(parsed.hostname);
}

/** Whether `value` is an origin exactly as a browser sends it in `Origin`: scheme, host and port only. */
export function isWebOrigin(value: string): boolean {
  try {
    const parsed = new URL(value);
    return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.origin === value;
  } catch {
    return false;
  }
}

/**
 * The items of a list setting: comma-separated text (an environment variable, `-c key=a,b`) or an array (a
 * `cdk.json` list, whose items may hold commas), text items trimmed and empty ones dropped.
 */
export function listItems(value: unknown): unknown[] {
  const items: unknown[] = Array.isArray(value) ? value : String(value).split(',');
  return items.map((item) => (typeof item === 'string' ? item.trim() : item)).filter((item) => item !== '');
}

/**
 * Every setting the functions read that a deployment also chooses, defined once: the same rule reads the
 * environment variable at run time and the CDK context key of the same name at deploy time (`settingSchema` in
 * `shared/config/env.ts`, read by `infra/config.ts`), so the two accept the same values, with the same defaults.
 */
export const SETTING_RULES = {
  /** Days a stored event is served and kept, counted from the event's timestamp. */
  eventTtlDays: wholeNumber(1, 3650, 90),
  logLevel: choice(LOG_LEVELS, 'INFO', { anyCase: true }),
  /** The Fingerprint region of the workspace whose secret key is used. */
  fingerprintRegion: choice(Object.values(REGIONS), REGIONS.us),
  fingerprintApiVersion: choice(Object.values(API_VERSIONS), API_VERSIONS.v4),
  /**
   * Overrides the region's Server API host (a proxy; locally the sandbox). The secret key travels with every
   * call, so https, or plain http only to this machine (a local sandbox or proxy).
   */
  fingerprintBaseUrl: keySafeUrl(),
  /**
   * Upstream requests per second the whole fleet may send (Fingerprint's default limit is 5; raise it only
   * with a plan that allows more). At least {@link MIN_CONSUMERS}: SQS runs at least that many queue consumers,
   * and the stack keeps their number a divisor of the limit (ADR 4).
   */
  fingerprintMaxRps: wholeNumber(MIN_CONSUMERS, 1000, 5),
  /**
   * Days a visitorId or linkedId history reaches back: Fingerprint's retention (30 by default, 90 or more on
   * Enterprise). Capped at `EVENT_TTL_DAYS`, since older events would expire on arrival.
   */
  fingerprintHistoryDays: wholeNumber(1, 3650, 30),
  /** How long a secret read from Secrets Manager is reused before it is read again. */
  secretCacheSeconds: wholeNumber(0, 86_400, 300),
  /**
   * Whether an event that reaches a function in Fingerprint's v4 form is also kept as received, compressed, on
   * its item next to the normalized view, so that `GET /v4/events/…` serves it losslessly. `false` keeps the
   * normalized view only (v4 routes then render events from it; docs/storage.md).
   */
  storeUpstreamEvents: flag(true),
  /**
   * `GET /events/{requestId}` resolves a cache miss through the Server API (and stores it) instead of
   * answering 404.
   */
  readThroughEnabled: flag(true),
  /**
   * `DELETE /visitors/{visitorId}?upstream=true` also asks Fingerprint to delete the visitor's data (its
   * Delete API, which Fingerprint enables on request). Off by default: it deletes data at Fingerprint.
   */
  upstreamErasureEnabled: flag(false),
  /** `POST /webhooks/fingerprint` also requires the HTTP basic auth credentials of the webhook secret. */
  webhookBasicAuthEnabled: flag(false),
  /**
   * The oldest event a webhook delivery may carry, in seconds. Fingerprint delivers at once and retries a
   * failed delivery once, 5 minutes later, so the least accepted leaves room for that retry; anything much
   * older is a replay.
   */
  webhookMaxEventAgeSeconds: wholeNumber(600, 86_400, 3_600),
  /**
   * Browser origins allowed by CORS (`https://app.example.com`, as browsers send them in `Origin`), as a list
   * or comma-separated. Empty: no CORS headers (and no preflight routes).
   */
  corsAllowOrigins: list(
    isWebOrigin,
    'expected an origin such as https://app.example.com: http or https, a host and an optional port, with no path or trailing slash',
  ),
} as const;

/** What every function has: its table, the events' retention and the log level. */
export const COMMON_ENV = {
  TABLE_NAME: text(),
  EVENT_TTL_DAYS: SETTING_RULES.eventTtlDays,
  LOG_LEVEL: SETTING_RULES.logLevel,
} as const satisfies EnvSpec;

/** `STORE_UPSTREAM_EVENTS`, see {@link SETTING_RULES}. */
export const STORE_UPSTREAM_ENV = { STORE_UPSTREAM_EVENTS: SETTING_RULES.storeUpstreamEvents } as const;

/** What every function that calls the Fingerprint Server API has. */
export const FINGERPRINT_ENV = {
  ...STORE_UPSTREAM_ENV,
  /** Secrets Manager name or ARN of the secret API key. */
  FINGERPRINT_SECRET_ID: text(),
  FINGERPRINT_REGION: SETTING_RULES.fingerprintRegion,
  FINGERPRINT_API_VERSION: SETTING_RULES.fingerprintApiVersion,
  FINGERPRINT_BASE_URL: SETTING_RULES.fingerprintBaseUrl,
  FINGERPRINT_MAX_RPS: SETTING_RULES.fingerprintMaxRps,
  FINGERPRINT_HISTORY_DAYS: SETTING_RULES.fingerprintHistoryDays,
  SECRET_CACHE_SECONDS: SETTING_RULES.secretCacheSeconds,
  /**
   * Secrets Manager name or ARN of the keys that open sealed client results: a JSON list of base64 keys, tried
   * in order. Unset: `POST /enrich` and the queue refuse a `sealedResult` (`SealedResultsNotConfigured`).
   */
  FINGERPRINT_SEALED_KEYS_SECRET_ID: optionalText(),
} as const satisfies EnvSpec;

/** The settings of a function that calls the Fingerprint Server API, as read. */
export type FingerprintCallerEnv = EnvOf<typeof COMMON_ENV & typeof FINGERPRINT_ENV>;

/**
 * What every HTTP function with IAM routes has: the browser origins allowed by CORS (the stack sets it from
 * `corsAllowOrigins`). Unset or empty: no CORS headers.
 */
export const CORS_ENV = { CORS_ALLOW_ORIGINS: SETTING_RULES.corsAllowOrigins } as const;

/** The variables that are set: an empty variable counts as unset, in the Zod read and the fast one alike. */
export function presentVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
}

/** Set for "this variable's text is not one the fast read is sure of": Zod decides. */
const DEFER = Symbol('defer');

/** Plain digits, no sign, exponent, spaces or leading zero: the form `Number` and Zod's coercion agree on. */
const PLAIN_WHOLE_NUMBER = /^(0|[1-9]\d{0,14})$/;
/** Printable ASCII without spaces: text that trimming and the URL parser's tab and newline removal leave alone. */
const PLAIN_URL_TEXT = /^[\x21-\x7e]+$/;

/** The value of one variable in its plain form, or {@link DEFER}. Never a refusal: refusing is Zod's. */
function readFast(rule: EnvRule, raw: string | undefined): unknown {
  switch (rule.kind) {
    case 'wholeNumber': {
      if (raw === undefined) return rule.default;
      if (!PLAIN_WHOLE_NUMBER.test(raw)) return DEFER;
      const value = Number(raw);
      return value >= rule.min && value <= rule.max ? value : DEFER;
    }
    case 'flag':
      if (raw === undefined) return rule.default;
      return raw === 'true' ? true : raw === 'false' ? false : DEFER;
    case 'choice':
      if (raw === undefined) return rule.default;
      return (rule.values as readonly string[]).includes(raw) ? raw : DEFER;
    case 'text':
      return raw === undefined && !rule.optional ? DEFER : raw;
    case 'url':
      return raw !== undefined && PLAIN_URL_TEXT.test(raw) && URL.canParse(raw) ? raw : DEFER;
    case 'keySafeUrl':
      if (raw === undefined) return undefined;
      return PLAIN_URL_TEXT.test(raw) && /^https?:\/\//.test(raw) && URL.canParse(raw) && isKeySafeUrl(raw)
        ? raw
        : DEFER;
    case 'list': {
      if (raw === undefined) return [];
      const items = listItems(raw);
      return items.every((item) => typeof item === 'string' && rule.isItem(item)) ? items : DEFER;
    }
    default:
      return assertNever(rule);
  }
}

/**
 * `env` read by `spec` without Zod when every variable is in its plain form (`undefined` otherwise, to be read
 * by the Zod schema, which refuses with a message naming each wrong variable). What it answers is what the Zod
 * schema of `spec` answers for the same environment.
 */
export function readEnvFast<S extends EnvSpec>(spec: S, env: NodeJS.ProcessEnv): EnvOf<S> | undefined {
  const present = presentVariables(env);
  const read: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(spec)) {
    const value = readFast(rule, present[name]);
    if (value === DEFER) return undefined;
    if (value !== undefined) read[name] = value;
  }
  return read as EnvOf<S>;
}

/**
 * The function's environment, read once at cold start: the fast read when it is sure, else the Zod schema
 * derived from `spec`, loaded then (a chunk of its own), which throws a `ConfigError` naming each wrong variable.
 */
export async function loadEnvOf<S extends EnvSpec>(
  spec: S,
  env: NodeJS.ProcessEnv = process.env,
): Promise<EnvOf<S>> {
  const fast = readEnvFast(spec, env);
  if (fast !== undefined) return fast;
  const { envSchema, loadEnv } = await import('./env.js');
  return loadEnv(envSchema(spec), env) as EnvOf<S>;
}
