/**
 * `npm run bench`: builds every function exactly as the stack bundles it, next to its floor (only the AWS SDK
 * clients it cannot do without), and measures in one run what a Lambda service is judged by: bundle size, cold
 * start, warm latency, queue throughput, and what each enriched event costs upstream and in DynamoDB. Prints a
 * table and writes the figures as JSON under `bench/results/` (git-ignored). See docs/performance.md.
 *
 * Options (environment): BENCH_COLD_RUNS (default 25, at least 20), BENCH_WARM_CALLS (default 1000, at least
 * 1000), BENCH_BATCH_TRIALS (default 10), BENCH_SUSTAINED_SECONDS (default 30, at least 10).
 */
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { FUNCTION_ENTRIES, type FunctionKey, REPOSITORY_ROOT } from '../infra/bundling.js';
import type { NormalizedEvent } from '../shared/domain/event.js';
import {
  normalizeV3Event,
  normalizeV3Visit,
  normalizeV4Event,
  normalizeWebhook,
} from '../shared/fingerprint/normalize.js';
import { DynamoDbEventStore } from '../shared/store/dynamodb-event-store.js';
import { type DynaliteHandle, startDynalite } from '../test/support/dynalite.js';
import { startFakeFingerprint } from '../test/support/fake-fingerprint.js';
import { buildApiEvent } from '../test/support/lambda.js';
import { buildSqsEvent } from '../test/support/sqs.js';
import { type Bundles, buildAll, bytesByOrigin } from './bundles.js';
import { type ColdStartResult, type ColdStartSubject, measureColdStarts } from './cold-start.js';
import { node24 } from './node24.js';
import { type CallProfile, costPerMillion, PRICES, secretCallsPerCall } from './support/cost.js';
import {
  type Deployment,
  deployment,
  functionEnvironment,
  LOCAL_SECRET_IDS,
  type LocalResources,
} from './support/environment.js';
import { startFakeAws } from './support/fake-aws.js';
import { eventWriteCost } from './support/item-size.js';
import { maxInSlidingWindow, ratio, summarize } from './support/stats.js';
import { kib, ms, table, times, verdict } from './support/table.js';
import {
  type BatchResult,
  type CostResult,
  runWorker,
  type SustainedResult,
  type WarmRouteResult,
} from './support/workers.js';
import {
  ALL_CLIENTS_FLOOR_OF,
  BUNDLE_TARGETS,
  FLOOR_OF,
  type FloorKey,
  MAX_ITEM_BYTES,
  TIMING_TARGETS,
} from './targets.js';

const RESULTS_DIR = path.join(REPOSITORY_ROOT, 'bench', 'results');
const FIXTURES = path.join(REPOSITORY_ROOT, 'test', 'fixtures', 'fingerprint');
/** The upstream latency of the throughput runs. */
const UPSTREAM_LATENCY_MS = 100;
/** A visitor with this many stored events, this many of them under one linkedId: the read routes' data. */
const HISTORY = 25;
const LINKED = 10;
/** A history longer than one upstream page (v4 pages hold 100). */
const LONG_HISTORY = 250;
const WARMUP_CALLS = 200;
const SUSTAINED_WARMUP_MS = 3_000;
const WEBHOOK_SIGNING_SECRET = 'whsec_benchmark_signing_secret';
const FUNCTIONS = Object.keys(FUNCTION_ENTRIES) as FunctionKey[];

function option(name: string, fallback: number, minimum: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(`${name} must be a whole number of at least ${minimum}, got ${raw}`);
  }
  return value;
}

const options = {
  coldRuns: option('BENCH_COLD_RUNS', 25, 20),
  warmCalls: option('BENCH_WARM_CALLS', 1000, 1000),
  batchTrials: option('BENCH_BATCH_TRIALS', 10, 1),
  sustainedSeconds: option('BENCH_SUSTAINED_SECONDS', 30, 10),
};

const clock = (): number => performance.timeOrigin + performance.now();
const log = (message: string): void => {
  process.stderr.write(`[bench] ${message}\n`);
};

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

// ---------------------------------------------------------------------------------------------------------

/** A `node` the cold starts run on: Node.js 24 (Lambda's runtime) first when it can be had, and this machine's. */
interface Runtime {
  label: string;
  execPath: string;
  version: string;
}

