import type { SQSBatchResponse } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildContext } from '../../local/harness/lambda-events.js';
import { buildRecord } from '../../local/harness/sqs-events.js';
import { API_KEY, DLQ_URL, useService } from '../support/service.js';

const VISITOR_ID = 'Que1527CUFmcnjLwIs4A9';

describe('enrich queue consumer', () => {
  const service = useService();

  beforeEach(() => {
    service.deadLettered.length = 0;
  });
  afterEach(() => {
    expect(service.output.text()).not.toContain(API_KEY);
  });

  const run = async (records: ReturnType<typeof buildRecord>[], remainingMs = 25_000) =>
    (await service.handlers.queue({ Records: records }, buildContext(remainingMs))) as SQSBatchResponse;

  it('retries only the rate-limited record, dead-letters the permanent failures and stores the good ones', async () => {
    const [good1, good2] = service.upstream.seedMany(2, { visitorId: VISITOR_ID });
    if (good1 === undefined || good2 === undefined) throw new Error('no seeds');
    const limitedId = `${Date.now()}.Limit1`;
    service.upstream.failNext({ kind: 'status', status: 429 }, 1_000, (request) =>
      request.path.includes(limitedId),
    );
    const bad = buildRecord('{"requestId": "DROP\\u0000TABLE events"}');
    const missing = buildRecord(JSON.stringify({ requestId: '1708102555327.Gone00' }));
    const limited = buildRecord(JSON.stringify({ requestId: limitedId }));
    const ok1 = buildRecord(JSON.stringify({ requestId: good1.requestId }));
    const ok2 = buildRecord(JSON.stringify({ requestId: good2.requestId }));

    // A short remaining time so that the 429 retries give up well within the test.
    const result = await run([bad, missing, limited, ok1, ok2], 5_000);

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: limited.messageId }]);
    expect(service.deadLettered.map((message) => message.QueueUrl)).toEqual([DLQ_URL, DLQ_URL]);
    const reasons = Object.fromEntries(
      service.deadLettered.map((message) => [
        message.MessageAttributes?.sourceMessageId?.StringValue,
        {
          body: message.MessageBody,
          code: message.MessageAttributes?.failureCode?.StringValue,
          field: message.MessageAttributes?.failureField?.StringValue,
          reason: message.MessageAttributes?.failureReason?.StringValue,
        },
      ]),
    );
    expect(reasons[bad.messageId]).toEqual({
      body: bad.body,
      code: 'ValidationFailed',
      field: 'requestId',
      reason: expect.stringContaining('requestId'),
    });
    expect(reasons[missing.messageId]).toMatchObject({ body: missing.body, code: 'NotFound' });
    for (const seed of [good1, good2]) {
      const stored = await service.call('GET', `/events/${seed.requestId}`);
      expect(stored.statusCode).toBe(200);
      // From the store the consumer wrote, not read through to Fingerprint.
      expect(stored.headers?.['X-Event-Source']).toBe('cache');
    }
    expect(service.upstream.requests.some((request) => request.path.includes('DROP'))).toBe(false);
  });

  it('stores a message delivered twice only once, answering the second from the cache', async () => {
    const [seed] = service.upstream.seedMany(1, { visitorId: VISITOR_ID });
    if (seed === undefined) throw new Error('no seed');
    const body = JSON.stringify({ requestId: seed.requestId });

    const first = await run([buildRecord(body)]);
    const second = await run([
      buildRecord(body, { attributes: { ...buildRecord(body).attributes, ApproximateReceiveCount: '2' } }),
    ]);

    expect(first.batchItemFailures).toEqual([]);
    expect(second.batchItemFailures).toEqual([]);
    expect(service.upstream.requests).toHaveLength(1);
    expect(service.deadLettered).toEqual([]);
  });

  it('reports every record of a batch whose upstream is down, so SQS delivers them all again', async () => {
    service.upstream.failNext({ kind: 'status', status: 503 }, 1_000, (request) =>
      request.path.includes('Down'),
    );
    const records = [1, 2, 3].map((n) =>
      buildRecord(JSON.stringify({ requestId: `${Date.now()}.Down0${n}` })),
    );

    const result = await run(records, 4_000);

    expect(result.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(
      records.map((record) => record.messageId).sort(),
    );
    expect(service.deadLettered).toEqual([]);
  });
});
