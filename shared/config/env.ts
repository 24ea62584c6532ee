import { LogLevel } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { API_VERSIONS, REGIONS } from '../fingerprint/types.js';

/**
 * Each function's environment, as Zod schemas parsed once at cold start. The CDK stack types the
 * `environment` it gives each function from the same schemas (`z.input<…>`), so a missing variable is a
 * compile error in `infra/` and a loud, named error at cold start anywhere else.
 */

const positiveInt = (defaultValue: number, max: number) =>
  z.coerce.number().int().min(1).max(max).default(defaultValue);

const common = {
  TABLE_NAME: z.string().min(1),
  /** Retention of a stored event, counted from the event's timestamp. */
  EVENT_TTL_DAYS: positiveInt(90, 3650),
  LOG_LEVEL: z
    .string()
    .transform((value) => value.toUpperCase())
    .pipe(z.enum(Object.values(LogLevel)))
    .default(LogLevel.INFO),
};

/** What every function that calls the Fingerprint Server API needs. */
const fingerprint = {
  /** Secrets Manager name or ARN of the secret API key. */
  FINGERPRINT_SECRET_ID: z.string().min(1),
  FINGERPRINT_REGION: z.enum(Object.values(REGIONS)).default(REGIONS.us),
  FINGERPRINT_API_VERSION: z.enum(Object.values(API_VERSIONS)).default(API_VERSIONS.v4),
  /** Overrides the region's host (local runs, tests, a proxy). */
  FINGERPRINT_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Fingerprint's default limit is 5 requests/s; raise it only with a plan that allows more. */
  FINGERPRINT_MAX_RPS: z.coerce.number().int().min(1).max(1000).default(5),
  SECRET_CACHE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
};

export const queryEnvSchema = z.object(common);

export const enrichHttpEnvSchema = z.object({ ...common, ...fingerprint });

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
  QUEUE_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(1),
});

export type QueryEnv = z.output<typeof queryEnvSchema>;
export type EnrichHttpEnv = z.output<typeof enrichHttpEnvSchema>;
export type EnrichQueueEnv = z.output<typeof enrichQueueEnvSchema>;

/** A missing or invalid environment variable; the message names every one that is wrong. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses `env` with `schema`, or throws a {@link ConfigError} naming each wrong variable and why. */
export function loadEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid environment: ${problems.join('; ')}`);
}
