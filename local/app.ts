/**
 * The local runtime: the product's real handlers behind a local API Gateway, on an embedded DynamoDB, with a
 * local dead-letter queue and, unless a real upstream is configured, the sandbox Server API. Ports are built
 * here from local implementations; the handlers are the ones Lambda runs, fed the events Lambda feeds them.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { HTTP_BUDGET_WAIT_MS } from '../functions/enrich/deps.js';
import { historyDaysFor } from '../functions/enrich/enrich.js';
import { createEnrichHttpHandler } from '../functions/enrich/http-handler.js';
import { createEnrichQueueHandler } from '../functions/enrich/queue-handler.js';
import { createQueryHttpHandler } from '../functions/query/http-handler.js';
import { MissingWebhookSecrets } from '../functions/webhook/credentials.js';
import { createWebhookHttpHandler } from '../functions/webhook/http-handler.js';
import { REPOSITORY_ROOT } from '../infra/bundling.js';
import { ERROR_CODES, ValidationError } from '../shared/domain/errors.js';
import { createFingerprintClient, REGION_HOSTS } from '../shared/fingerprint/client.js';
import { StaticKeyProvider } from '../shared/fingerprint/secret.js';
import { toHttpError } from '../shared/http/errors.js';
import { LOCAL_ERROR_CODES } from '../shared/manifest/error-codes.js';
import type { FunctionKey as AnyFunctionKey, HttpFunctionKey } from '../shared/manifest/functions.js';
import { createLogger, type Logger } from '../shared/observability/logger.js';
import { DynamoDbRateLimiter } from '../shared/store/dynamodb-rate-limiter.js';
import { DynamoDbRequestCoalescer } from '../shared/store/dynamodb-request-coalescer.js';
import { DynamoDbWebhookEventStore } from '../shared/store/dynamodb-webhook-event-store.js';
import {
  API_ROUTES,
  type FunctionKey,
  matchRoute,
  toProxyEvent,
  writeGatewayError,
  writeJson,
  writeProxyResult,
} from './api-gateway.js';
import type { LocalConfig } from './config.js';
import { lockDataDir } from './data-lock.js';
import { type EmbeddedDynamoDb, ensureEventTable, startEmbeddedDynamoDb } from './dynamodb.js';
import { FUNCTION_SETTINGS, FunctionPool, type Invocation } from './lambda.js';
import { buildSqsEvent, LocalDeadLetterQueue, parseBatchRequest, queueArn } from './queue.js';
import { type SandboxUpstream, startSandboxUpstream } from './sandbox/server.js';

/** API Gateway's payload limit: a larger request never reaches a function. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** API Gateway's integration timeout: a function that has not answered by then gets the caller a 504. */
const INTEGRATION_TIMEOUT_MS = 29_000;
/** Sent to a custom upstream when no real key is configured: a stand-in that checks keys will refuse it. */
const PLACEHOLDER_KEY = 'local-placeholder-key';
const SANDBOX_KEY = 'local-sandbox-key';
const OPENAPI_FILE = path.join(REPOSITORY_ROOT, 'openapi', 'openapi.json');

/** A running local server. */
export interface LocalServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Where the enrich functions send Server API calls, for the banner. */
  upstream: { kind: LocalConfig['upstream']['kind']; baseUrl: string };
  /** Whether the events table was created at this start (false: kept from an earlier run). */
  tableCreated: boolean;
  dynamoEndpoint: string;
  /**
   * Stops taking requests, lets those in flight finish (at most `graceMs`), then closes the sandbox and the
   * store, which flushes it to disk. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

/** The port is taken: the message says what to do. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(
      `Port ${port} on 127.0.0.1 is already in use (another \`npm start\`?). Stop that process, or pick ` +
        `another port, e.g. PORT=${port + 1} npm start.`,
    );
    this.name = 'PortInUseError';
  }
}

/**
 * Starts everything `npm start` serves. Fails with {@link PortInUseError}, `DataDirInUseError` or
 * `TableSchemaMismatchError` (all with messages for the user) after undoing what it had started.
 */
