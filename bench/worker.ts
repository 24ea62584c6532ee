/**
 * The benchmark's in-process half, run by `bench/support/workers.ts` in a child process of its own: it imports
 * the built function bundles (the deployed code, SDK included), invokes their handlers directly with Lambda
 * events, and reports back over IPC. DynamoDB (dynalite), the Fingerprint API, Secrets Manager and SQS run in
 * the parent, on loopback, so they take no time from this process's event loop.
 */

import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import { buildApiEvent, buildContext } from '../local/harness/lambda-events.js';
import { buildRecord } from '../local/harness/sqs-events.js';
import { assertNever } from '../shared/domain/errors.js';
import { EVENT_TABLE_SCHEMA } from '../shared/store/schema.js';
import { eventWriteCost } from './support/item-size.js';
import { summarize } from './support/stats.js';
import type {
  BatchResult,
  BatchTask,
  CostCase,
  CostResult,
  CostTask,
  EnrichLoadResult,
  EnrichLoadTask,
  GoMessage,
  SustainedResult,
  SustainedTask,
  WarmRouteResult,
  WarmTask,
  WorkerMessage,
  WorkerTask,
} from './support/workers.js';

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const clock = (): number => performance.timeOrigin + performance.now();

async function importHandler<H>(file: string, instance = 0): Promise<H> {
  // A query string makes Node evaluate the module again: a separate Lambda instance, clients and all.
  const url = `${pathToFileURL(file).href}?instance=${instance}`;
  const module = (await import(url)) as { handler: H };
  return module.handler;
}

function bodyOf(response: APIGatewayProxyResult): Record<string, unknown> {
  return JSON.parse(response.body) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------------------
// Warm latency: every read route, and an enrichment answered from the cache, next to its raw DynamoDB call
// ---------------------------------------------------------------------------------------------------------

interface Route {
  name: string;
  call: () => Promise<unknown>;
  raw: () => Promise<unknown>;
  check: (answer: APIGatewayProxyResult) => boolean;
}

async function warm(task: WarmTask): Promise<WarmRouteResult[]> {
  const query = await importHandler<ApiHandler>(task.bundles.query);
  const enrich = await importHandler<ApiHandler>(task.bundles.enrichHttp);
  // Configured like the functions' clients: from the same environment, with the same defaults.
  const dynamodb = new DynamoDBClient({});
  const { tableName, requestId, visitorId, linkedId } = task.data;
  const indexes = EVENT_TABLE_SCHEMA.indexes;

  const getItem = () =>
    dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { requestId: { S: requestId } } }));
  // The Query the event store sends for a first page: newest first, `limit + 1` items (it skips expired ones
  // itself, after the read).
  const queryIndex = (index: keyof typeof indexes, value: string, limit: number) => () =>
    dynamodb.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: indexes[index].indexName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': indexes[index].partitionKey.name },
        ExpressionAttributeValues: { ':pk': { S: value } },
        ScanIndexForward: false,
        Limit: limit + 1,
      }),
    );
  const answer = (handler: ApiHandler, request: Parameters<typeof buildApiEvent>[0]) => () =>
    handler(buildApiEvent(request), buildContext(20_000, 'benchmark'));
  const isOk = (response: APIGatewayProxyResult) => response.statusCode === 200;

  const routes: Route[] = [
    {
      name: 'GET /events?visitorId=',
      call: answer(query, { method: 'GET', resource: '/events', query: { visitorId } }),
      raw: queryIndex('byVisitor', visitorId, 20),
      check: (response) => isOk(response) && (bodyOf(response).events as unknown[]).length === 20,
    },
    {
      name: 'GET /events?linkedId=',
      call: answer(query, { method: 'GET', resource: '/events', query: { linkedId } }),
      raw: queryIndex('byLinkedId', linkedId, 20),
      check: (response) =>
        isOk(response) && (bodyOf(response).events as unknown[]).length === task.data.linked,
    },
    {
      name: 'GET /visitors/{visitorId}',
      call: answer(query, {
        method: 'GET',
        resource: '/visitors/{visitorId}',
        pathParameters: { visitorId },
      }),
      raw: queryIndex('byVisitor', visitorId, 100),
      check: (response) =>
        isOk(response) && (bodyOf(response).visits as unknown[]).length === task.data.history,
    },
    {
      name: 'GET /events/{requestId} (cached)',
      call: answer(enrich, { method: 'GET', resource: '/events/{requestId}', pathParameters: { requestId } }),
      raw: getItem,
      check: (response) => isOk(response) && response.headers?.['X-Event-Source'] === 'cache',
    },
    {
      name: 'POST /enrich (cached requestId)',
      call: answer(enrich, { method: 'POST', resource: '/enrich', body: JSON.stringify({ requestId }) }),
      raw: getItem,
      check: (response) => isOk(response) && bodyOf(response).source === 'cache',
    },
  ];

  const results: WarmRouteResult[] = [];
  for (const route of routes) {
    const first = (await route.call()) as APIGatewayProxyResult;
    if (!route.check(first)) {
      throw new Error(`${route.name} answered wrongly: ${first.statusCode} ${first.body.slice(0, 300)}`);
    }
    for (let i = 0; i < task.warmup; i += 1) {
      await route.call();
      await route.raw();
    }
    const handlerMs: number[] = [];
    const rawMs: number[] = [];
    const time = async (call: () => Promise<unknown>, into: number[]) => {
      const started = performance.now();
      await call();
      into.push(performance.now() - started);
    };
    // Alternating which goes first, so neither always runs right after the other.
    for (let i = 0; i < task.calls; i += 1) {
      if (i % 2 === 0) {
        await time(route.call, handlerMs);
        await time(route.raw, rawMs);
      } else {
        await time(route.raw, rawMs);
        await time(route.call, handlerMs);
      }
    }
    const handler = summarize(handlerMs);
    const raw = summarize(rawMs);
    results.push({ route: route.name, handler, raw, responseBytes: Buffer.byteLength(first.body) });
  }
  dynamodb.destroy();
  return results;
}

