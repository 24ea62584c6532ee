/**
 * The throughput phase, with a slow upstream ({@link UPSTREAM_LATENCY_MS}): queue batches of 10 distinct
 * requestIds, then the deployed number of consumers at the deployed rate for `BENCH_SUSTAINED_SECONDS`,
 * counting what reaches the upstream in every second.
 */
import { log, options, SUSTAINED_WARMUP_MS, UPSTREAM_LATENCY_MS } from '../settings.js';
import { maxInSlidingWindow } from '../support/stats.js';
import { type BatchResult, runWorker, type SustainedResult } from '../support/workers.js';
import type { BenchUpstream } from './upstream.js';

export interface SustainedFigures extends SustainedResult {
  maxRps: number;
  consumers: number;
  perConsumerRps: number;
  upstreamLatencyMs: number;
  measuredSeconds: number;
  requestsInWindow: number;
  achievedRps: number;
  maxInAnySecond: number;
  totalRequests: number;
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
}

export async function measureThroughput(
  upstream: BenchUpstream,
  run: ThroughputRun,
): Promise<{ batchRun: BatchResult; batchUpstreamCalls: number; sustained: SustainedFigures }> {
  const { emulator, arrivals } = upstream;
  upstream.setSlow(true);
  try {
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

    const queueEnv = run.env();
    const maxRps = Number(queueEnv.FINGERPRINT_MAX_RPS);
    const consumers = Number(queueEnv.QUEUE_MAX_CONCURRENCY);
    if (consumers !== run.deployedConsumers) {
      throw new Error(
        `The consumer shares the rate among ${consumers} instances but the event source runs ${run.deployedConsumers}`,
      );
    }
    log(
      `sustained: ${consumers} consumers at FINGERPRINT_MAX_RPS ${maxRps} for ${options.sustainedSeconds} s`,
    );
    const measureMs = options.sustainedSeconds * 1000;
    // Deep enough that the queue never empties, however fast the consumers go.
    const backlog = Math.ceil((maxRps * (SUSTAINED_WARMUP_MS + measureMs)) / 1000) * 2 + 10 * consumers;
    const sustainedIds = emulator.seedMany(backlog, {}).map((seed) => seed.requestId);
    const sustainedArrivalsFrom = arrivals.length;
    const sustained = await runWorker<SustainedResult>(
      {
        kind: 'sustained',
        bundle: run.bundle,
        instances: consumers,
        requestIds: sustainedIds,
        warmupMs: SUSTAINED_WARMUP_MS,
        measureMs,
      },
      queueEnv,
    );
    const sustainedArrivals = arrivals.slice(sustainedArrivalsFrom);
    const inWindow = sustainedArrivals.filter(
      (at) => at >= sustained.measureFrom && at < sustained.measureTo,
    ).length;
    return {
      batchRun,
      batchUpstreamCalls,
      sustained: {
        ...sustained,
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
    };
  } finally {
    upstream.setSlow(false);
  }
}