function runtimes(): { runtimes: Runtime[]; node24Unavailable?: string } {
  const own: Runtime = {
    label: `node${process.versions.node.split('.')[0]}`,
    execPath: process.execPath,
    version: process.version,
  };
  const found = node24();
  if (!('path' in found)) {
    log(`Node.js 24 unavailable (${found.unavailable}): cold starts on ${process.version} only`);
    return { runtimes: [own], node24Unavailable: found.unavailable };
  }
  if (found.path === process.execPath) return { runtimes: [own] };
  return { runtimes: [{ label: 'node24', execPath: found.path, version: found.version }, own] };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const machineBefore = machine();
  const nodes = runtimes();
  log('synthesizing the stack for the functions’ settings');
  const deployed = deployment();
  log('building the functions and their floors into bench/results/build');
  const bundles = await buildAll(path.join(RESULTS_DIR, 'build'));

  const dynamo = await startDynalite();
  const tableName = await dynamo.createTable();
  const upstream = await startFakeFingerprint();
  // Every request's arrival, as Fingerprint would count it; in the throughput runs each also waits 100 ms.
  const arrivals: number[] = [];
  let slowUpstream = false;
  upstream.failNext({ kind: 'delay', ms: UPSTREAM_LATENCY_MS }, Number.POSITIVE_INFINITY, () => {
    arrivals.push(clock());
    return slowUpstream;
  });
  const aws = await startFakeAws({
    [LOCAL_SECRET_IDS.FINGERPRINT_SECRET_ID as string]: upstream.apiKey,
    [LOCAL_SECRET_IDS.FINGERPRINT_WEBHOOK_SECRET_ID as string]: WEBHOOK_SIGNING_SECRET,
  });
  const local: LocalResources = {
    dynamodb: dynamo.endpoint,
    aws: aws.endpoint,
    fingerprint: upstream.baseUrl,
    tableName,
  };
  const env = (key: FunctionKey, overrides?: Record<string, string>) =>
    functionEnvironment(deployed.functions[key], local, overrides);
  const fileOf = (key: FunctionKey): string => bundleFile(bundles.functions[key]);

  try {
    // The read routes' data, stored through the real enrich function by the cost run.
    const now = Date.now();
    const [single] = upstream.seedMany(1, { timestamp: now });
    const linkedId = 'order-benchmark';
    const linked = upstream.seedMany(LINKED, { linkedId, timestamp: now - 1_000 });
    const visitorId = linked[0]?.visitorId ?? '';
    const rest = upstream.seedMany(HISTORY - LINKED, { visitorId, timestamp: now - 60_000 });
    const longLinked = upstream.seedMany(LONG_HISTORY, {
      linkedId: 'cart-benchmark',
      timestamp: now - 3_600_000,
    });
    const longVisitor = upstream.seedMany(LONG_HISTORY, { timestamp: now - 7_200_000 });
    if (single === undefined || longVisitor[0] === undefined) throw new Error('Seeding the upstream failed');
    const requestId = single.requestId;

    log('cost per enriched event: upstream calls, write units');
    const cost = await runWorker<CostResult>(
      {
        kind: 'cost',
        bundles: { enrichHttp: fileOf('enrichHttp') },
        tableName,
        requests: [
          { label: 'requestId, not cached', body: { requestId }, expectedCalls: 1 },
          { label: 'requestId, cached', body: { requestId }, expectedCalls: 0 },
          { label: `visitorId, ${HISTORY} events (1 page)`, body: { visitorId }, expectedCalls: 1 },
          {
            label: `linkedId, ${LONG_HISTORY} events (3 pages of 100)`,
            body: { linkedId: 'cart-benchmark', maxEvents: LONG_HISTORY },
            expectedCalls: 3,
          },
          {
            label: `visitorId, ${LONG_HISTORY} events (3 pages of 100)`,
            body: { visitorId: longVisitor[0].visitorId, maxEvents: LONG_HISTORY },
            expectedCalls: 3,
          },
        ],
        storedRequestIds: [requestId, ...[...linked, ...rest, ...longLinked].map((seed) => seed.requestId)],
      },
      env('enrichHttp'),
    );
    const examples = await exampleItemSizes(dynamo, tableName);

    log(
      `cold starts: ${options.coldRuns} fresh processes per bundle and runtime (${nodes.runtimes.map((node) => node.version).join(', ')}), interleaved`,
    );
    const subjects = nodes.runtimes.flatMap((node) =>
      coldStartSubjects(bundles, env, { requestId, visitorId }).map((subject) => ({
        ...subject,
        key: `${node.label}:${subject.key}`,
        execPath: node.execPath,
      })),
    );
    const cold = await measureColdStarts(subjects, options.coldRuns, (round) => {
      if (round % 5 === 0) log(`  round ${round}/${options.coldRuns}`);
    });

    log(`warm latency: ${options.warmCalls} calls per route, each next to its raw DynamoDB call`);
    const warm = await runWorker<WarmRouteResult[]>(
      {
        kind: 'warm',
        bundles: { query: fileOf('query'), enrichHttp: fileOf('enrichHttp') },
        calls: options.warmCalls,
        warmup: WARMUP_CALLS,
        data: { tableName, requestId, visitorId, linkedId, history: HISTORY, linked: LINKED },
      },
      // Each bundle reads only its own variables, and the enrich function's include the query function's.
      { ...env('query'), ...env('enrichHttp') },
    );

    slowUpstream = true;
    log(`queue batches of 10 with ${UPSTREAM_LATENCY_MS} ms upstream latency`);
    const batchArrivalsFrom = arrivals.length;
    const batches = Array.from({ length: options.batchTrials + 1 }, () =>
      upstream.seedMany(10, {}).map((seed) => seed.requestId),
    );
    // The pacer is measured by the sustained run; here it must not shape the batch, so the limit is high.
    const batchRun = await runWorker<BatchResult>(
      {
        kind: 'batch',
        bundle: fileOf('enrichQueue'),
        batches,
        tableName,
        templateRequestId: requestId,
        upstreamLatencyMs: UPSTREAM_LATENCY_MS,
      },
      env('enrichQueue', { FINGERPRINT_MAX_RPS: '1000', QUEUE_MAX_CONCURRENCY: '1' }),
    );
    const batchUpstreamCalls = arrivals.length - batchArrivalsFrom;

    const queueEnv = env('enrichQueue');
    const maxRps = Number(queueEnv.FINGERPRINT_MAX_RPS);
    const consumers = Number(queueEnv.QUEUE_MAX_CONCURRENCY);
    if (consumers !== deployed.queueMaxConcurrency) {
      throw new Error(
        `The consumer shares the rate among ${consumers} instances but the event source runs ${deployed.queueMaxConcurrency}`,
      );
    }
    log(
      `sustained: ${consumers} consumers at FINGERPRINT_MAX_RPS ${maxRps} for ${options.sustainedSeconds} s`,
    );
    const measureMs = options.sustainedSeconds * 1000;
    // Deep enough that the queue never empties, however fast the consumers go.
    const backlog = Math.ceil((maxRps * (SUSTAINED_WARMUP_MS + measureMs)) / 1000) * 2 + 10 * consumers;
    const sustainedIds = upstream.seedMany(backlog, {}).map((seed) => seed.requestId);
    const sustainedArrivalsFrom = arrivals.length;
    const run = await runWorker<SustainedResult>(
      {
        kind: 'sustained',
        bundle: fileOf('enrichQueue'),
        instances: consumers,
        requestIds: sustainedIds,
        warmupMs: SUSTAINED_WARMUP_MS,
        measureMs,
      },
      queueEnv,
    );
    slowUpstream = false;
    const sustainedArrivals = arrivals.slice(sustainedArrivalsFrom);
    const inWindow = sustainedArrivals.filter((at) => at >= run.measureFrom && at < run.measureTo).length;

    const results = assemble({
      startedAt,
      machineBefore,
      bundles,
      cold,
      nodes,
      warm,
      batchRun,
      batchUpstreamCalls,
      sustained: {
        ...run,
        maxRps,
        consumers,
        perConsumerRps: maxRps / consumers,
        upstreamLatencyMs: UPSTREAM_LATENCY_MS,
        measuredSeconds: measureMs / 1000,
        requestsInWindow: inWindow,
        achievedRps: inWindow / (measureMs / 1000),
        maxInAnySecond: maxInSlidingWindow(sustainedArrivals, 1000),
        totalRequests: sustainedArrivals.length,
      },
      cost,
      examples,
      awsCalls: aws.calls,
      deployed,
    });
    mkdirSync(RESULTS_DIR, { recursive: true });
    const json = `${JSON.stringify(results, null, 2)}\n`;
    const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
    writeFileSync(path.join(RESULTS_DIR, `bench-${stamp}.json`), json);
    writeFileSync(path.join(RESULTS_DIR, 'latest.json'), json);
    process.stdout.write(`${report(results)}\n`);
    log(`figures written to bench/results/bench-${stamp}.json and bench/results/latest.json`);
  } finally {
    await aws.close();
    await upstream.close();
    await dynamo.close();
  }
}

