/**
 * The throughput phase: queue batches of 10 distinct requestIds with a slow upstream ({@link UPSTREAM_LATENCY_MS}),
 * then the fleet at the deployed rate for `BENCH_SUSTAINED_SECONDS` at each of {@link SUSTAINED_LATENCIES_MS}: the
 * deployed number of queue consumers and, beside them, instances of the enrich HTTP function enriching uncached
 * requestIds, all sharing the fleet's upstream budget (ADR 0008), with every arrival at the upstream counted.
 */
import {
  log,
  options,
  SUSTAINED_HTTP_CALLERS,
  SUSTAINED_HTTP_INSTANCES,
  SUSTAINED_LATENCIES_MS,
  SUSTAINED_WARMUP_MS,
  UPSTREAM_LATENCY_MS,
} from '../settings.js';
import { maxInSlidingWindow, type Summary, summarize } from '../support/stats.js';
import {
  type BatchResult,
  type EnrichLoadResult,
  runInStep,
  runWorker,
  type SustainedResult,
} from '../support/workers.js';
import type { BenchUpstream } from './upstream.js';

/** One sustained run. Times are epoch milliseconds; the rate is counted at the upstream, on arrival. */
export interface SustainedFigures extends SustainedResult {
  maxRps: number;
  consumers: number;
  upstreamLatencyMs: number;
  /**
   * The most the budget allows at this latency: each seat is held from a request's start until its answer
   * begins plus a second (ADR 0008), so it turns at best every `1 s + latency`.
   */
  ceilingRps: number;
  measuredSeconds: number;
  /** Every upstream arrival in the measured window, whoever sent it. */
  requestsInWindow: number;
  achievedRps: number;
  /**
   * The rate the run is judged by, from how often the seats turn: the mean time from an arrival in the window to the `maxRps`-th
   * after it. The seats keep step, so arrivals come in bursts of up to `maxRps` about a second apart, and a
   * count in a fixed window moves by up to `maxRps` with where its edges fall (0.17/s in 30 s); this does not.
   */
  seatTurnRps: number;
  /** Over the whole run, warm-up and the last calls after the window included. */
  maxInAnySecond: number;
  totalRequests: number;
  /** `POST /enrich` beside the consumers. */
  http: Omit<EnrichLoadResult, 'okMs' | 'refusedMs' | 'startedAt' | 'stoppedAt'> & {
    instances: number;
    callersPerInstance: number;
    /** Of {@link SustainedFigures.requestsInWindow}, the HTTP function's. */
    requestsInWindow: number;
    okMs: Summary | undefined;
    refusedMs: Summary | undefined;
  };
}

export interface ThroughputRun {
  /** The queue consumer's bundle. */
  bundle: string;
  tableName: string;
  /** A stored event's requestId, the template of the batches' raw floor. */
  templateRequestId: string;
  /** The queue consumer's environment, with overrides. */
  env(overrides?: Record<string, string>): Record<string, string>;
  /** How many consumers the queue's event source runs, as deployed. */
  deployedConsumers: number;
  /** The enrich HTTP function's bundle and environment, as deployed. */
  http: { bundle: string; env: Record<string, string> };
}

export async function measureThroughput(
  upstream: BenchUpstream,
  run: ThroughputRun,
): Promise<{ batchRun: BatchResult; batchUpstreamCalls: number; sustained: SustainedFigures[] }> {
  const { emulator, arrivals } = upstream;
  try {
    upstream.setLatency(UPSTREAM_LATENCY_MS);
    log(`queue batches of 10 with ${UPSTREAM_LATENCY_MS} ms upstream latency`);
    const batchArrivalsFrom = arrivals.length;
    const batches = Array.from({ length: options.batchTrials + 1 }, () =>
      emulator.seedMany(10, {}).map((seed) => seed.requestId),
    );
    // The pacer is measured by the sustained run; here it must not shape the batch, so the limit is high.
    const batchRun = await runWorker<BatchResult>(
      {
        kind: 'batch',
        bundle: run.bundle,
        batches,
        tableName: run.tableName,
        templateRequestId: run.templateRequestId,
        upstreamLatencyMs: UPSTREAM_LATENCY_MS,
      },
      run.env({ FINGERPRINT_MAX_RPS: '1000', QUEUE_MAX_CONCURRENCY: '1' }),
    );
    const batchUpstreamCalls = arrivals.length - batchArrivalsFrom;

    const sustained: SustainedFigures[] = [];
    for (const latencyMs of SUSTAINED_LATENCIES_MS) {
      upstream.setLatency(latencyMs);
      sustained.push(await measureSustained(upstream, run, latencyMs));
    }
    return { batchRun, batchUpstreamCalls, sustained };
  } finally {
    upstream.setLatency(0);
  }
}