export async function startLocalServer(config: LocalConfig, logger: Logger): Promise<LocalServer> {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const cleanup: (() => Promise<void> | void)[] = [];
  const undo = async () => {
    for (const step of cleanup.reverse()) await step();
  };
  try {
    if (config.dataDir !== undefined) cleanup.push(lockDataDir(config.dataDir));
    const dynamo = await startEmbeddedDynamoDb({
      dataPath: config.dataDir === undefined ? undefined : path.join(config.dataDir, 'dynamodb'),
      region,
    });
    cleanup.push(() => dynamo.close());
    const tableCreated = await ensureEventTable(dynamo.client, config.tableName);

    let sandbox: SandboxUpstream | undefined;
    if (config.upstream.kind === 'sandbox') {
      sandbox = await startSandboxUpstream();
      cleanup.push(() => sandbox?.close());
    }
    const upstream = upstreamOf(config, sandbox);
    const deadLetters = new LocalDeadLetterQueue(
      config.dataDir === undefined ? {} : { file: path.join(config.dataDir, 'dead-letter-queue.jsonl') },
    );
    const pools = createPools(config, { dynamo, upstream, deadLetters, region });
    const http = createServer((request, response) => {
      handle(request, response, { config, pools, deadLetters, logger, region }).catch((error: unknown) => {
        logger.error('Local server failure', { error });
        if (!response.headersSent) writeGatewayError(response, 500, 'Internal server error', randomUUID());
        else response.destroy();
      });
    });
    const inFlight = trackRequests(http);
    await listen(http, config.port);
    const { port } = http.address() as AddressInfo;

    let closing: Promise<void> | undefined;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      upstream: { kind: config.upstream.kind, baseUrl: upstream.baseUrl ?? REGION_HOSTS[config.region] },
      tableCreated,
      dynamoEndpoint: dynamo.endpoint,
      close(graceMs = FUNCTION_SETTINGS.enrichQueue.timeoutMs + 5_000) {
        closing ??= (async () => {
          const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
          http.closeIdleConnections();
          if (!(await inFlight.drained(graceMs))) {
            logger.warn('Requests still in flight after the grace period; closing their connections', {
              inFlight: inFlight.count(),
            });
          }
          http.closeAllConnections();
          await stopped;
          await undo();
        })();
        return closing;
      },
    };
  } catch (error) {
    await undo();
    throw error;
  }
}

interface Upstream {
  /** The Server API base URL; the region's host when absent. */
  baseUrl?: string;
  keys: StaticKeyProvider;
}

function upstreamOf(config: LocalConfig, sandbox: SandboxUpstream | undefined): Upstream {
  switch (config.upstream.kind) {
    case 'fingerprint':
      return { keys: new StaticKeyProvider(config.upstream.apiKey) };
    case 'custom':
      return {
        baseUrl: config.upstream.baseUrl,
        keys: new StaticKeyProvider(config.upstream.apiKey ?? PLACEHOLDER_KEY),
      };
    case 'sandbox':
      if (sandbox === undefined) throw new Error('The sandbox upstream was not started');
      return { baseUrl: sandbox.url, keys: new StaticKeyProvider(SANDBOX_KEY) };
  }
}

/** A pool for each function of the manifest: the ones behind the API take proxy events, the other SQS batches. */
type Pools = { [K in HttpFunctionKey]: FunctionPool<APIGatewayProxyEvent, APIGatewayProxyResult> } & {
  [K in Exclude<AnyFunctionKey, HttpFunctionKey>]: FunctionPool<SQSEvent, SQSBatchResponse>;
};

/**
 * One pool per function. Each new instance gets what a cold start gets in the cloud: its own logger, its own
 * Fingerprint client with its own `DynamoDbRateLimiter` loop, and (HTTP) its own coalescer of in-flight requests.
 * As in the cloud, the limiters share one budget of `FINGERPRINT_MAX_RPS` through the table, and the
 * coalescers their leases. The store and the key are shared, as they hold no per-call state.
 */