function bundleFile(bundle: { file?: string; entry: string }): string {
  if (bundle.file === undefined) throw new Error(`${bundle.entry} was not written`);
  return bundle.file;
}

// ---------------------------------------------------------------------------------------------------------
// Cold starts: each function's first call, and the same calls made by its floor
// ---------------------------------------------------------------------------------------------------------

function coldStartSubjects(
  bundles: Bundles,
  env: (key: FunctionKey) => Record<string, string>,
  data: { requestId: string; visitorId: string },
): Omit<ColdStartSubject, 'execPath'>[] {
  const { requestId, visitorId } = data;
  const answer = (
    result: unknown,
  ): { statusCode: number; body: string; headers?: Record<string, string> } => {
    if (typeof result !== 'object' || result === null || !('statusCode' in result) || !('body' in result)) {
      throw new Error(`Not an API Gateway answer: ${JSON.stringify(result)}`);
    }
    return result as { statusCode: number; body: string };
  };
  const has = (key: string) => (result: unknown) =>
    typeof result === 'object' && result !== null && key in result;
  const webhook = signedWebhook();
  const subjects: Record<FunctionKey, Omit<ColdStartSubject, 'key' | 'file' | 'env' | 'execPath'>> = {
    // Each function's first call is the one it serves most: a history page, a cached read, a delivery.
    query: {
      event: buildApiEvent({ method: 'GET', resource: '/events', query: { visitorId } }),
      check: (result) => answer(result).statusCode === 200,
    },
    enrichHttp: {
      event: buildApiEvent({ method: 'POST', resource: '/enrich', body: JSON.stringify({ requestId }) }),
      check: (result) =>
        answer(result).statusCode === 200 && answer(result).body.includes('"source":"cache"'),
    },
    enrichQueue: {
      event: buildSqsEvent([JSON.stringify({ requestId })]),
      check: (result) =>
        has('batchItemFailures')(result) &&
        Array.isArray((result as { batchItemFailures: unknown[] }).batchItemFailures) &&
        (result as { batchItemFailures: unknown[] }).batchItemFailures.length === 0,
    },
    webhook: { event: webhook, check: (result) => answer(result).statusCode === 200 },
  };
  // Each function's floor makes that function's first calls, so functions sharing a floor bundle start it apart.
  const floors: Record<FunctionKey, Omit<ColdStartSubject, 'key' | 'file' | 'env' | 'execPath'>> = {
    query: { event: { visitorId }, check: has('Items') },
    enrichHttp: { event: { requestId, call: 'read' }, check: has('Item') },
    enrichQueue: { event: { requestId, call: 'read' }, check: has('Item') },
    webhook: {
      // An item of its own, outside the histories the other calls read.
      event: { requestId: '1700000000000.floor0', visitorId: 'BenchmarkFloorVisitor' },
      check: has('$metadata'),
    },
  };
  return [
    ...FUNCTIONS.map((key) => ({
      key,
      file: bundleFile(bundles.functions[key]),
      env: env(key),
      ...subjects[key],
    })),
    ...FUNCTIONS.map((key) => ({
      key: `floor:${key}`,
      file: bundleFile(bundles.floors[FLOOR_OF[key]]),
      env: env(key),
      ...floors[key],
    })),
  ];
}

