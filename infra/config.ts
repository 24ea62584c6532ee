import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import { WEBHOOK_MAX_EVENT_AGE_SECONDS } from '../functions/webhook/env.js';
import { API_VERSIONS, REGIONS } from '../shared/fingerprint/types.js';
import { LOG_LEVELS } from '../shared/observability/logger.js';

/**
 * The deployment's settings, typed in one place. Each is a `cdk.json` context key with a default, and can be
 * overridden per deployment: `npx cdk deploy -c stage=prod -c alarmEmail=ops@example.com`.
 */

/** Retention periods CloudWatch Logs accepts, in days; never-expiring logs are not offered. */
const LOG_RETENTION_DAYS = Object.values(RetentionDays).filter(
  (value): value is number => typeof value === 'number' && value !== RetentionDays.INFINITE,
);

const ACCOUNT_ID = /^\d{12}$/;
const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(root|role\/.+|user\/.+)$/;
/** A complete secret ARN ends in the 6 random characters Secrets Manager appends to the name. */
const SECRET_COMPLETE_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const WEB_ACL_ARN = /^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/.+$/;

/** A switch from `cdk.json` (a boolean) or `-c key=true|false` (text). */
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);

/** `-c key=` on the command line means "not set". */
const blankAsUnset = (value: unknown) => (value === '' || value === null ? undefined : value);

/** A list from `cdk.json` (a JSON array) or from `-c key=a,b` (comma-separated text, or a JSON array as text). */
const list = <T extends z.ZodType<string>>(item: T) =>
  z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    const text = value.trim();
    if (text.startsWith('[')) {
      try {
        return JSON.parse(text);
      } catch {
        return value;
      }
    }
    return text === '' ? [] : text.split(',').map((part) => part.trim());
  }, z.array(item));