function createPools(
  config: LocalConfig,
  ports: { dynamo: EmbeddedDynamoDb; upstream: Upstream; deadLetters: LocalDeadLetterQueue; region: string },
): Pools {
  // The webhook's store is the event store plus its insert-only write; one instance serves every function.
  const store = new DynamoDbWebhookEventStore({
    client: ports.dynamo.client,
    tableName: config.tableName,
    ttlDays: config.eventTtlDays,
    storeUpstream: config.storeUpstream,
  });
  const historyDays = historyDaysFor({ historyDays: config.historyDays, eventTtlDays: config.eventTtlDays });
  const table = { client: ports.dynamo.client, tableName: config.tableName };
  const fingerprint = (maxWaitMs: number) =>
    createFingerprintClient({
      apiVersion: config.apiVersion,
      region: config.region,
      ...(ports.upstream.baseUrl !== undefined && { baseUrl: ports.upstream.baseUrl }),
      keys: ports.upstream.keys,
      historyDays,
      limiter: new DynamoDbRateLimiter({ ...table, maxRps: config.maxRps, maxWaitMs }),
    });
  const settings = (key: keyof typeof FUNCTION_SETTINGS) => ({
    ...FUNCTION_SETTINGS[key],
    region: ports.region,
  });
  return {
    enrichHttp: new FunctionPool({
      settings: settings('enrichHttp'),
      create: () =>
        createEnrichHttpHandler({
          logger: createLogger(config.logLevel),
          settings: {
            readThrough: config.readThrough,
            upstreamErasure: config.upstreamErasure,
            storeUpstream: config.storeUpstream,
          },
          store,
          fingerprint: fingerprint(HTTP_BUDGET_WAIT_MS),
          coalescer: new DynamoDbRequestCoalescer(table),
          historyDays,
          ...(config.sealedKeys !== undefined && { sealedKeys: config.sealedKeys }),
        }),
    }),
    query: new FunctionPool({
      settings: settings('query'),
      create: () =>
        createQueryHttpHandler({
          logger: createLogger(config.logLevel),
          store,
          storeUpstream: config.storeUpstream,
        }),
    }),
    webhook: new FunctionPool({
      settings: settings('webhook'),
      create: () =>
        createWebhookHttpHandler({
          logger: createLogger(config.logLevel),
          settings: {
            basicAuth: config.webhook.basicAuth,
            maxEventAgeSeconds: config.webhook.maxEventAgeSeconds,
          },
          store,
          secrets: config.webhook.secrets ?? new MissingWebhookSecrets(),
        }),
    }),
    enrichQueue: new FunctionPool({
      settings: settings('enrichQueue'),
      maxInstances: config.queueMaxConcurrency,
      create: () =>
        createEnrichQueueHandler({
          logger: createLogger(config.logLevel),
          store,
          fingerprint: fingerprint(Number.POSITIVE_INFINITY),
          historyDays,
          ...(config.sealedKeys !== undefined && { sealedKeys: config.sealedKeys }),
          deadLetters: ports.deadLetters,
        }),
    }),
  };
}

