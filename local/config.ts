import path from 'node:path';
import { parseArgs } from 'node:util';
import { ENRICH_HTTP_ENV } from '../functions/enrich/http-env.js';
import { ENRICH_QUEUE_ENV } from '../functions/enrich/queue-env.js';
import { StaticWebhookSecrets, WebhookSecretError } from '../functions/webhook/credentials.js';
import { WEBHOOK_ENV } from '../functions/webhook/env.js';
import { REPOSITORY_ROOT } from '../infra/bundling.js';
import { ConfigError, envSchema, flagEnv, loadEnv, schemaOf, wholeNumberEnv } from '../shared/config/env.js';
import { SealedKeysUnavailableError } from '../shared/domain/errors.js';
import { StaticSealedKeys } from '../shared/fingerprint/sealed-keys.js';
import type { ApiVersion, Region } from '../shared/fingerprint/types.js';
import * as z from '../shared/validation/zod.js';

export const DEFAULT_PORT = 3000;
export const DEFAULT_TABLE_NAME = 'fingerprint-events';

/**
 * The local server's environment: the cloud functions' own settings (same names, defaults and checks, taken
 * from the shared schemas) plus what only a local run has. The shared schemas use Zod's mini API, whose
 * `pick` and `extend` are functions rather than methods.
 */
const localEnvSchema = z.extend(
  z.pick(envSchema(ENRICH_QUEUE_ENV), {
    EVENT_TTL_DAYS: true,
    LOG_LEVEL: true,
    FINGERPRINT_REGION: true,
    FINGERPRINT_API_VERSION: true,
    FINGERPRINT_BASE_URL: true,
    FINGERPRINT_MAX_RPS: true,
    FINGERPRINT_HISTORY_DAYS: true,
    QUEUE_MAX_CONCURRENCY: true,
  }),
  {
    /** 0 picks a free port; the banner and the "listening" log line say which. */
    PORT: wholeNumberEnv(0, 65_535, DEFAULT_PORT),
    TABLE_NAME: z._default(z.string().check(z.regex(/^[A-Za-z0-9_.-]{3,255}$/)), DEFAULT_TABLE_NAME),
    /** A real secret API key: with it (and no base URL) the real Server API is called. */
    FINGERPRINT_SECRET_API_KEY: z.optional(z.string().check(z.minLength(1))),
    /** Where data is kept between runs. @default `<repository>/.data` */
    LOCAL_DATA_DIR: z.optional(z.string().check(z.minLength(1))),
    /** A throwaway store: nothing is read from or written to disk. */
    LOCAL_IN_MEMORY: flagEnv(false),
    READ_THROUGH_ENABLED: schemaOf(ENRICH_HTTP_ENV.READ_THROUGH_ENABLED),
    STORE_UPSTREAM_EVENTS: schemaOf(ENRICH_HTTP_ENV.STORE_UPSTREAM_EVENTS),
    UPSTREAM_ERASURE_ENABLED: schemaOf(ENRICH_HTTP_ENV.UPSTREAM_ERASURE_ENABLED),
    /**
     * The webhook secret's value itself (what the cloud keeps in the secret named by
     * FINGERPRINT_WEBHOOK_SECRET_ID): without it, `POST /webhooks/fingerprint` refuses every delivery.
     */
    FINGERPRINT_WEBHOOK_SECRET: z.optional(z.string().check(z.minLength(1))),
    /**
     * The keys that open sealed client results, comma-separated base64 (what the cloud keeps in the secret
     * named by FINGERPRINT_SEALED_KEYS_SECRET_ID): without them, a `sealedResult` is refused.
     */
    FINGERPRINT_SEALED_KEYS: z.optional(z.string().check(z.minLength(1))),
    WEBHOOK_BASIC_AUTH_ENABLED: schemaOf(WEBHOOK_ENV.WEBHOOK_BASIC_AUTH_ENABLED),
    WEBHOOK_MAX_EVENT_AGE_SECONDS: schemaOf(WEBHOOK_ENV.WEBHOOK_MAX_EVENT_AGE_SECONDS),
  },
);

/** Where the enrich functions send their Server API calls. */
export type UpstreamConfig =
  /** The Server API of `region`, with a real key. */
  | { kind: 'fingerprint'; apiKey: string }
  /** `FINGERPRINT_BASE_URL`, with the real key if one is set. */
  | { kind: 'custom'; baseUrl: string; apiKey?: string }
  /** The deterministic sandbox started by the local server. */
  | { kind: 'sandbox' };

export interface LocalConfig {
  port: number;
  /** `undefined` keeps everything in memory. */
  dataDir: string | undefined;
  tableName: string;
  eventTtlDays: number;
  logLevel: z.output<typeof localEnvSchema>['LOG_LEVEL'];
  apiVersion: ApiVersion;
  region: Region;
  maxRps: number;
  /** `FINGERPRINT_HISTORY_DAYS`. */
  historyDays: number;
  queueMaxConcurrency: number;
  upstream: UpstreamConfig;
  /** `READ_THROUGH_ENABLED`. */
  readThrough: boolean;
  /** `STORE_UPSTREAM_EVENTS`. */
  storeUpstream: boolean;
  /** `UPSTREAM_ERASURE_ENABLED`. */
  upstreamErasure: boolean;
  /** Parsed from `FINGERPRINT_SEALED_KEYS`; absent when it is not set. */
  sealedKeys?: StaticSealedKeys;
  webhook: {
    /** Parsed from `FINGERPRINT_WEBHOOK_SECRET`; absent when it is not set. */
    secrets?: StaticWebhookSecrets;
    /** `WEBHOOK_BASIC_AUTH_ENABLED`. */
    basicAuth: boolean;
    /** `WEBHOOK_MAX_EVENT_AGE_SECONDS`. */
    maxEventAgeSeconds: number;
  };
}

