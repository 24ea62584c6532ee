import { assertNever } from '../domain/errors.js';
import * as z from '../validation/zod.js';
import {
  COMMON_ENV,
  CORS_ENV,
  type EnvOf,
  type EnvRule,
  type EnvSpec,
  type EnvValue,
  FINGERPRINT_ENV,
  flag,
  isKeySafeUrl,
  type KeySafeUrlRule,
  type ListRule,
  list,
  listItems,
  presentVariables,
  SETTING_RULES,
  STORE_UPSTREAM_ENV,
  type TextRule,
  wholeNumber,
} from './env-rules.js';

/**
 * Loading a function's environment, and the settings several functions share, as Zod schemas. Each variable's
 * rule is data (`shared/config/env-rules.ts`), from which this module derives its schema: the one validator of
 * what a variable accepts, its value and its message, which the fast read at cold start (`readEnvFast`) defers
 * to whenever it is not sure. Each function's variables live beside its handler (`functions/<name>/env.ts`, or
 * `http-env.ts` and `queue-env.ts` for the enrich function's two triggers) and are read once at cold start; the
 * CDK stack types the `environment` it gives each function from the same schema (`z.input<…>`), so a missing
 * variable is a compile error in `infra/` and a loud, named error at cold start anywhere else. A setting a
 * deployment chooses is defined once, in {@link SETTINGS}, which the stack's context (`infra/config.ts`) reads
 * with too.
 */

/** The Zod schema of a variable of rule `R`: its output is the rule's value; a default or optional one may be unset. */
export type SchemaOf<R extends EnvRule> = R extends KeySafeUrlRule
  ? z.ZodMiniOptional<z.ZodMiniType<string, unknown>>
  : R extends TextRule
    ? R['optional'] extends true
      ? z.ZodMiniOptional<z.ZodMiniType<string, unknown>>
      : z.ZodMiniType<string, unknown>
    : R extends { kind: 'url' }
      ? z.ZodMiniType<string, unknown>
      : z.ZodMiniDefault<z.ZodMiniType<EnvValue<R>, unknown>>;

/** The Zod schema of a function's environment, `spec`. */
export type EnvSchema<S extends EnvSpec> = z.ZodMiniObject<{ -readonly [K in keyof S]: SchemaOf<S[K]> }>;

/** A list setting's schema: each item must pass the rule's `isItem`, or the list is refused, naming the item's index. */
function listSchema(rule: ListRule) {
  return z._default(
    z.transform((value: unknown, context) => {
      const items = listItems(value);
      items.forEach((item, index) => {
        if (typeof item !== 'string' || !rule.isItem(item)) {
          context.issues.push({ code: 'custom', message: rule.message, input: item, path: [index] });
        }
      });
      return items as string[];
    }),
    [],
  );
}

/** The schema of a variable of rule `rule`: where its bounds, spellings, default and messages become Zod. */
export function schemaOf<R extends EnvRule>(rule: R): SchemaOf<R> {
  const schema = (): z.ZodMiniType => {
    switch (rule.kind) {
      case 'wholeNumber':
        return z._default(
          z.coerce.number().check(z.int(), z.minimum(rule.min), z.maximum(rule.max)),
          rule.default,
        );
      case 'flag':
        // The one spelling of every switch, at run time and in the CDK context alike (which reads a
        // `cdk.json` boolean as the text the stack writes for it).
        return z._default(
          z.stringbool({ truthy: ['true'], falsy: ['false'], error: 'expected true or false' }),
          rule.default,
        );
      case 'choice':
        return z._default(
          rule.anyCase === true
            ? z.pipe(
                z.pipe(
                  z.string(),
                  z.transform((value: string) => value.toUpperCase()),
                ),
                z.enum(rule.values),
              )
            : z.enum(rule.values),
          rule.default,
        );
      case 'text':
        return rule.optional
          ? z.optional(z.string().check(z.minLength(1)))
          : z.string().check(z.minLength(1));
      case 'url':
        return z.url();
      case 'keySafeUrl':
        return z.optional(
          z
            .url({ protocol: /^https?$/ })
            .check(
              z.refine(
                isKeySafeUrl,
                'expected an https URL (plain http only to localhost, 127.0.0.1 or [::1]): the secret API key is sent with every call',
              ),
            ),
        );
      case 'list':
        return listSchema(rule);
      default:
        return assertNever(rule);
    }
  };
  return schema() as SchemaOf<R>;
}

/** The Zod schema of a function's environment: each variable's {@link schemaOf}. */
export function envSchema<S extends EnvSpec>(spec: S): EnvSchema<S> {
  return z.object(
    Object.fromEntries(Object.entries(spec).map(([name, rule]) => [name, schemaOf(rule)])),
  ) as unknown as EnvSchema<S>;
}