async function measureSustained(
  upstream: BenchUpstream,
  run: ThroughputRun,
  upstreamLatencyMs: number,
): Promise<SustainedFigures> {
  const { emulator, arrivals } = upstream;
  const queueEnv = run.env();
  const maxRps = Number(queueEnv.FINGERPRINT_MAX_RPS);
  const consumers = Number(queueEnv.QUEUE_MAX_CONCURRENCY);
  if (consumers !== run.deployedConsumers) {
    throw new Error(
      `The consumer is configured for ${consumers} instances but the event source runs ${run.deployedConsumers}`,
    );
  }
  if (Number(run.http.env.FINGERPRINT_MAX_RPS) !== maxRps) {
    throw new Error(
      `The enrich functions' FINGERPRINT_MAX_RPS differ (${run.http.env.FINGERPRINT_MAX_RPS}, ${maxRps})`,
    );
  }
  log(
    `sustained: ${consumers} consumers and ${SUSTAINED_HTTP_INSTANCES} × ${SUSTAINED_HTTP_CALLERS} POST /enrich ` +
      `callers at FINGERPRINT_MAX_RPS ${maxRps}, ${upstreamLatencyMs} ms upstream, for ${options.sustainedSeconds} s`,
  );
  const measureMs = options.sustainedSeconds * 1000;
  // Deep enough that neither the queue nor the callers' list empties, however fast either goes.
  const enough = (takers: number) =>
    Math.ceil((maxRps * (SUSTAINED_WARMUP_MS + measureMs)) / 1000) * 2 + takers;
  const queueIds = emulator.seedMany(enough(10 * consumers), {}).map((seed) => seed.requestId);
  const httpCallers = SUSTAINED_HTTP_INSTANCES * SUSTAINED_HTTP_CALLERS;
  const httpIds = emulator.seedMany(enough(httpCallers), {}).map((seed) => seed.requestId);
  const arrivalsFrom = arrivals.length;
  const [queue, http] = await runInStep<[SustainedResult, EnrichLoadResult]>([
    {
      task: {
        kind: 'sustained',
        bundle: run.bundle,
        instances: consumers,
        requestIds: queueIds,
        warmupMs: SUSTAINED_WARMUP_MS,
        measureMs,
      },
      env: queueEnv,
    },
    {
      task: {
        kind: 'enrichLoad',
        bundle: run.http.bundle,
        instances: SUSTAINED_HTTP_INSTANCES,
        callersPerInstance: SUSTAINED_HTTP_CALLERS,
        requestIds: httpIds,
        warmupMs: SUSTAINED_WARMUP_MS,
        measureMs,
      },
      env: run.http.env,
    },
  ]);
  const runArrivals = arrivals.slice(arrivalsFrom);
  const inWindow = runArrivals.filter(
    (arrival) => arrival.at >= queue.measureFrom && arrival.at < queue.measureTo,
  );
  const httpSet = new Set(httpIds);
  // The path's last segment is the requestId (v4 `/v4/events/{event_id}`, v3 `/events/{request_id}`).
  const isHttp = (path: string) => httpSet.has(decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)));
  return {
    ...queue,
    stoppedAt: Math.max(queue.stoppedAt, http.stoppedAt),
    maxRps,
    consumers,
    upstreamLatencyMs,
    ceilingRps: (maxRps * 1000) / (1000 + upstreamLatencyMs),
    measuredSeconds: measureMs / 1000,
    requestsInWindow: inWindow.length,
    achievedRps: inWindow.length / (measureMs / 1000),
    seatTurnRps: seatTurnRate(
      inWindow.map((arrival) => arrival.at),
      maxRps,
    ),
    maxInAnySecond: maxInSlidingWindow(
      runArrivals.map((arrival) => arrival.at),
      1000,
    ),
    totalRequests: runArrivals.length,
    http: {
      ok: http.ok,
      refused: http.refused,
      okAfterRefusal: http.okAfterRefusal,
      refusedAtEnd: http.refusedAtEnd,
      ranDry: http.ranDry,
      instances: SUSTAINED_HTTP_INSTANCES,
      callersPerInstance: SUSTAINED_HTTP_CALLERS,
      requestsInWindow: inWindow.filter((arrival) => isHttp(arrival.path)).length,
      okMs: http.okMs.length > 0 ? summarize(http.okMs) : undefined,
      refusedMs: http.refusedMs.length > 0 ? summarize(http.refusedMs) : undefined,
    },
  };
}

/** `seats` arrivals per mean interval from one arrival to the `seats`-th after it. */
function seatTurnRate(arrivals: readonly number[], seats: number): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  const turns = sorted.slice(seats).map((at, index) => at - (sorted[index] as number));
  if (turns.length === 0) return Number.NaN;
  return (seats * 1000 * turns.length) / turns.reduce((sum, turn) => sum + turn, 0);
}