/**
 * Fingerprint's example v4 webhook, made current (an expired event would not be written), signed as Fingerprint
 * signs deliveries. Its visitor is the example's, apart from the histories the read routes serve.
 */
function signedWebhook() {
  const payload = fixture('v4/webhook/webhook_event.json');
  const body = JSON.stringify({ ...payload, event_id: `${Date.now()}.whbnch`, timestamp: Date.now() });
  const event = buildApiEvent({ method: 'POST', resource: '/webhooks/fingerprint', body });
  const signature = createHmac('sha256', WEBHOOK_SIGNING_SECRET).update(body).digest('hex');
  return { ...event, headers: { ...event.headers, 'FPJS-Event-Signature': `v1=${signature}` } };
}

// ---------------------------------------------------------------------------------------------------------
// Fingerprint's example payloads, stored as the functions store them
// ---------------------------------------------------------------------------------------------------------

interface ExampleSize {
  example: string;
  events: number;
  maxBytes: number;
  /** Write units of the largest: the table's plus one per index holding it. */
  writeUnits: number;
  underOneKiB: boolean;
}

function fixture(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as Record<string, unknown>;
}

/** Each official example event, normalized by the product's normalizer and written by its event store. */
async function exampleItemSizes(dynamo: DynaliteHandle, tableName: string): Promise<ExampleSize[]> {
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  const visits = (file: string) => {
    const body = fixture(file);
    return list(body.visits).map((visit) => normalizeV3Visit(visit, String(body.visitorId)));
  };
  const isIdentification = (event: unknown) =>
    typeof event === 'object' && event !== null && 'identification' in event;
  const examples: [string, () => NormalizedEvent[]][] = [
    ['v4 GET /v4/events/{id}', () => [normalizeV4Event(fixture('v4/events/get_event_200.json'))]],
    [
      'v4 event with bot info',
      () => [normalizeV4Event(fixture('v4/events/get_event_with_bot_info_200.json'))],
    ],
    ['v4 event with ruleset', () => [normalizeV4Event(fixture('v4/events/get_event_ruleset_200.json'))]],
    [
      'v4 GET /v4/events (search)',
      () =>
        list(fixture('v4/events/search/get_event_search_200.json').events)
          .filter(isIdentification)
          .map(normalizeV4Event),
    ],
    ['v4 webhook', () => [normalizeWebhook(fixture('v4/webhook/webhook_event.json'))]],
    ['v3 GET /events/{id}', () => [normalizeV3Event(fixture('v3/get_event_200.json'))]],
    [
      'v3 GET /events/search',
      () => list(fixture('v3/get_event_search_200.json').events).map(normalizeV3Event),
    ],
    ['v3 GET /visitors (limit 1)', () => visits('v3/get_visitors_200_limit_1.json')],
    ['v3 GET /visitors (limit 500)', () => visits('v3/get_visitors_200_limit_500.json')],
    ['v3 webhook', () => [normalizeWebhook(fixture('v3/webhook.json'))]],
  ];
  const sizes: ExampleSize[] = [];
  for (const [example, normalize] of examples) {
    const events = normalize();
    let maxBytes = 0;
    let writeUnits = 0;
    for (const event of events) {
      // Stored as if enriched when it happened: the examples are older than any TTL. The normalized view only:
      // what the upstream's copy of a v4 event adds is measured by bench/storage.ts (docs/storage.md).
      const store = new DynamoDbEventStore({
        client: dynamo.client,
        tableName,
        ttlDays: 90,
        now: () => event.timestamp,
        storeUpstream: false,
      });
      await store.putEvents([event]);
      const { Item } = await dynamo.client.send(
        new GetItemCommand({ TableName: tableName, Key: { requestId: { S: event.requestId } } }),
      );
      if (Item === undefined) throw new Error(`${example}: ${event.requestId} was not stored`);
      const cost = eventWriteCost(Item);
      if (cost.bytes > maxBytes) {
        maxBytes = cost.bytes;
        writeUnits = cost.writeUnits;
      }
    }
    sizes.push({
      example,
      events: events.length,
      maxBytes,
      writeUnits,
      underOneKiB: maxBytes < MAX_ITEM_BYTES,
    });
  }
  return sizes;
}

// ---------------------------------------------------------------------------------------------------------
// The figures
// ---------------------------------------------------------------------------------------------------------