interface RequestScope {
  config: LocalConfig;
  pools: Pools;
  deadLetters: LocalDeadLetterQueue;
  logger: Logger;
  region: string;
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  scope: RequestScope,
): Promise<void> {
  const receivedAt = Date.now();
  const requestId = randomUUID();
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const method = request.method ?? 'GET';
  const body = await readBody(request);
  let status: number;
  let resourcePath: string | null = null;
  let integrationLatency: number | null = null;
  let errorMessage: string | null = null;

  if (body === 'too-large') {
    writeGatewayError(response, 413, 'Request Too Long', requestId);
    status = 413;
  } else if (url.pathname === '/openapi.json' || url.pathname.startsWith('/_local/')) {
    status = await handleLocalRoute(method, url, body, response, scope, requestId);
  } else {
    const match = matchRoute(method, url.pathname);
    switch (match.kind) {
      case 'route': {
        resourcePath = match.route.resource;
        const started = Date.now();
        const event = toProxyEvent({ request, url, body, match, requestId, receivedAt });
        const outcome = await invokeWithIntegrationTimeout(scope.pools[match.route.function], event);
        integrationLatency = Date.now() - started;
        ({ status, errorMessage } = answerInvocation(
          response,
          outcome,
          requestId,
          match.route.function,
          scope,
        ));
        break;
      }
      case 'method-not-allowed':
        writeJson(
          response,
          405,
          {
            error: {
              code: LOCAL_ERROR_CODES.MethodNotAllowed,
              message: `${method} is not a method of ${url.pathname}; use ${match.allowed.join(' or ')}.`,
            },
          },
          { Allow: match.allowed.join(', '), 'x-amzn-RequestId': requestId },
        );
        status = 405;
        break;
      case 'bad-path':
        writeGatewayError(response, 400, 'Invalid request path', requestId);
        status = 400;
        break;
      case 'no-route':
        writeJson(
          response,
          404,
          {
            error: {
              code: ERROR_CODES.NotFound,
              message:
                `No route ${method} ${url.pathname}. Routes: ` +
                `${API_ROUTES.map((route) => `${route.method} ${route.resource}`).join(', ')}; ` +
                'and locally GET /openapi.json, POST /_local/queue/enrich, GET /_local/dlq.',
            },
          },
          { 'x-amzn-RequestId': requestId },
        );
        status = 404;
        break;
    }
  }

  // One line per request, with the fields of the stage's access log.
  scope.logger.info('API request', {
    requestId,
    requestTime: new Date(receivedAt).toISOString(),
    httpMethod: method,
    resourcePath,
    path: url.pathname,
    status,
    protocol: `HTTP/${request.httpVersion}`,
    responseLatency: Date.now() - receivedAt,
    integrationLatency,
    sourceIp: request.socket.remoteAddress,
    userAgent: request.headers['user-agent'],
    errorMessage,
  });
}

