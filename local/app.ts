/**
 * The local runtime: the product's real handlers behind a local API Gateway, on an embedded DynamoDB, with a
 * local dead-letter queue and, unless a real upstream is configured, the sandbox Server API. Ports are built
 * here from local implementations; the handlers are the ones Lambda runs, fed the events Lambda feeds them.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ERROR_CODES } from '../shared/domain/errors.js';
import { REGION_HOSTS } from '../shared/fingerprint/client.js';
import { LOCAL_ERROR_CODES } from '../shared/manifest/error-codes.js';
import { API_GATEWAY_MAX_REQUEST_BYTES } from '../shared/manifest/limits.js';
import type { Logger } from '../shared/observability/logger.js';
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
import { ensureEventTable, startEmbeddedDynamoDb } from './dynamodb.js';
import { type SandboxUpstream, startSandboxUpstream } from './fingerprint-emulator/index.js';
import { FUNCTION_SETTINGS, type FunctionPool, type Invocation } from './lambda.js';
import { handleLocalRoute, type RequestScope } from './local-routes.js';
import { createPools, upstreamOf } from './pools.js';
import { LocalDeadLetterQueue } from './queue.js';

/** API Gateway's integration timeout: a function that has not answered by then gets the caller a 504. */
const INTEGRATION_TIMEOUT_MS = 29_000;

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

/** The whole body, or `too-large` past API Gateway's limit (the rest is read and dropped). */
async function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size <= API_GATEWAY_MAX_REQUEST_BYTES) chunks.push(buffer);
  }
  return size > API_GATEWAY_MAX_REQUEST_BYTES ? 'too-large' : Buffer.concat(chunks);
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
