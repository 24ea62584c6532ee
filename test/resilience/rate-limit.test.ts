import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerConcurrencyFor } from '../../shared/config/consumer-concurrency.js';
import { chance, Occurrences } from '../support/chance.js';
import { busiestWindow, recordFigures } from '../support/figures.js';
import { parseLogLines } from '../support/log-lines.js';
import { type QueueHarness, startQueueHarness } from '../support/queue-harness.js';
import { captureOutput } from '../support/service.js';
import { runEventSource } from '../support/sqs-simulator.js';

/** Fingerprint's default limit, and the stack's default. */
const MAX_RPS = 5;
/** What the stack gives the event source for that limit (`QUEUE_MAX_CONCURRENCY`): 5 consumers sharing the budget. */
const CONSUMERS = consumerConcurrencyFor(MAX_RPS);
/** Far more than the consumers can take in the measured time: the queue stays deep throughout. */
const QUEUE_DEPTH = 300;
/**
 * How long the event source keeps receiving; invocations then in flight still finish. Five batches of 10 share
 * 5/s, so each consumer takes one batch and the measure lasts about 10 s.
 */
const RECEIVE_FOR_MS = 5_000;
const SEED = 5_005;

describe('the upstream rate limit, with a deep queue and the deployed concurrency', () => {
  let harness: QueueHarness;

  beforeAll(async () => {
    harness = await startQueueHarness({ consumers: CONSUMERS, maxRps: MAX_RPS, recordArrivals: true });
  });
  afterAll(async () => {
    await harness.stop();
  });

  it(`never lets Fingerprint see more than ${MAX_RPS} requests in any one-second window`, async () => {
    const seeds = harness.upstream.seedMany(QUEUE_DEPTH, { visitorId: 'RateVisitor000000001' });
    for (const seed of seeds) harness.queue.send(JSON.stringify({ requestId: seed.requestId }));
    // Some answers are 429 or 503, so retries compete for the same slots as first attempts.
    const occurrences = new Occurrences();
    let faults = 0;
    harness.upstream.setFaultInjector((request) => {
      const key = request.path.slice(request.path.indexOf('.') + 1);
      const roll = chance(SEED, key, occurrences.next(key));
      if (roll >= 0.15) return undefined;
      faults += 1;
      return roll < 0.08 ? { kind: 'status', status: 429 } : { kind: 'status', status: 503 };
    });

    const output = captureOutput();
    const started = performance.now();
    const report = await runEventSource({
      queue: harness.queue,
      consumers: harness.consumers,
      functionTimeoutMs: 60_000,
      stopReceiving: () => performance.now() - started > RECEIVE_FOR_MS,
    });
    output.stop();

    // Stamped on a thread of its own, as Fingerprint would: not late when the test's event loop is busy.
    const arrivals = (await harness.arrivals?.arrivals()) ?? [];
    expect(arrivals).toHaveLength(harness.upstream.requests.length);
    const busiest = busiestWindow(arrivals, 1_000);
    // The same count as the fake itself saw it, on the test's busy event loop: reported, not asserted.
    const busiestOnTestLoop = busiestWindow(
      harness.upstream.requests.map((request) => request.receivedAt),
      1_000,
    );
    const first = Math.min(...arrivals);
    const last = Math.max(...arrivals);
    // While every consumer works through its batch the limit is the bottleneck: the busiest 10 s show the rate.
    const sustainedRate = busiestWindow(arrivals, 10_000) / 10;
    recordFigures('rate-limit', {
      maxRps: MAX_RPS,
      consumers: CONSUMERS,
      queueDepth: QUEUE_DEPTH,
      receivedForMs: RECEIVE_FOR_MS,
      upstreamRequests: arrivals.length,
      answeredWith429Or503: faults,
      invocations: report.invocations.length,
      busiestOneSecondWindow: busiest,
      busiestOneSecondWindowOnTheTestEventLoop: busiestOnTestLoop,
      busiestTenSecondsRatePerSecond: Number(sustainedRate.toFixed(2)),
      overallRatePerSecond: Number(((arrivals.length - 1) / ((last - first) / 1_000)).toFixed(2)),
      wallTimeMs: Math.round(performance.now() - started),
    });

    expect(busiest).toBeLessThanOrEqual(MAX_RPS);
    // The limit was the bottleneck: the consumers kept Fingerprint busy rather than idle.
    expect(arrivals.length).toBeGreaterThanOrEqual(CONSUMERS * 10);
    expect(report.invocations.every((invocation) => invocation.batchFailure === undefined)).toBe(true);
    const { lines } = parseLogLines(output.text());
    expect(lines.filter((line) => line.level === 'ERROR')).toEqual([]);
  });
});