const configSchema = z.object({
  /**
   * Deployment stage, part of the stack name. `dev` and `dev-<name>` are disposable: their table, queues,
   * secret and logs are destroyed with the stack; every other stage retains them and protects the table.
   */
  stage: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,19}$/, 'expected 1 to 20 lower-case letters, digits or hyphens, e.g. "prod"')
    .default('dev'),
  /** The Fingerprint region of the workspace whose secret key is used. */
  fingerprintRegion: z.enum(Object.values(REGIONS)).default(REGIONS.us),
  fingerprintApiVersion: z.enum(Object.values(API_VERSIONS)).default(API_VERSIONS.v4),
  /** Overrides the region's Server API host, e.g. a proxy. */
  fingerprintBaseUrl: z.url({ protocol: /^https$/ }).optional(),
  /** An existing secret to use instead of creating one: its complete ARN. */
  fingerprintSecretArn: z
    .string()
    .regex(SECRET_COMPLETE_ARN, 'expected a complete secret ARN, ending in "-" and 6 characters')
    .optional(),
  /**
   * Upstream requests per second the queue consumers may send together (Fingerprint's default is 5). A whole
   * number of at least 2, so that the event source's two or more consumers can share it evenly.
   */
  fingerprintMaxRps: z.coerce.number().int().min(2).max(1000).default(5),
  /**
   * Days a visitorId or linkedId history reaches back at Fingerprint: its retention, 30 days by default and 90
   * or more on Enterprise plans. Capped at `eventTtlDays` by the functions.
   */
  fingerprintHistoryDays: z.coerce.number().int().min(1).max(3650).default(30),
  /** Days a stored event is served and kept, counted from the event's timestamp. */
  eventTtlDays: z.coerce.number().int().min(1).max(3650).default(90),
  /**
   * Whether the API's access log records each request's path (`$context.path`), which holds visitorIds and
   * requestIds (`/visitors/{visitorId}`, `/events/{requestId}`). `false` logs only the resource template
   * (`$context.resourcePath`, e.g. `/visitors/{visitorId}`), so erasure needs nothing from the access log
   * (docs/privacy.md).
   */
  accessLogPathsEnabled: flag.default(true),
  /** Retention of the functions' and the API's logs. */
  logRetentionDays: z.coerce
    .number()
    .int()
    .refine((days) => LOG_RETENTION_DAYS.includes(days), {
      message: `expected one of ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .default(30),
  logLevel: z
    .string()
    .transform((value) => value.toUpperCase())
    .pipe(z.enum(LOG_LEVELS))
    .default('INFO'),
  secretCacheSeconds: z.coerce.number().int().min(0).max(86_400).default(300),
  /**
   * Who may call the API and send to the enrich queue: 12-digit account ids and IAM role or user ARNs. Empty
   * means the deploying account only.
   */
  allowedPrincipals: list(
    z.string().refine((value) => ACCOUNT_ID.test(value) || IAM_PRINCIPAL_ARN.test(value), {
      message: 'expected a 12-digit account id or an IAM role, user or root ARN',
    }),
  ).default([]),
  /** Where alarms are e-mailed; the SNS topic exists either way. */
  alarmEmail: z.email().optional(),
  /** Browser origins allowed by CORS; empty turns CORS off. */
  corsAllowOrigins: list(z.url({ protocol: /^https?$/ })).default([]),
  /** Stage-wide steady request rate and burst (API Gateway throttling). */
  apiThrottleRateLimit: z.coerce.number().positive().max(10_000).default(50),
  apiThrottleBurstLimit: z.coerce.number().int().positive().max(5_000).default(100),
  /** A regional AWS WAF web ACL to associate with the API stage. */
  wafWebAclArn: z.string().regex(WEB_ACL_ARN, 'expected a regional WAFv2 web ACL ARN').optional(),
  /** `GET /events/{requestId}` resolves a cache miss through the Server API and stores it. */
  readThroughEnabled: flag.default(true),
  /**
   * Events that reach the stack in Fingerprint's v4 form (Server API v4, v4 webhooks) are also kept as received,
   * compressed, on their item, so `GET /v4/events/…` serves them losslessly. `false` keeps the normalized view
   * only: smaller items (docs/storage.md), v4 answers rendered from it.
   */
  storeUpstreamEvents: flag.default(true),
  /**
   * `DELETE /visitors/{visitorId}?upstream=true` may also ask Fingerprint to delete the visitor's data (its
   * Delete API, enabled by Fingerprint on request). Off by default: it deletes data outside this stack.
   */
  upstreamErasureEnabled: flag.default(false),
  /** An existing secret to use as the webhook secret instead of creating one: its complete ARN. */
  webhookSecretArn: z
    .string()
    .regex(SECRET_COMPLETE_ARN, 'expected a complete secret ARN, ending in "-" and 6 characters')
    .optional(),
  /**
   * An existing secret to use as the keys of sealed client results instead of creating one: its complete ARN.
   */
  sealedKeysSecretArn: z
    .string()
    .regex(SECRET_COMPLETE_ARN, 'expected a complete secret ARN, ending in "-" and 6 characters')
    .optional(),
  /** `POST /webhooks/fingerprint` also requires the basic auth credentials kept in the webhook secret. */
  webhookBasicAuthEnabled: flag.default(false),
  /**
   * Steady requests per second and burst of `POST /webhooks/fingerprint`, apart from the stage's: Fingerprint
   * delivers one request per identification, so set them above your peak identification rate.
   */
  webhookThrottleRateLimit: z.coerce.number().positive().max(10_000).default(50),
  webhookThrottleBurstLimit: z.coerce.number().int().positive().max(5_000).default(100),
  /**
   * Source address ranges (IPv4 or IPv6 CIDR) the API's resource policy admits `POST /webhooks/fingerprint`
   * from, e.g. Fingerprint's published webhook addresses. Empty: from anywhere (the HMAC still applies).
   */
  webhookAllowedSourceCidrs: list(
    z.union([z.cidrv4(), z.cidrv6()], {
      error:
        'expected an IPv4 or IPv6 CIDR range such as 203.0.113.0/24 or 2001:db8::/32 (one address: /32 or /128)',
    }),
  ).default([]),
  /** Deliveries of events older than this many seconds are acknowledged without being stored. */
  webhookMaxEventAgeSeconds: z.coerce
    .number()
    .int()
    .min(WEBHOOK_MAX_EVENT_AGE_SECONDS.min)
    .max(WEBHOOK_MAX_EVENT_AGE_SECONDS.max)
    .default(WEBHOOK_MAX_EVENT_AGE_SECONDS.default),
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
  const raw = Object.fromEntries(CONFIG_KEYS.map((key) => [key, blankAsUnset(readContext(key))]));
  const result = configSchema.safeParse(raw);
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