// ---------------------------------------------------------------------------------------------------------
// Cost per enriched event: upstream calls, write units, item sizes
// ---------------------------------------------------------------------------------------------------------

async function cost(task: CostTask): Promise<CostResult> {
  let upstreamCalls = 0;
  const baseUrl = process.env.FINGERPRINT_BASE_URL ?? '';
  const originalFetch = globalThis.fetch;
  // The bundle's Fingerprint client calls the global fetch at call time; the SDK uses node:http instead.
  globalThis.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith(baseUrl)) upstreamCalls += 1;
    return originalFetch(input, init);
  };
  const enrich = await importHandler<ApiHandler>(task.bundles.enrichHttp);
  const cases: CostCase[] = [];
  for (const request of task.requests) {
    const before = upstreamCalls;
    const response = await enrich(
      buildApiEvent({ method: 'POST', resource: '/enrich', body: JSON.stringify(request.body) }),
      buildContext(25_000, 'benchmark'),
    );
    const body = bodyOf(response);
    if (response.statusCode !== 200)
      throw new Error(`${request.label}: ${response.statusCode} ${response.body}`);
    cases.push({
      label: request.label,
      upstreamCalls: upstreamCalls - before,
      expectedCalls: request.expectedCalls,
      events: (body.events as unknown[]).length,
      stored: body.stored as number,
      source: body.source as string,
    });
  }
  globalThis.fetch = originalFetch;

  // What each stored event costs to write: the table's write plus its entry in each index holding it.
  const dynamodb = new DynamoDBClient({});
  const sizes: CostResult['storedItems'] = [];
  for (const requestId of task.storedRequestIds) {
    const { Item } = await dynamodb.send(
      new GetItemCommand({ TableName: task.tableName, Key: { requestId: { S: requestId } } }),
    );
    if (Item === undefined) throw new Error(`${requestId} was not stored`);
    sizes.push({
      ...eventWriteCost(Item),
      tableUnitsByDynalite: await dynaliteUnits(dynamodb, task.tableName, Item),
    });
  }
  dynamodb.destroy();
  return { cases, storedItems: sizes };
}

