import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, type SendMessageCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest';
import { type FakeFingerprint, startFakeFingerprint } from '../../local/fingerprint-emulator/index.js';
import { type DynaliteHandle, startDynalite } from '../../local/harness/dynalite.js';
import { buildApiEvent, buildContext } from '../../local/harness/lambda-events.js';
import { ROUTES, type RouteKey } from '../../shared/manifest/routes.js';
import { recordAnswer } from './leak-guard.js';
import { readTable } from './table.js';

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

  const handlers = {
    enrich: enrichHttp.handler,
    queue: enrichQueue.handler,
    query: query.handler,
    webhook: webhook.handler,
  };
  const table = readTable(dynamo.documentClient, tableName);

  return {
    dynamo,
    tableName,
    upstream,
    secrets,
    deadLettered,
    handlers,
    ...table,
    /**
     * Calls a route as API Gateway would: `path` is the request's path (`/events/1708102555327.aBc`) or the
     * route's template with `params` (`/events/{requestId}`, `{ requestId }`), for values that a path cannot
     * hold as is. The answer is put under the leak guard.
     */
    async call(method: HttpMethod, path: string, request: CallRequest = {}): Promise<APIGatewayProxyResult> {
      const { route, pathParameters } = routeOf(method, path, request.params);
      const body = request.body;
      const target = HANDLER_OF[ROUTES[route].function];
      const response = await handlers[target](
        buildApiEvent({
          method,
          resource: route.slice(route.indexOf(' ') + 1),
          ...(pathParameters !== undefined && { pathParameters }),
          ...(request.query !== undefined && { query: request.query }),
          ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
          ...(request.headers !== undefined && { headers: request.headers }),
          ...(request.isBase64Encoded !== undefined && { isBase64Encoded: request.isBase64Encoded }),
        }),
        request.context ?? buildContext(request.remainingMs, target),
      );
      recordAnswer(response);
      return response;
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

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface CallRequest {
  /** The path's parameters, when `path` is the route's template. */
  params?: Record<string, string>;
  query?: Record<string, string>;
  /** Sent as is when a string, else as its JSON. */
  body?: unknown;
  /** Headers besides `Content-Type` and `Host`, e.g. a webhook's signature. */
  headers?: Record<string, string>;
  /** The body is base64, as API Gateway passes a binary media type. */
  isBase64Encoded?: boolean;
  /** The Lambda's remaining time when the call starts. @default 25 s */
  remainingMs?: number;
  /** The Lambda context itself, for a test that reads the time left after the call (overrides `remainingMs`). */
  context?: Context;
}

/** The handler (of `startService`'s `handlers`) of each function that serves routes, as the stack wires them. */
const HANDLER_OF = { enrichHttp: 'enrich', query: 'query', webhook: 'webhook' } as const;

/** The route a call reaches, and its path parameters (decoded, as API Gateway passes them). */
function routeOf(
  method: HttpMethod,
  path: string,
  params: Record<string, string> | undefined,
): { route: RouteKey; pathParameters?: Record<string, string> } {
  const segments = path.split('/');
  for (const route of Object.keys(ROUTES) as RouteKey[]) {
    const [routeMethod, template = ''] = route.split(' ');
    const parts = template.split('/');
    if (routeMethod !== method || parts.length !== segments.length) continue;
    if (path === template) {
      if (!parts.some((part) => part.startsWith('{'))) return { route };
      if (params !== undefined) return { route, pathParameters: params };
    }
    const pathParameters: Record<string, string> = {};
    const matches = parts.every((part, index) => {
      const segment = segments[index] ?? '';
      if (!part.startsWith('{')) return part === segment;
      if (segment === '') return false;
      pathParameters[part.slice(1, -1)] = decodeURIComponent(segment);
      return true;
    });
    if (matches) return { route, ...(Object.keys(pathParameters).length > 0 && { pathParameters }) };
  }
  throw new Error(`No route serves ${method} ${path}`);
}

/** A {@link Service} of a suite, with the output its current test printed. */
export type ServiceInSuite = Service & { readonly output: ReturnType<typeof captureOutput> };

/**
 * The shared setup of a suite that drives the handlers: registers hooks that start the service before the
 * suite (`options` may be a function, read then) and stop it after, and around each test empty the fake
 * upstream's request log and capture what the test prints (`service.output`). What the suite's own hooks print
 * between tests (a `beforeAll` that seeds through the API) is captured too, and dropped. Answers of
 * `service.call` are under the leak guard, and so is everything printed, captured or not. The object answered
 * is usable inside the hooks and tests of the suite.
 */
export function useService(options: ServiceOptions | (() => ServiceOptions) = {}): ServiceInSuite {
  let service: Service | undefined;
  let output: ReturnType<typeof captureOutput> | undefined;
  // Spies are restored before each test (`restoreMocks`), so the capture of the hooks is made anew after each.
  let betweenTests: ReturnType<typeof captureOutput> | undefined;
  beforeAll(async () => {
    betweenTests = captureOutput();
    service = await startService(typeof options === 'function' ? options() : options);
  });
  afterAll(async () => {
    try {
      await service?.stop();
    } finally {
      betweenTests?.stop();
    }
  });
  beforeEach(() => {
    betweenTests?.stop();
    if (service !== undefined) service.upstream.requests.length = 0;
    output = captureOutput();
  });
  afterEach(() => {
    output?.stop();
    betweenTests = captureOutput();
  });
  const started = (): Service => {
    if (service === undefined) throw new Error('The service is used before its suite started it.');
    return service;
  };
  return new Proxy({} as ServiceInSuite, {
    get(_, property) {
      if (property === 'output') {
        if (output === undefined) throw new Error('No test is running: there is no output to read.');
        return output;
      }
      return Reflect.get(started(), property);
    },
  });
}

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