async function invokeWithIntegrationTimeout(
  pool: FunctionPool<APIGatewayProxyEvent, APIGatewayProxyResult>,
  event: APIGatewayProxyEvent,
): Promise<Invocation<APIGatewayProxyResult> | 'integration-timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'integration-timeout'>((resolve) => {
    timer = setTimeout(() => resolve('integration-timeout'), INTEGRATION_TIMEOUT_MS);
  });
  try {
    return await Promise.race([pool.invoke(event), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The caller's answer for an invocation, as API Gateway gives it: the proxy result, or a gateway error. */
function answerInvocation(
  response: ServerResponse,
  outcome: Invocation<APIGatewayProxyResult> | 'integration-timeout',
  requestId: string,
  functionKey: FunctionKey,
  scope: RequestScope,
): { status: number; errorMessage: string | null } {
  if (outcome === 'integration-timeout') {
    writeGatewayError(response, 504, 'Endpoint request timed out', requestId);
    return { status: 504, errorMessage: 'Endpoint request timed out' };
  }
  if (outcome.status === 'ok') {
    const written = writeProxyResult(response, outcome.result, requestId);
    return { status: written.status, errorMessage: written.error ?? null };
  }
  const why =
    outcome.status === 'timeout'
      ? `Task timed out after ${(FUNCTION_SETTINGS[functionKey].timeoutMs / 1000).toFixed(2)} seconds`
      : 'The function threw instead of answering';
  scope.logger.error('Function invocation failed', {
    function: FUNCTION_SETTINGS[functionKey].name,
    awsRequestId: outcome.context.awsRequestId,
    reason: why,
    ...(outcome.status === 'error' && { error: outcome.error }),
  });
  writeGatewayError(response, 502, 'Internal server error', requestId);
  return { status: 502, errorMessage: why };
}

/** `/openapi.json` and the `/_local/*` routes that stand in for SQS. */
async function handleLocalRoute(
  method: string,
  url: URL,
  body: Buffer,
  response: ServerResponse,
  scope: RequestScope,
  requestId: string,
): Promise<number> {
  const route = `${method} ${url.pathname}`;
  const headers = { 'x-amzn-RequestId': requestId };
  try {
    switch (route) {
      case 'GET /openapi.json': {
        // Read on each request, so an edited document is served without a restart.
        const document = await readFile(OPENAPI_FILE);
        response.writeHead(200, {
          'Content-Type': 'application/json',
          'Cache-Control': 'no-store',
          'Content-Length': String(document.length),
        });
        response.end(document);
        return 200;
      }
      case 'POST /_local/queue/enrich':
        writeJson(response, 200, await runQueueBatch(body, scope), headers);
        return 200;
      case 'GET /_local/dlq':
        writeJson(
          response,
          200,
          { queueArn: `${queueArn(scope.region)}-dlq`, messages: scope.deadLetters.list() },
          headers,
        );
        return 200;
      case 'DELETE /_local/dlq':
        writeJson(response, 200, { purged: scope.deadLetters.purge() }, headers);
        return 200;
      default:
        writeJson(
          response,
          404,
          {
            error: {
              code: 'NotFound',
              message: `No local route ${route}: GET /openapi.json, POST /_local/queue/enrich, GET or DELETE /_local/dlq.`,
            },
          },
          headers,
        );
        return 404;
    }
  } catch (error) {
    const answer = toHttpError(error);
    if (answer.statusCode >= 500) scope.logger.error('Local route failed', { route, error });
    writeJson(response, answer.statusCode, answer.body, { ...answer.headers, ...headers });
    return answer.statusCode;
  }
}

/**
 * Runs the queue consumer once on the records of a `POST /_local/queue/enrich`, as the event source mapping
 * would: one SQS event, one invocation. Records the consumer reports as failed would be delivered again by
 * SQS; a failed or timed-out invocation means all of them.
 */
async function runQueueBatch(body: Buffer, scope: RequestScope) {
  if (body.length === 0) {
    throw new ValidationError('body', 'The body is empty: send {"records": [{"requestId": "…"}, …]}.');
  }
  const event = buildSqsEvent(parseBatchRequest(body.toString('utf8')), scope.region);
  const outcome = await scope.pools.enrichQueue.invoke(event);
  const messageIds = new Set(event.Records.map((record) => record.messageId));
  const deadLettered = scope.deadLetters
    .list()
    .filter((message) => messageIds.has(message.MessageAttributes.sourceMessageId?.StringValue ?? ''));
  const everyRecord = event.Records.map((record) => ({ itemIdentifier: record.messageId }));
  const batchItemFailures = outcome.status === 'ok' ? outcome.result.batchItemFailures : everyRecord;
  scope.logger.info('Queue batch processed', {
    awsRequestId: outcome.context.awsRequestId,
    records: event.Records.length,
    failures: batchItemFailures.length,
    deadLettered: deadLettered.length,
    invocation: outcome.status,
  });
  return {
    records: event.Records.map((record) => ({ messageId: record.messageId, body: record.body })),
    batchItemFailures,
    deadLettered,
    ...(outcome.status === 'timeout' && {
      invocationError: `Task timed out after ${FUNCTION_SETTINGS.enrichQueue.timeoutMs / 1000} seconds`,
    }),
    ...(outcome.status === 'error' && {
      invocationError: outcome.error instanceof Error ? outcome.error.message : String(outcome.error),
    }),
  };
}

/** The whole body, or `too-large` past API Gateway's limit (the rest is read and dropped). */
async function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(buffer);
  }
  return size > MAX_REQUEST_BYTES ? 'too-large' : Buffer.concat(chunks);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      reject('code' in error && error.code === 'EADDRINUSE' ? new PortInUseError(port) : error);
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Counts requests until their answer is sent, so a shutdown can wait for them. */
function trackRequests(server: Server) {
  let count = 0;
  let onIdle: (() => void) | undefined;
  server.on('request', (_request: IncomingMessage, response: ServerResponse) => {
    count += 1;
    response.once('close', () => {
      count -= 1;
      if (count === 0) onIdle?.();
    });
  });
  return {
    count: () => count,
    drained(timeoutMs: number): Promise<boolean> {
      if (count === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        onIdle = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
    },
  };
}
