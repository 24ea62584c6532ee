import type { SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { buildContext } from '../../local/harness/lambda-events.js';
import { buildRecord } from '../../local/harness/sqs-events.js';
import { FINISH_MARGIN_MS } from '../../shared/runtime/deadline.js';
import { recordFigures } from '../support/figures.js';
import { expectError } from '../support/http-assertions.js';
import { parseLogLines } from '../support/log-lines.js';
import { useService } from '../support/service.js';
import {
  runEventSource,
  SimulatedDeadLetterQueue,
  SimulatedQueue,
  VirtualClock,
} from '../support/sqs-simulator.js';

const VISITOR_ID = 'Slow1527CUFmcnjLwIs4';
/** Long enough that only the handler's own deadline can end the wait. */
const HANG = { kind: 'delay', ms: 60_000 } as const;

describe('deadlines: a slow Fingerprint never keeps a handler past its remaining time', () => {
  const service = useService();
  const measured: Array<{
    handler: string;
    case: string;
    remainingMs: number;
    tookMs: number;
    leftMs: number;
  }> = [];

  afterAll(() => {
    recordFigures('deadlines', { finishMarginMs: FINISH_MARGIN_MS, runs: measured });
  });
  beforeEach(() => {
    service.deadLettered.length = 0;
  });

  const hangFor = (requestId: string) =>
    service.upstream.failNext(HANG, 1_000, (request) => request.path.includes(requestId));

  const post = async (body: unknown, remainingMs: number, label: string) => {
    const context = buildContext(remainingMs);
    const started = Date.now();
    const response = await service.call('POST', '/enrich', { body, context });
    const leftMs = context.getRemainingTimeInMillis();
    measured.push({
      handler: 'POST /enrich',
      case: label,
      remainingMs,
      tookMs: Date.now() - started,
      leftMs,
    });
    return { response, leftMs };
  };

  it.each([
    [800, 'less time than the finish margin'],
    [2_000, 'a deadline shorter than one attempt timeout'],
    [7_000, 'a deadline that ends during the second attempt'],
  ])(
    'POST /enrich answers 504 UpstreamTimeout with time to spare when given %i ms (%s)',
    async (remainingMs, label) => {
      const requestId = `${Date.now()}.Hang${String(remainingMs).slice(0, 2)}`;
      hangFor(requestId);

      const { response, leftMs } = await post({ requestId }, remainingMs, label);

      const error = expectError(response, 504, 'UpstreamTimeout');
      expect(error.message).toMatch(/did not answer in time/);
      expect(leftMs).toBeGreaterThan(0);
      if (remainingMs <= FINISH_MARGIN_MS) expect(service.upstream.requests).toEqual([]);
    },
  );

  it('answers 504 when the second page of a history hangs, storing nothing half-read', async () => {
    const seeds = service.upstream.seedMany(150, { visitorId: VISITOR_ID });
    service.upstream.failNext(HANG, 1_000, (request) => request.query.pagination_key !== undefined);

    const { response, leftMs } = await post({ visitorId: VISITOR_ID, maxEvents: 150 }, 4_000, 'paging');

    expectError(response, 504, 'UpstreamTimeout');
    expect(leftMs).toBeGreaterThan(0);
    const Items = await service.allItems();
    const paged = new Set(seeds.map((seed) => seed.requestId));
    expect(Items.filter((item) => paged.has(String(item.requestId)))).toEqual([]);
  });

  it('GET /events/{requestId} answers 504 in time when the read-through to Fingerprint hangs', async () => {
    const requestId = `${Date.now()}.ReadTh`;
    hangFor(requestId);
    const context = buildContext(3_000);
    const started = Date.now();

    const response = await service.call('GET', '/events/{requestId}', { params: { requestId }, context });

    const leftMs = context.getRemainingTimeInMillis();
    measured.push({
      handler: 'GET /events/{requestId}',
      case: 'read-through hangs',
      remainingMs: 3_000,
      tookMs: Date.now() - started,
      leftMs,
    });
    expectError(response, 504, 'UpstreamTimeout');
    expect(leftMs).toBeGreaterThan(0);
  });

  it('answers 429 at once, without waiting, when Retry-After reaches past the deadline', async () => {
    const requestId = `${Date.now()}.Later0`;
    service.upstream.failNext({ kind: 'status', status: 429, retryAfter: '120' }, 1_000, (request) =>
      request.path.includes(requestId),
    );

    const { response, leftMs } = await post({ requestId }, 10_000, 'Retry-After past the deadline');

    expectError(response, 429, 'UpstreamRateLimited');
    expect(response.headers?.['Retry-After']).toBe('120');
    expect(leftMs).toBeGreaterThan(8_000);
    expect(service.upstream.requests).toHaveLength(1);
  });

  it('reports only the hanging record of a batch as failed, in time, and SQS delivers it again', async () => {
    const [ok1, ok2, slow] = service.upstream.seedMany(3, { visitorId: VISITOR_ID });
    if (ok1 === undefined || ok2 === undefined || slow === undefined) throw new Error('no seeds');
    // Only the first attempt hangs: by the redelivery, Fingerprint has recovered.
    service.upstream.failNext(HANG, 1, (request) => request.path.includes(slow.requestId));
    const clock = new VirtualClock();
    const deadLetters = new SimulatedDeadLetterQueue();
    const queue = new SimulatedQueue({
      clock,
      deadLetterQueue: deadLetters,
      visibilityTimeoutMs: 365_000,
      maxReceiveCount: 5,
    });
    const ids = [ok1, slow, ok2].map((seed) => queue.send(JSON.stringify({ requestId: seed.requestId })));
    const functionTimeoutMs = 5_000;

    const report = await runEventSource({
      queue,
      consumers: [(event, context) => service.handlers.queue(event, context)],
      functionTimeoutMs,
    });

    const [first, second] = report.invocations;
    expect(report.invocations).toHaveLength(2);
    expect(first?.failed).toEqual([ids[1]]);
    expect(first?.durationMs).toBeLessThan(functionTimeoutMs);
    expect(first?.batchFailure).toBeUndefined();
    expect(second?.records.map((record) => record.messageId)).toEqual([ids[1]]);
    expect(second?.failed).toEqual([]);
    for (const id of ids) expect(queue.messages.get(id ?? '')?.state).toBe('deleted');
    expect(queue.messages.get(ids[1] ?? '')?.receiveCount).toBe(2);
    expect(deadLetters.messages).toEqual([]);
    measured.push({
      handler: 'queue consumer',
      case: 'one hanging record in a batch of 3',
      remainingMs: functionTimeoutMs,
      tookMs: first?.durationMs ?? 0,
      leftMs: functionTimeoutMs - (first?.durationMs ?? 0),
    });
    const { lines } = parseLogLines(service.output.text());
    const retried = lines.filter((line) => line.message === 'Record failed, SQS will deliver it again');
    expect(retried.map((line) => [line.messageId, line.errorCode])).toEqual([[ids[1], 'UpstreamTimeout']]);
  });

  it('fails every record of a batch in time when the whole upstream hangs, dead-lettering none', async () => {
    const records = [1, 2, 3, 4, 5].map((n) =>
      buildRecord(JSON.stringify({ requestId: `${Date.now()}.Stuck${n}` })),
    );
    service.upstream.failNext(HANG, 1_000, (request) => request.path.includes('Stuck'));
    const context = buildContext(3_000);

    const result = (await service.handlers.queue({ Records: records }, context)) as SQSBatchResponse;

    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(result.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(
      records.map((record) => record.messageId).sort(),
    );
    expect(service.deadLettered).toEqual([]);
  });
});