/** The schemas of a group of variables, to spread into an object schema. */
const schemasOf = <S extends EnvSpec>(spec: S) =>
  Object.fromEntries(Object.entries(spec).map(([name, rule]) => [name, schemaOf(rule)])) as {
    -readonly [K in keyof S]: SchemaOf<S[K]>;
  };

/** A whole number between `min` and `max`, `defaultValue` when unset. */
export const wholeNumberEnv = (min: number, max: number, defaultValue: number) =>
  schemaOf(wholeNumber(min, max, defaultValue));

/** A switch: `true` or `false`, in any case. */
export const flagEnv = (defaultValue: boolean) => schemaOf(flag(defaultValue));

/**
 * A list: comma-separated text (an environment variable, `-c key=a,b`), or an array (a `cdk.json` list, whose
 * items may hold commas). Items are trimmed and empty ones dropped; each must be text that passes `isItem`, or
 * the list is refused with `message`, naming the item's index.
 */
export const listEnv = (isItem: (item: string) => boolean, message: string) =>
  schemaOf(list(isItem, message));

type SettingRules = typeof SETTING_RULES;

/** The schema of the shared setting `name`, built when called (a bundle builds only what it calls). */
const settingSchema =
  <K extends keyof SettingRules>(name: K) =>
  (): SchemaOf<SettingRules[K]> =>
    schemaOf(SETTING_RULES[name]);

/**
 * Every setting the functions read that a deployment also chooses, defined once (`SETTING_RULES`): the same
 * schema reads the environment variable at run time (`variable`) and the CDK context key of the same name at
 * deploy time (`infra/config.ts`), so the two accept the same values, with the same defaults.
 */
export const SETTINGS = {
  eventTtlDays: { variable: 'EVENT_TTL_DAYS', schema: settingSchema('eventTtlDays') },
  logLevel: { variable: 'LOG_LEVEL', schema: settingSchema('logLevel') },
  fingerprintRegion: { variable: 'FINGERPRINT_REGION', schema: settingSchema('fingerprintRegion') },
  fingerprintApiVersion: {
    variable: 'FINGERPRINT_API_VERSION',
    schema: settingSchema('fingerprintApiVersion'),
  },
  fingerprintBaseUrl: { variable: 'FINGERPRINT_BASE_URL', schema: settingSchema('fingerprintBaseUrl') },
  fingerprintMaxRps: { variable: 'FINGERPRINT_MAX_RPS', schema: settingSchema('fingerprintMaxRps') },
  fingerprintHistoryDays: {
    variable: 'FINGERPRINT_HISTORY_DAYS',
    schema: settingSchema('fingerprintHistoryDays'),
  },
  secretCacheSeconds: { variable: 'SECRET_CACHE_SECONDS', schema: settingSchema('secretCacheSeconds') },
  storeUpstreamEvents: { variable: 'STORE_UPSTREAM_EVENTS', schema: settingSchema('storeUpstreamEvents') },
  readThroughEnabled: { variable: 'READ_THROUGH_ENABLED', schema: settingSchema('readThroughEnabled') },
  upstreamErasureEnabled: {
    variable: 'UPSTREAM_ERASURE_ENABLED',
    schema: settingSchema('upstreamErasureEnabled'),
  },
  webhookBasicAuthEnabled: {
    variable: 'WEBHOOK_BASIC_AUTH_ENABLED',
    schema: settingSchema('webhookBasicAuthEnabled'),
  },
  webhookMaxEventAgeSeconds: {
    variable: 'WEBHOOK_MAX_EVENT_AGE_SECONDS',
    schema: settingSchema('webhookMaxEventAgeSeconds'),
  },
  corsAllowOrigins: { variable: 'CORS_ALLOW_ORIGINS', schema: settingSchema('corsAllowOrigins') },
} as const satisfies { [K in keyof SettingRules]: { variable: string; schema: () => z.ZodMiniType } };

/** The name of a setting shared by the functions and the deployment (its CDK context key). */
export type SettingName = keyof typeof SETTINGS;

/** What every function has: its table, the events' retention and the log level. */
export const commonEnv = () => schemasOf(COMMON_ENV);

/** `STORE_UPSTREAM_EVENTS`, see {@link SETTINGS}. */
export const storeUpstreamEnv = () => schemasOf(STORE_UPSTREAM_ENV);

/** What every function that calls the Fingerprint Server API has. */
export const fingerprintEnv = () => schemasOf(FINGERPRINT_ENV);

/** What every HTTP function with IAM routes has: the browser origins allowed by CORS. */
export const corsEnv = () => schemasOf(CORS_ENV);

/** The settings of a function that calls the Fingerprint Server API, as parsed. */
export type { FingerprintCallerEnv } from './env-rules.js';

/** The environment of spec `S` as read. */
export type { EnvOf };

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
  const result = z.safeParse(schema, presentVariables(env));
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid environment: ${problems.join('; ')}`);
}
