import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { flagEnv, listEnv, settingSchema } from '../shared/config/env.js';
import * as z from '../shared/validation/zod.js';

/**
 * The deployment's settings, typed in one place. Each is a `cdk.json` context key with a default, and can be
 * overridden per deployment: `npx cdk deploy -c stage=prod -c alarmEmail=ops@example.com`. A setting the
 * functions also read (an environment variable the stack sets from it) is the functions' own definition,
 * `SETTING_RULES` (`shared/config/env-rules.ts`, through `settingSchema`): the same bounds, spellings and defaults at deploy time and at run time.
 */

/** Retention periods CloudWatch Logs accepts, in days; never-expiring logs are not offered. */
const LOG_RETENTION_DAYS = Object.values(RetentionDays).filter(
  (value): value is number => typeof value === 'number' && value !== RetentionDays.INFINITE,
);

const ACCOUNT_ID = /^\d{12}$/;
const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(root|role\/.+|user\/.+)$/;
/** A complete secret ARN ends in the 6 random characters Secrets Manager appends to the name. */
const SECRET_COMPLETE_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const CIDR = z.union([z.cidrv4(), z.cidrv6()]);
const WEB_ACL_ARN = /^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/.+$/;

/**
 * A context value as the settings read it: `-c key=` means "not set"; a `cdk.json` boolean or number is read as
 * its text, the text the stack writes into a function's environment, so that a setting the functions share
 * accepts exactly what they accept (`true`, never `1`, for a switch); a list given as JSON text
 * (`-c key='["a","b"]'`) is read as the list.
 */
