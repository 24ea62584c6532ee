import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, type SendMessageCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import { type DynaliteHandle, startDynalite } from './dynalite.js';
import { type FakeFingerprint, startFakeFingerprint } from './fake-fingerprint.js';

export const SECRET_ID = 'fingerprint/secret-api-key';
export const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/enrich-dlq';
/** Looks like a real Fingerprint secret key, so a leak of it is easy to spot in captured output. */
export const API_KEY = 'fpsk_LeakCanary_7mQ2xV9rT4kP8wZ3';

export const WEBHOOK_SECRET_ID = 'fingerprint/webhook-secret';
/**
 * The webhook signing secret the service starts with. Shaped like a Fingerprint key so that the leak guard
 * fails any test whose output or answers carry it.
 */
export const WEBHOOK_SECRET = 'fpsk_WebhookCanary_5hT8mQ2vX7';

export interface ServiceOptions {
  apiVersion?: 'v3' | 'v4';
  env?: Record<string, string>;
  /** The webhook secret's value (plain or JSON). @default {@link WEBHOOK_SECRET} */
  webhookSecret?: string;
}

/**
 * The four real handlers, loaded fresh as at a cold start, wired to dynalite and the fake Server API on
 * loopback. Secrets Manager and SQS cannot run here, so they are mocked: the secret answers the fake
 * upstream's key, and dead-lettered messages are recorded.
 */
export async function startService(options: ServiceOptions = {}) {
  const dynamo = await startDynalite();
  const tableName = await dynamo.createTable();
  const upstream = await startFakeFingerprint({ apiKey: API_KEY });

  const secrets = mockClient(SecretsManagerClient);
  secrets
    .on(GetSecretValueCommand, { SecretId: SECRET_ID })
    .callsFake(() => ({ SecretString: upstream.apiKey }));
  let webhookSecret = options.webhookSecret ?? WEBHOOK_SECRET;
  secrets
    .on(GetSecretValueCommand, { SecretId: WEBHOOK_SECRET_ID })
    .callsFake(() => ({ SecretString: webhookSecret }));
  const sqs = mockClient(SQSClient);
  const deadLettered: SendMessageCommandInput[] = [];
  sqs.on(SendMessageCommand).callsFake((input: SendMessageCommandInput) => {
    deadLettered.push(input);
    return { MessageId: `dlq-${deadLettered.length}` };
  });

  const restoreEnv = setEnv({
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
    AWS_SECRET_ACCESS_KEY: 'local-secret',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    TABLE_NAME: tableName,
    FINGERPRINT_SECRET_ID: SECRET_ID,
    FINGERPRINT_WEBHOOK_SECRET_ID: WEBHOOK_SECRET_ID,
    FINGERPRINT_BASE_URL: upstream.baseUrl,
    FINGERPRINT_API_VERSION: options.apiVersion ?? 'v4',
    DEAD_LETTER_QUEUE_URL: DLQ_URL,
    // High enough that the client-side limiter never slows the tests that are not about it.
    FINGERPRINT_MAX_RPS: '1000',
    LOG_LEVEL: 'INFO',
    ...options.env,
  });

  // What the test file's own imports load on first use (a handler it builds itself), from its registry, before
  // a fresh one becomes current: an `import()` run later would resolve in that one (`loadDeferred`).
  await (await import('../../shared/runtime/lazy.js')).loadDeferred();
  vi.resetModules();
  const enrichHttp = await import('../../functions/enrich/http.js');
  const enrichQueue = await import('../../functions/enrich/queue.js');
  const query = await import('../../functions/query/http.js');
  const webhook = await import('../../functions/webhook/http.js');
  // What the functions load on first use, from the same module registry (`loadDeferred`).
  await (await import('../../shared/runtime/lazy.js')).loadDeferred();

  return {
    dynamo,
    tableName,
    upstream,
    secrets,
    deadLettered,
    handlers: {
      enrich: enrichHttp.handler,
      queue: enrichQueue.handler,
      query: query.handler,
      webhook: webhook.handler,
    },
    /** Replaces the webhook secret's value; the function sees it once its cache expires. */
    setWebhookSecret(value: string) {
      webhookSecret = value;
    },
    async stop() {
      restoreEnv();
      secrets.restore();
      sqs.restore();
      await upstream.close();
      await dynamo.close();
    },
  };
}

export type Service = Awaited<ReturnType<typeof startService>>;
export type { DynaliteHandle, FakeFingerprint };

/** Sets environment variables for a whole suite (handlers read them at import), returning the undo. */
function setEnv(vars: Record<string, string>): () => void {
  const previous = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Everything written to stdout and stderr while `capture` is on, e.g. the handlers' JSON log lines. */
export function captureOutput() {
  const chunks: string[] = [];
  const record = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(record);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(record);
  return {
    text: () => chunks.join(''),
    stop() {
      stdout.mockRestore();
      stderr.mockRestore();
    },
  };
}
