import { assertNever } from '../domain/errors.js';
import * as z from '../validation/zod.js';
import {
  type EnvOf,
  type EnvRule,
  type EnvSpec,
  type EnvValue,
  flag,
  isKeySafeUrl,
  type KeySafeUrlRule,
  type ListRule,
  list,
  listItems,
  presentVariables,
  SETTING_RULES,
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
 * deployment chooses is defined once, in `SETTING_RULES`, which the stack's context (`infra/config.ts`) reads
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

/** The name of a setting shared by the functions and the deployment: its CDK context key. */
export type SettingName = keyof typeof SETTING_RULES;

/**
 * The Zod schema of the shared setting `name` (`SETTING_RULES`): the functions read their variable of that rule
 * with it at run time, and `infra/config.ts` the context key `name` at deploy time, so the two accept the same
 * values, with the same defaults. Built when called (a bundle builds only what it calls).
 */
export const settingSchema = <K extends SettingName>(name: K): SchemaOf<(typeof SETTING_RULES)[K]> =>
  schemaOf(SETTING_RULES[name]);

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