function contextValue(value: unknown): unknown {
  if (value === '' || value === null) return undefined;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

const secretArn = () =>
  z.optional(
    z
      .string()
      .check(z.regex(SECRET_COMPLETE_ARN, 'expected a complete secret ARN, ending in "-" and 6 characters')),
  );

/** A throttling steady rate (requests per second), or a burst (requests, a whole number). */
const throttleRate = () => z._default(z.coerce.number().check(z.positive(), z.maximum(10_000)), 50);
const throttleBurst = () => z._default(z.coerce.number().check(z.int(), z.positive(), z.maximum(5_000)), 100);

/** The shared settings' definitions, under their context keys. */
const shared = settingSchema;

const configSchema = z.object({
  /**
   * Deployment stage, part of the stack name. `dev` and `dev-<name>` are disposable: their table, queues,
   * secret and logs are destroyed with the stack; every other stage retains them and protects the table.
   */
  stage: z._default(
    z
      .string()
      .check(
        z.regex(
          /^[a-z][a-z0-9-]{0,19}$/,
          'expected 1 to 20 lower-case letters, digits or hyphens, e.g. "prod"',
        ),
      ),
    'dev',
  ),
  fingerprintRegion: shared('fingerprintRegion'),
  fingerprintApiVersion: shared('fingerprintApiVersion'),
  fingerprintBaseUrl: shared('fingerprintBaseUrl'),
  /** An existing secret to use instead of creating one: its complete ARN. */
  fingerprintSecretArn: secretArn(),
  /**
   * Upstream requests per second the queue consumers and the HTTP function may send together: one budget
   * shared through the event table; the number of queue consumers is derived from it.
   */
  fingerprintMaxRps: shared('fingerprintMaxRps'),
  /** Capped at `eventTtlDays` by the functions. */
  fingerprintHistoryDays: shared('fingerprintHistoryDays'),
  eventTtlDays: shared('eventTtlDays'),
  /**
   * Whether the API's access log records each request's path (`$context.path`), which holds visitorIds and
   * requestIds (`/visitors/{visitorId}`, `/events/{requestId}`). `false` logs only the resource template
   * (`$context.resourcePath`, e.g. `/visitors/{visitorId}`), so erasure needs nothing from the access log
   * (docs/privacy.md). A switch spelled as every other (`flagEnv`).
   */
  accessLogPathsEnabled: flagEnv(true),
  /** Retention of the functions' and the API's logs. */
  logRetentionDays: z._default(
    z.coerce.number().check(
      z.int(),
      z.refine((days: number) => LOG_RETENTION_DAYS.includes(days), {
        message: `expected one of ${LOG_RETENTION_DAYS.join(', ')}`,
      }),
    ),
    30,
  ),
  logLevel: shared('logLevel'),
  secretCacheSeconds: shared('secretCacheSeconds'),
  /**
   * Who may call the API and send to the enrich queue: 12-digit account ids and IAM role or user ARNs. Empty
   * means the deploying account only.
   */
  allowedPrincipals: listEnv(
    (value) => ACCOUNT_ID.test(value) || IAM_PRINCIPAL_ARN.test(value),
    'expected a 12-digit account id or an IAM role, user or root ARN',
  ),
  /** Where alarms are e-mailed; the SNS topic exists either way. */
  alarmEmail: z.optional(z.email()),
  corsAllowOrigins: shared('corsAllowOrigins'),
  /** Stage-wide steady request rate and burst (API Gateway throttling). */
  apiThrottleRateLimit: throttleRate(),
  apiThrottleBurstLimit: throttleBurst(),
  /** A regional AWS WAF web ACL to associate with the API stage. */
  wafWebAclArn: z.optional(z.string().check(z.regex(WEB_ACL_ARN, 'expected a regional WAFv2 web ACL ARN'))),
  readThroughEnabled: shared('readThroughEnabled'),
  /** Keeps v4 events as received, compressed, on their item (docs/storage.md). */
  storeUpstreamEvents: shared('storeUpstreamEvents'),
  /** Off by default: it deletes data outside this stack. */
  upstreamErasureEnabled: shared('upstreamErasureEnabled'),
  /** An existing secret to use as the webhook secret instead of creating one: its complete ARN. */
  webhookSecretArn: secretArn(),
  /**
   * An existing secret to use as the keys of sealed client results instead of creating one: its complete ARN.
   */
  sealedKeysSecretArn: secretArn(),
  webhookBasicAuthEnabled: shared('webhookBasicAuthEnabled'),
  /**
   * Steady requests per second and burst of `POST /webhooks/fingerprint`, apart from the stage's: Fingerprint
   * delivers one request per identification, so set them above your peak identification rate.
   */
  webhookThrottleRateLimit: throttleRate(),
  webhookThrottleBurstLimit: throttleBurst(),
  /**
   * Source address ranges (IPv4 or IPv6 CIDR) the API's resource policy admits `POST /webhooks/fingerprint`
   * from, e.g. Fingerprint's published webhook addresses. Empty: from anywhere (the HMAC still applies).
   */
  webhookAllowedSourceCidrs: listEnv(
    (value) => z.safeParse(CIDR, value).success,
    'expected an IPv4 or IPv6 CIDR range such as 203.0.113.0/24 or 2001:db8::/32 (one address: /32 or /128)',
  ),
  webhookMaxEventAgeSeconds: shared('webhookMaxEventAgeSeconds'),
});

/** The validated settings of one deployment. */
export type ServiceConfig = z.output<typeof configSchema>;

/** The context keys read, exactly the fields of {@link ServiceConfig}. */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof ServiceConfig)[];

/** Invalid deployment settings; the message names every wrong context key and why. */
export class InfraConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InfraConfigError';
  }
}

/**
 * Reads every setting through `readContext` (e.g. `key => app.node.tryGetContext(key)`), applies defaults and
 * validates, or throws an {@link InfraConfigError} naming each wrong key.
 */
export function loadConfig(readContext: (key: string) => unknown): ServiceConfig {
  const raw = Object.fromEntries(CONFIG_KEYS.map((key) => [key, contextValue(readContext(key))]));
  const result = z.safeParse(configSchema, raw);
  if (result.success) {
    for (const prefix of ['api', 'webhook'] as const) {
      if (result.data[`${prefix}ThrottleBurstLimit`] < result.data[`${prefix}ThrottleRateLimit`]) {
        throw new InfraConfigError(
          `Invalid context: ${prefix}ThrottleBurstLimit must be at least ${prefix}ThrottleRateLimit (set it with -c ${prefix}ThrottleBurstLimit=<n>).`,
        );
      }
    }
    return result.data;
  }
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new InfraConfigError(
    `Invalid context: ${problems.join('; ')}. Fix it in cdk.json or with -c <key>=<value>.`,
  );
}

/** Whether a stage is disposable: `dev` or `dev-<name>`. */
export function isDevStage(stage: string): boolean {
  return /^dev(-|$)/.test(stage);
}