interface Measurements {
  startedAt: Date;
  machineBefore: ReturnType<typeof machine>;
  bundles: Bundles;
  cold: Record<string, ColdStartResult>;
  nodes: ReturnType<typeof runtimes>;
  warm: WarmRouteResult[];
  batchRun: BatchResult;
  batchUpstreamCalls: number;
  sustained: SustainedResult & {
    maxRps: number;
    consumers: number;
    perConsumerRps: number;
    upstreamLatencyMs: number;
    measuredSeconds: number;
    requestsInWindow: number;
    achievedRps: number;
    maxInAnySecond: number;
    totalRequests: number;
  };
  cost: CostResult;
  examples: ExampleSize[];
  awsCalls: Map<string, number>;
  deployed: Deployment;
}

/** The figures, as written to JSON and reported. */
function assemble(measured: Measurements) {
  const [first, ...warmBatches] = measured.batchRun.handlerMs;
  return {
    startedAt: measured.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { ...measured.machineBefore, loadAverageAfter: machine().loadAverage },
    options,
    deployed: measured.deployed,
    bundles: bundleFigures(measured.bundles),
    coldStart: {
      ...(measured.nodes.node24Unavailable !== undefined && {
        node24Unavailable: measured.nodes.node24Unavailable,
      }),
      runtimes: measured.nodes.runtimes.map((node) => ({
        label: node.label,
        version: node.version,
        ...coldStartFigures(measured.cold, node.label),
      })),
    },
    warm: measured.warm.map((route) => ({ ...route, ratioP50: ratio(route.handler.p50, route.raw.p50) })),
    throughput: {
      batchOfTen: {
        upstreamLatencyMs: UPSTREAM_LATENCY_MS,
        first,
        warm: summarize(warmBatches),
        rawFloor: summarize(measured.batchRun.rawMs),
        upstreamCalls: measured.batchUpstreamCalls,
        batches: measured.batchRun.handlerMs.length,
      },
      sustained: measured.sustained,
    },
    cost: { ...measured.cost, items: summarizeItems(measured.cost), examples: measured.examples },
    dollars: dollarsPerMillion(measured),
    secretsManagerCalls: measured.awsCalls.get('secretsmanager.GetSecretValue') ?? 0,
    deadLetters: measured.awsCalls.get('AmazonSQS.SendMessage') ?? 0,
  };
}

type Results = ReturnType<typeof assemble>;

/**
 * Dollars per million calls of each kind (`bench/support/cost.ts`), from this run's durations and the AWS
 * requests each call makes (docs/adr/0007, 0008 and docs/reliability.md count them). Durations are measured on
 * this machine against dynalite on loopback; where no route times a call of that kind warm, it is built from
 * measured parts, and the basis says how.
 */
function dollarsPerMillion(measured: Measurements) {
  const warmP50 = (name: string): number => {
    const route = measured.warm.find((entry) => entry.route === name);
    if (route === undefined) throw new Error(`No warm figures for ${name}`);
    return route.handler.p50;
  };
  const cachedRead = warmP50('POST /enrich (cached requestId)');
  const rawRead =
    measured.warm.find((entry) => entry.route === 'POST /enrich (cached requestId)')?.raw.p50 ?? 0;
  const ownWork = Math.max(0, cachedRead - rawRead);
  const [, ...warmBatches] = measured.batchRun.handlerMs;
  const batch = summarize(warmBatches).p50;
  const memory = (key: FunctionKey) => measured.deployed.functions[key].memorySize;
  const variable = (key: FunctionKey, name: string) =>
    Number(measured.deployed.functions[key].variables[name] ?? Number.NaN);
  const eventWrites = summarize(measured.cost.storedItems.map((item) => item.writeUnits)).max;
  const maxRps = measured.sustained.maxRps;
  // One key read per instance per cache period; the fleet runs at most FINGERPRINT_MAX_RPS uncached calls.
  const upstreamSecretReads = secretCallsPerCall({
    instances: measured.sustained.consumers,
    cacheSeconds: variable('enrichQueue', 'SECRET_CACHE_SECONDS'),
    callsPerSecond: maxRps,
  });
  const oneInstanceAtOnePerSecond = secretCallsPerCall({
    instances: 1,
    cacheSeconds: variable('webhook', 'SECRET_CACHE_SECONDS'),
    callsPerSecond: 1,
  });
  // Erasure checks before and after every write: two strongly consistent reads of one small item (ADR 7).
  const erasureReads = 2;
  // The fleet budget's seat: reserve and release, items under 1 KB (ADR 8); none read at rest.
  const seatWrites = 2;
  // The HTTP function's coalescing lease per getEvent: take and finish (ADR 8).
  const leaseWrites = 2;
  // An eventually consistent GetItem of an item under 4 KB.
  const cacheRead = 0.5;
  // Decrypting, inflating and normalizing a sealed v4 event, warm p50 (docs/performance.md, bench/sealed.ts).
  const SEALED_OPEN_MS = 0.23;
  const webhookDuration = ownWork + 3 * rawRead;
  const calls: CallProfile[] = [
    {
      label: 'cached read (POST /enrich, requestId cached)',
      durationMs: cachedRead,
      durationBasis: 'measured: warm p50 of the route',
      memoryMb: memory('enrichHttp'),
      invocations: 1,
      apiRequests: 1,
      readUnits: cacheRead,
      writeUnits: 0,
      sqsRequests: 0,
      secretsCalls: 0,
    },
    {
      label: 'requestId enrichment, queue (batches of 10)',
      durationMs: batch / 10,
      durationBasis: `measured: a warm batch of 10 (p50 ${ms(batch)} ms, ${UPSTREAM_LATENCY_MS} ms upstream) / 10`,
      memoryMb: memory('enrichQueue'),
      invocations: 0.1,
      apiRequests: 0,
      readUnits: cacheRead + erasureReads,
      writeUnits: eventWrites + seatWrites,
      // SendMessage by the producer, ReceiveMessage and DeleteMessage by the event source, per 10 messages.
      sqsRequests: 1 + 0.1 + 0.1,
      secretsCalls: upstreamSecretReads,
    },
    {
      label: 'requestId enrichment, HTTP (POST /enrich, not cached)',
      durationMs: batch,
      durationBasis: `measured, an upper bound: a warm batch of 10 enrichments at once (${UPSTREAM_LATENCY_MS} ms upstream)`,
      memoryMb: memory('enrichHttp'),
      invocations: 1,
      apiRequests: 1,
      readUnits: cacheRead + erasureReads,
      writeUnits: eventWrites + seatWrites + leaseWrites,
      sqsRequests: 0,
      secretsCalls: upstreamSecretReads,
    },
    {
      label: 'webhook delivery',
      durationMs: webhookDuration,
      durationBasis: `built from measured parts: the cached read's own work (${ms(ownWork)} ms) + 3 DynamoDB calls (erasure check, conditional put, erasure check) at the raw GetItem p50 (${ms(rawRead)} ms)`,
      memoryMb: memory('webhook'),
      invocations: 1,
      apiRequests: 1,
      readUnits: erasureReads,
      // A v4 delivery keeps Fingerprint's copy on the item like an enriched v4 event (STORE_UPSTREAM_EVENTS).
      writeUnits: eventWrites,
      sqsRequests: 0,
      secretsCalls: oneInstanceAtOnePerSecond,
    },
    {
      label: 'sealed enrichment (POST /enrich {"sealedResult"})',
      durationMs: webhookDuration + SEALED_OPEN_MS,
      durationBasis: `built from measured parts: the webhook delivery's (the same three DynamoDB calls and own work) + ${SEALED_OPEN_MS} ms to open the blob (bench/sealed.ts, warm p50); no upstream call, no seat`,
      memoryMb: memory('enrichHttp'),
      invocations: 1,
      apiRequests: 1,
      readUnits: erasureReads,
      writeUnits: eventWrites,
      sqsRequests: 0,
      secretsCalls: oneInstanceAtOnePerSecond,
    },
  ];
  return { prices: PRICES, calls: calls.map((call) => ({ ...call, dollars: costPerMillion(call) })) };
}