/** The table's write units as dynalite counts them, rewriting the item unchanged: a check of our arithmetic. */
async function dynaliteUnits(
  dynamodb: DynamoDBClient,
  tableName: string,
  item: Record<string, AttributeValue>,
): Promise<number | undefined> {
  const output = await dynamodb.send(
    new PutItemCommand({ TableName: tableName, Item: item, ReturnConsumedCapacity: 'TOTAL' }),
  );
  return output.ConsumedCapacity?.CapacityUnits;
}

// ---------------------------------------------------------------------------------------------------------
// Queue throughput
// ---------------------------------------------------------------------------------------------------------

function sqsEvent(bodies: readonly string[]): SQSEvent {
  return { Records: bodies.map((body) => buildRecord(body)) };
}

/**
 * Batches of distinct requestIds on one consumer, each warm batch followed by its raw floor: what the same
 * records need from DynamoDB and the upstream, without the function.
 */
async function batch(task: BatchTask): Promise<BatchResult> {
  const handler = await importHandler<QueueHandler>(task.bundle);
  const dynamodb = new DynamoDBClient({});
  const { Item: template } = await dynamodb.send(
    new GetItemCommand({ TableName: task.tableName, Key: { requestId: { S: task.templateRequestId } } }),
  );
  if (template === undefined) throw new Error(`${task.templateRequestId} is not stored`);
  const rawRecord = async (requestId: string) => {
    const key = `${requestId}.raw`;
    await dynamodb.send(new GetItemCommand({ TableName: task.tableName, Key: { requestId: { S: key } } }));
    await delay(task.upstreamLatencyMs);
    await dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [task.tableName]: [{ PutRequest: { Item: { ...template, requestId: { S: key } } } }],
        },
      }),
    );
  };
  const handlerMs: number[] = [];
  const rawMs: number[] = [];
  for (const [index, requestIds] of task.batches.entries()) {
    const event = sqsEvent(requestIds.map((requestId) => JSON.stringify({ requestId })));
    const started = performance.now();
    const response = await handler(event, buildContext(60_000, 'benchmark'));
    handlerMs.push(performance.now() - started);
    if (response.batchItemFailures.length > 0) {
      throw new Error(`A batch reported failures: ${JSON.stringify(response.batchItemFailures)}`);
    }
    if (index === 0) continue;
    const rawStarted = performance.now();
    await Promise.all(requestIds.map(rawRecord));
    rawMs.push(performance.now() - rawStarted);
  }
  dynamodb.destroy();
  return { handlerMs, rawMs };
}

/**
 * Tells the parent this worker has loaded what it runs, then waits for the instant every worker in step starts
 * at (`runInStep` in `./support/workers.ts`); returns it.
 */
async function inStep(): Promise<number> {
  const go = new Promise<GoMessage>((resolve) => {
    process.once('message', (message: GoMessage) => resolve(message));
  });
  process.send?.({ kind: 'ready' } satisfies WorkerMessage);
  const { startAt } = await go;
  await delay(Math.max(0, startAt - clock()));
  return startAt;
}

/**
 * `instances` consumers, as the event source runs them at its maximum concurrency, each taking batches of 10
 * from one deep queue for the whole run. Failed records go back on the queue, as SQS would redeliver them.
 */
async function sustained(task: SustainedTask): Promise<SustainedResult> {
  const handlers = await Promise.all(
    Array.from({ length: task.instances }, (_, instance) =>
      importHandler<QueueHandler>(task.bundle, instance),
    ),
  );
  const queue = task.requestIds.map((requestId) => JSON.stringify({ requestId }));
  const startedAt = await inStep();
  const stopTakingAt = startedAt + task.warmupMs + task.measureMs;
  let batches = 0;
  let records = 0;
  let redelivered = 0;
  let ranDry = false;
  await Promise.all(
    handlers.map(async (handler) => {
      while (clock() < stopTakingAt) {
        const bodies = queue.splice(0, 10);
        if (bodies.length === 0) {
          ranDry = true;
          return;
        }
        const event = sqsEvent(bodies);
        const response = await handler(event, buildContext(60_000, 'benchmark'));
        batches += 1;
        records += bodies.length;
        const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
        for (const record of event.Records) {
          if (failed.has(record.messageId)) {
            redelivered += 1;
            queue.push(record.body);
          }
        }
      }
    }),
  );
  return {
    startedAt,
    measureFrom: startedAt + task.warmupMs,
    measureTo: stopTakingAt,
    stoppedAt: clock(),
    batches,
    records,
    redelivered,
    ranDry,
  };
}