export const USAGE = `Usage: npm start -- [options]

Serves the whole API on http://127.0.0.1:$PORT (3000 by default) with an embedded DynamoDB.

Options:
  --in-memory        keep nothing on disk (same as LOCAL_IN_MEMORY=true)
  --data-dir <path>  where data survives restarts (LOCAL_DATA_DIR; default .data/ in the repository)
  --sandbox          use the sandbox Server API even when FINGERPRINT_SECRET_API_KEY is set
  -h, --help         show this help

Environment: PORT, TABLE_NAME, EVENT_TTL_DAYS, LOG_LEVEL, FINGERPRINT_SECRET_API_KEY, FINGERPRINT_REGION,
FINGERPRINT_API_VERSION, FINGERPRINT_BASE_URL, FINGERPRINT_MAX_RPS, FINGERPRINT_HISTORY_DAYS, QUEUE_MAX_CONCURRENCY,
READ_THROUGH_ENABLED, STORE_UPSTREAM_EVENTS, UPSTREAM_ERASURE_ENABLED, FINGERPRINT_WEBHOOK_SECRET,
WEBHOOK_BASIC_AUTH_ENABLED, WEBHOOK_MAX_EVENT_AGE_SECONDS, FINGERPRINT_SEALED_KEYS (see "Run it locally" in README.md).`;

/** What the command line asked for: a run, or the usage text. */
export type LocalCommand = { kind: 'help' } | { kind: 'run'; config: LocalConfig };

/**
 * Reads the command line and the environment.
 * @throws ConfigError naming the wrong option or variable.
 */
export function loadLocalConfig(argv: readonly string[], env: NodeJS.ProcessEnv): LocalCommand {
  let values: { 'in-memory'?: boolean; 'data-dir'?: string; sandbox?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        'in-memory': { type: 'boolean' },
        'data-dir': { type: 'string' },
        sandbox: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return { kind: 'help' };

  const settings = loadEnv(localEnvSchema, env);
  const inMemory = values['in-memory'] === true || settings.LOCAL_IN_MEMORY;
  const requestedDir = values['data-dir'] ?? settings.LOCAL_DATA_DIR;
  if (inMemory && values['data-dir'] !== undefined) {
    throw new ConfigError('--in-memory and --data-dir contradict each other: pass one of them.');
  }
  return {
    kind: 'run',
    config: {
      port: settings.PORT,
      dataDir: inMemory ? undefined : path.resolve(requestedDir ?? path.join(REPOSITORY_ROOT, '.data')),
      tableName: settings.TABLE_NAME,
      eventTtlDays: settings.EVENT_TTL_DAYS,
      logLevel: settings.LOG_LEVEL,
      apiVersion: settings.FINGERPRINT_API_VERSION,
      region: settings.FINGERPRINT_REGION,
      maxRps: settings.FINGERPRINT_MAX_RPS,
      historyDays: settings.FINGERPRINT_HISTORY_DAYS,
      queueMaxConcurrency: settings.QUEUE_MAX_CONCURRENCY,
      upstream: upstreamFrom(settings, values.sandbox === true),
      readThrough: settings.READ_THROUGH_ENABLED,
      storeUpstream: settings.STORE_UPSTREAM_EVENTS,
      upstreamErasure: settings.UPSTREAM_ERASURE_ENABLED,
      ...(settings.FINGERPRINT_SEALED_KEYS !== undefined && {
        sealedKeys: sealedKeysFrom(settings.FINGERPRINT_SEALED_KEYS),
      }),
      webhook: {
        ...(settings.FINGERPRINT_WEBHOOK_SECRET !== undefined && {
          secrets: webhookSecretsFrom(settings.FINGERPRINT_WEBHOOK_SECRET),
        }),
        basicAuth: settings.WEBHOOK_BASIC_AUTH_ENABLED,
        maxEventAgeSeconds: settings.WEBHOOK_MAX_EVENT_AGE_SECONDS,
      },
    },
  };
}

/** A webhook secret that cannot be used stops the start, naming the variable (never its value). */
function webhookSecretsFrom(raw: string): StaticWebhookSecrets {
  try {
    return new StaticWebhookSecrets(raw);
  } catch (error) {
    if (error instanceof WebhookSecretError) throw new ConfigError(error.message);
    throw error;
  }
}

/** Keys that cannot be used stop the start, naming the variable and the key's position (never a value). */
function sealedKeysFrom(raw: string): StaticSealedKeys {
  try {
    return new StaticSealedKeys(raw);
  } catch (error) {
    if (error instanceof SealedKeysUnavailableError) throw new ConfigError(error.message);
    throw error;
  }
}

function upstreamFrom(
  settings: { FINGERPRINT_SECRET_API_KEY?: string | undefined; FINGERPRINT_BASE_URL?: string | undefined },
  forceSandbox: boolean,
): UpstreamConfig {
  const apiKey = settings.FINGERPRINT_SECRET_API_KEY?.trim();
  if (forceSandbox) return { kind: 'sandbox' };
  if (settings.FINGERPRINT_BASE_URL !== undefined) {
    return { kind: 'custom', baseUrl: settings.FINGERPRINT_BASE_URL, ...(apiKey && { apiKey }) };
  }
  if (apiKey) return { kind: 'fingerprint', apiKey };
  return { kind: 'sandbox' };
}