function bundleFigures(bundles: Bundles) {
  return {
    functions: Object.fromEntries(
      FUNCTIONS.map((key) => {
        const bundle = bundles.functions[key];
        const floor = bundles.floors[FLOOR_OF[key]];
        const allFloor = bundles.floors[ALL_CLIENTS_FLOOR_OF[key]];
        return [
          key,
          {
            entry: bundle.entry,
            bytes: bundle.bytes,
            gzipBytes: bundle.gzipBytes,
            totalBytes: bundle.totalBytes,
            files: bundle.files.length,
            floor: FLOOR_OF[key],
            ratio: ratio(bundle.bytes, floor.bytes),
            gzipRatio: ratio(bundle.gzipBytes, floor.gzipBytes),
            target: BUNDLE_TARGETS.initRatio,
            allClientsFloor: ALL_CLIENTS_FLOOR_OF[key],
            totalRatio: ratio(bundle.totalBytes, allFloor.totalBytes),
            totalTarget: BUNDLE_TARGETS.allChunksRatio,
            heaviest: bytesByOrigin(bundle).slice(0, 12),
          },
        ];
      }),
    ) as Record<
      FunctionKey,
      {
        entry: string;
        bytes: number;
        gzipBytes: number;
        totalBytes: number;
        files: number;
        floor: FloorKey;
        ratio: number;
        gzipRatio: number;
        target: number;
        allClientsFloor: FloorKey;
        totalRatio: number;
        totalTarget: number;
        heaviest: { origin: string; bytes: number }[];
      }
    >,
    floors: Object.fromEntries(
      Object.entries(bundles.floors).map(([key, bundle]) => [
        key,
        {
          entry: bundle.entry,
          bytes: bundle.bytes,
          gzipBytes: bundle.gzipBytes,
          totalBytes: bundle.totalBytes,
        },
      ]),
    ) as Record<FloorKey, { entry: string; bytes: number; gzipBytes: number; totalBytes: number }>,
  };
}

interface ColdStartFigure extends ColdStartResult {
  floor: FloorKey;
  initRatioP50: number;
  initAndFirstCallRatioP50: number;
  initCpuRatioP50: number;
  initAndFirstCallCpuRatioP50: number;
}

