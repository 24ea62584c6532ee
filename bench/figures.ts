/**
 * The figures of a run, as written to JSON and reported: each phase's measurements put together, with the
 * ratios to their floors and the dollars per million calls.
 */
import type { FunctionKey } from '../infra/bundling.js';
import { type Bundles, bytesByOrigin } from './bundles.js';
import type { ColdStartResult } from './cold-start.js';
import type { ExampleSize } from './phases/example-sizes.js';
import type { SustainedFigures } from './phases/throughput.js';
import { FUNCTIONS, machine, options, type runtimes, UPSTREAM_LATENCY_MS } from './settings.js';
import { type CallProfile, costPerMillion, PRICES, secretCallsPerCall } from './support/cost.js';
import type { Deployment } from './support/environment.js';
import { ratio, summarize } from './support/stats.js';
import { ms } from './support/table.js';
import type { BatchResult, CostResult, WarmRouteResult } from './support/workers.js';
import { ALL_CLIENTS_FLOOR_OF, BUNDLE_TARGETS, FLOOR_OF, type FloorKey } from './targets.js';

export interface Measurements {
  startedAt: Date;
  machineBefore: ReturnType<typeof machine>;
  bundles: Bundles;
  cold: Record<string, ColdStartResult>;
  nodes: ReturnType<typeof runtimes>;
  warm: WarmRouteResult[];
  batchRun: BatchResult;
  batchUpstreamCalls: number;
  /** One per latency of SUSTAINED_LATENCIES_MS, in its order (100 ms first). */
  sustained: SustainedFigures[];
  cost: CostResult;
  examples: ExampleSize[];
  awsCalls: Map<string, number>;
  deployed: Deployment;
}

/** The figures, as written to JSON and reported. */
export function assemble(measured: Measurements) {
  const [first, ...warmBatches] = measured.batchRun.handlerMs;
  return {
    startedAt: measured.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { ...measured.machineBefore, loadAverageAfter: machine().loadAverage },
    options,
    deployed: measured.deployed,
    bundles: bundleFigures(measured.bundles),
    coldStart: coldStartSection(measured.cold, measured.nodes),
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

export type Results = ReturnType<typeof assemble>;

/** The cold starts of every runtime, each function next to its floor. */
export function coldStartSection(cold: Record<string, ColdStartResult>, nodes: ReturnType<typeof runtimes>) {
  return {
    ...(nodes.node24Unavailable !== undefined && { node24Unavailable: nodes.node24Unavailable }),
    runtimes: nodes.runtimes.map((node) => ({
      label: node.label,
      version: node.version,
      ...coldStartFigures(cold, node.label),
    })),
  };
}

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
  // The limit and the consumers are the deployed ones, the same in every sustained run: the first's are taken.
  const [sustained] = measured.sustained;
  if (sustained === undefined) throw new Error('No sustained run');
  const maxRps = sustained.maxRps;
  // One key read per instance per cache period; the fleet runs at most FINGERPRINT_MAX_RPS uncached calls.
  const upstreamSecretReads = secretCallsPerCall({
    instances: sustained.consumers,
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