/**
 * `POST /enrich {requestId}` beside the consumers: each instance a module instance of its own (as Lambda runs
 * them), each caller enriching one uncached requestId after another. A 429 `UpstreamBudgetExhausted` is the
 * product's answer to a busy budget: the caller waits its `Retry-After`, as a client should, and asks for the
 * same requestId again, so no requestId is lost.
 */
async function enrichLoad(task: EnrichLoadTask): Promise<EnrichLoadResult> {
  const handlers = await Promise.all(
    Array.from({ length: task.instances }, (_, instance) => importHandler<ApiHandler>(task.bundle, instance)),
  );
  const pending = [...task.requestIds];
  const startedAt = await inStep();
  const stopTakingAt = startedAt + task.warmupMs + task.measureMs;
  const okMs: number[] = [];
  const refusedMs: number[] = [];
  let okAfterRefusal = 0;
  let refusedAtEnd = 0;
  let ranDry = false;
  const caller = async (handler: ApiHandler) => {
    while (clock() < stopTakingAt) {
      const requestId = pending.shift();
      if (requestId === undefined) {
        ranDry = true;
        return;
      }
      let refusals = 0;
      for (;;) {
        const started = performance.now();
        const response = await handler(
          buildApiEvent({ method: 'POST', resource: '/enrich', body: JSON.stringify({ requestId }) }),
          buildContext(29_000, 'benchmark'),
        );
        const took = performance.now() - started;
        const body = bodyOf(response);
        if (response.statusCode === 200 && body.source === 'fingerprint' && body.stored === 1) {
          okMs.push(took);
          if (refusals > 0) okAfterRefusal += 1;
          break;
        }
        const code = (body.error as { code?: string } | undefined)?.code;
        if (response.statusCode !== 429 || code !== 'UpstreamBudgetExhausted') {
          throw new Error(`POST /enrich ${requestId}: ${response.statusCode} ${response.body.slice(0, 300)}`);
        }
        refusedMs.push(took);
        refusals += 1;
        const retryAfter = Object.entries(response.headers ?? {}).find(
          ([name]) => name.toLowerCase() === 'retry-after',
        )?.[1];
        const retryAfterMs = Number(retryAfter ?? 1) * 1000;
        if (clock() + retryAfterMs >= stopTakingAt) {
          refusedAtEnd += 1;
          return;
        }
        await delay(retryAfterMs);
      }
    }
  };
  await Promise.all(
    handlers.flatMap((handler) => Array.from({ length: task.callersPerInstance }, () => caller(handler))),
  );
  return {
    startedAt,
    stoppedAt: clock(),
    ok: okMs.length,
    refused: refusedMs.length,
    okAfterRefusal,
    refusedAtEnd,
    okMs,
    refusedMs,
    ranDry,
  };
}

// ---------------------------------------------------------------------------------------------------------

async function run(task: WorkerTask): Promise<unknown> {
  switch (task.kind) {
    case 'warm':
      return warm(task);
    case 'cost':
      return cost(task);
    case 'batch':
      return batch(task);
    case 'sustained':
      return sustained(task);
    case 'enrichLoad':
      return enrichLoad(task);
    default:
      return assertNever(task);
  }
}

process.once('message', (task: WorkerTask) => {
  run(task)
    .then((result) => {
      const message: WorkerMessage = { kind: 'result', result };
      process.send?.(message, () => process.exit(0));
    })
    .catch((error: unknown) => {
      const message: WorkerMessage = {
        kind: 'error',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      };
      process.send?.(message, () => process.exit(1));
    });
});