function coldStartFigures(cold: Record<string, ColdStartResult>, runtime: string) {
  const of = (key: string): ColdStartResult => {
    const result = cold[`${runtime}:${key}`];
    if (result === undefined) throw new Error(`No cold starts of ${key}`);
    return result;
  };
  const floors = Object.fromEntries(FUNCTIONS.map((key) => [key, of(`floor:${key}`)])) as Record<
    FunctionKey,
    ColdStartResult
  >;
  const functions = Object.fromEntries(
    FUNCTIONS.map((key): [FunctionKey, ColdStartFigure] => {
      const own = of(key);
      const floor = floors[key];
      return [
        key,
        {
          ...own,
          floor: FLOOR_OF[key],
          initRatioP50: ratio(own.init.p50, floor.init.p50),
          initAndFirstCallRatioP50: ratio(own.initAndFirstCall.p50, floor.initAndFirstCall.p50),
          initCpuRatioP50: ratio(own.initCpu.p50, floor.initCpu.p50),
          initAndFirstCallCpuRatioP50: ratio(own.initAndFirstCallCpu.p50, floor.initAndFirstCallCpu.p50),
        },
      ];
    }),
  ) as Record<FunctionKey, ColdStartFigure>;
  return { functions, floors };
}

function summarizeItems(cost: CostResult) {
  return {
    count: cost.storedItems.length,
    bytes: summarize(cost.storedItems.map((item) => item.bytes)),
    writeUnitsPerEvent: summarize(cost.storedItems.map((item) => item.writeUnits)),
    tableWriteUnits: summarize(cost.storedItems.map((item) => Math.ceil(item.bytes / 1024))),
    dynaliteAgrees: cost.storedItems.every(
      (item) =>
        item.tableUnitsByDynalite === undefined || item.tableUnitsByDynalite === Math.ceil(item.bytes / 1024),
    ),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------------------

function report(results: Results): string {
  const { machine: host, bundles, coldStart, warm, throughput, cost } = results;
  const out: string[] = [];
  out.push(
    `Machine: ${host.cpu}, ${host.cpus} CPUs, ${host.memoryGiB} GiB, ${host.os}, Node ${host.node}; ` +
      `load ${host.loadAverage.join('/')} before, ${host.loadAverageAfter.join('/')} after`,
  );

  out.push(
    '',
    `Bundle size (minified, as deployed; floors without source maps; targets: what init loads ≤ ${BUNDLE_TARGETS.initRatio}× ` +
      `its first call's floor, all chunks ≤ ${BUNDLE_TARGETS.allChunksRatio}× the floor of every client it may load)`,
  );
  out.push(
    table(
      [
        'bundle',
        'init bytes',
        'KiB',
        'gzip KiB',
        'floor',
        'floor KiB',
        'ratio',
        'gzip ratio',
        'all chunks KiB',
        'files',
        'floor (all)',
        'floor KiB',
        'ratio',
        'target',
      ],
      [
        ...FUNCTIONS.map((key) => {
          const figure = bundles.functions[key];
          const floor = bundles.floors[figure.floor];
          const allFloor = bundles.floors[figure.allClientsFloor];
          return [
            key,
            String(figure.bytes),
            kib(figure.bytes),
            kib(figure.gzipBytes),
            figure.floor,
            kib(floor.bytes),
            times(figure.ratio),
            times(figure.gzipRatio),
            kib(figure.totalBytes),
            String(figure.files),
            figure.allClientsFloor,
            kib(allFloor.totalBytes),
            times(figure.totalRatio),
            `init ${verdict(figure.ratio <= figure.target)}, all ${verdict(figure.totalRatio <= figure.totalTarget)}`,
          ];
        }),
        ...Object.entries(bundles.floors).map(([key, floor]) => [
          `floor: ${key}`,
          String(floor.bytes),
          kib(floor.bytes),
          kib(floor.gzipBytes),
          '',
          '',
          '',
          '',
          kib(floor.totalBytes),
          '',
          '',
          '',
          '',
          '',
        ]),
      ],
    ),
  );

  const initTarget = TIMING_TARGETS.initRatio;
  if (coldStart.node24Unavailable !== undefined) {
    out.push('', `Node.js 24 unavailable: ${coldStart.node24Unavailable}`);
  }
  for (const runtime of coldStart.runtimes) {
    out.push(
      '',
      `Cold start on ${runtime.version}, ms (${results.options.coldRuns} fresh processes each, medians; ` +
        `target on Node 24: ≤ ${initTarget}× the floor of the first call's clients, for init and init plus the first call)`,
    );
    out.push(
      table(
        [
          'bundle',
          'floor',
          'init p50',
          'p90',
          'floor p50',
          'ratio',
          'init+1st p50',
          'p90',
          'floor p50',
          'ratio',
          'CPU ratio init',
          'init+1st',
          'target',
        ],
        FUNCTIONS.map((key) => {
          const own = runtime.functions[key];
          const floor = runtime.floors[key];
          return [
            key,
            own.floor,
            ms(own.init.p50),
            ms(own.init.p90),
            ms(floor.init.p50),
            times(own.initRatioP50),
            ms(own.initAndFirstCall.p50),
            ms(own.initAndFirstCall.p90),
            ms(floor.initAndFirstCall.p50),
            times(own.initAndFirstCallRatioP50),
            times(own.initCpuRatioP50),
            times(own.initAndFirstCallCpuRatioP50),
            verdict(own.initRatioP50 <= initTarget && own.initAndFirstCallRatioP50 <= initTarget),
          ];
        }),
      ),
    );
  }

  const warmTarget = TIMING_TARGETS.warmP50Ratio;
  out.push(
    '',
    `Warm latency, ms (${results.options.warmCalls} calls each; target p50 ≤ ${warmTarget}× the raw DynamoDB call)`,
  );
  out.push(
    table(
      ['route', 'p50', 'p99', 'raw p50', 'raw p99', 'ratio p50', 'answer bytes', 'target'],
      warm.map((route) => [
        route.route,
        ms(route.handler.p50),
        ms(route.handler.p99),
        ms(route.raw.p50),
        ms(route.raw.p99),
        times(route.ratioP50),
        String(route.responseBytes),
        verdict(route.ratioP50 <= warmTarget),
      ]),
    ),
  );

  const batch = throughput.batchOfTen;
  const sustained = throughput.sustained;
  const floorRps = sustained.maxRps * TIMING_TARGETS.sustainedRateShare;
  out.push('', 'Enrich throughput');
  out.push(
    table(
      ['run', 'figure', 'next to', 'target'],
      [
        [
          `queue batch of 10 distinct requestIds, ${batch.upstreamLatencyMs} ms upstream (warm, p50)`,
          `${ms(batch.warm.p50)} ms`,
          `${batch.upstreamLatencyMs} ms`,
          verdict(batch.warm.p50 <= TIMING_TARGETS.batchOfTenMs),
        ],
        ['  same, slowest warm batch', `${ms(batch.warm.max)} ms`, `${batch.upstreamLatencyMs} ms`, ''],
        [
          '  raw floor: the same DynamoDB calls and upstream wait, SDK alone (p50)',
          `${ms(batch.rawFloor.p50)} ms`,
          '',
          '',
        ],
        ['  same, first batch of a cold consumer', `${ms(batch.first ?? Number.NaN)} ms`, '', ''],
        [
          `sustained: FINGERPRINT_MAX_RPS ${sustained.maxRps}, ${sustained.consumers} consumers at ` +
            `${sustained.perConsumerRps}/s, ${sustained.measuredSeconds} s`,
          `${sustained.achievedRps.toFixed(2)}/s`,
          `${sustained.maxRps}/s`,
          verdict(
            sustained.achievedRps >= floorRps &&
              sustained.achievedRps <= sustained.maxRps &&
              !sustained.ranDry,
          ),
        ],
        [
          '  most upstream requests in any sliding second',
          String(sustained.maxInAnySecond),
          String(sustained.maxRps),
          verdict(sustained.maxInAnySecond <= sustained.maxRps),
        ],
      ],
    ),
  );

  out.push('', 'Upstream calls per enrichment (POST /enrich)');
  out.push(
    table(
      ['enrichment', 'upstream calls', 'expected', 'events', 'stored', 'source'],
      cost.cases.map((entry) => [
        entry.label,
        String(entry.upstreamCalls),
        String(entry.expectedCalls),
        String(entry.events),
        String(entry.stored),
        entry.source,
      ]),
    ),
  );
  const items = cost.items;
  out.push(
    '',
    `Stored items of ${items.count} enriched events: ${items.bytes.min}–${items.bytes.max} bytes, ` +
      `${items.tableWriteUnits.max} table write unit each, ${items.writeUnitsPerEvent.min}–` +
      `${items.writeUnitsPerEvent.max} with the indexes that hold the item (dynalite ` +
      `${items.dynaliteAgrees ? 'agrees' : 'DISAGREES'} on the table's)`,
  );
  out.push(
    table(
      ['Fingerprint example', 'events', 'largest item, bytes', 'write units (table + indexes)', '< 1 KiB'],
      cost.examples.map((example) => [
        example.example,
        String(example.events),
        String(example.maxBytes),
        String(example.writeUnits),
        example.underOneKiB ? 'yes' : 'NO',
      ]),
    ),
  );
  out.push(
    '',
    `Secrets Manager calls in the whole run: ${results.secretsManagerCalls}; dead-lettered records: ${results.deadLetters}`,
  );

  const prices = results.dollars.prices;
  const usd = (value: number) => `$${value.toFixed(3)}`;
  out.push(
    '',
    `Dollars per million calls (${prices.region} on-demand prices of ${prices.asOf}: Lambda arm64 $${prices.lambdaArmGbSecond}/GB-s, ` +
      `$${prices.lambdaRequest * 1e6}/M requests; API Gateway REST $${prices.apiRequest * 1e6}/M; DynamoDB $${prices.dynamoWriteUnit * 1e6}/M write units, ` +
      `$${prices.dynamoReadUnit * 1e6}/M read units; SQS $${prices.sqsRequest * 1e6}/M requests; Secrets Manager $${prices.secretsCall * 1e4}/10k calls)`,
  );
  out.push(
    table(
      [
        'call',
        'ms',
        'MB',
        'inv.',
        'RRU',
        'WRU',
        'SQS',
        'SM calls',
        'compute',
        'requests',
        'DynamoDB',
        'SQS',
        'SM',
        'total',
      ],
      results.dollars.calls.map((call) => [
        call.label,
        ms(call.durationMs),
        String(call.memoryMb),
        String(call.invocations),
        String(call.readUnits),
        String(call.writeUnits),
        String(Number(call.sqsRequests.toFixed(3))),
        call.secretsCalls.toFixed(4),
        usd(call.dollars.compute),
        usd(call.dollars.requests),
        usd(call.dollars.dynamodb),
        usd(call.dollars.sqs),
        usd(call.dollars.secrets),
        usd(call.dollars.total),
      ]),
    ),
  );
  for (const call of results.dollars.calls) out.push(`  ${call.label}: duration ${call.durationBasis}`);
  return out.join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
