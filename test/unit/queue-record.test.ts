import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type { DeadLetterQueue, FailureReason } from '../../functions/enrich/dead-letter.js';
import { processRecord } from '../../functions/enrich/queue-record.js';
import {
  NotFoundError,
  StoreThrottledError,
  UpstreamAuthError,
  UpstreamRateLimitedError,
  UpstreamRejectedError,
} from '../../shared/domain/errors.js';
import { createLogger } from '../../shared/observability/logger.js';
import { buildEvent } from '../support/events.js';
import { FakeEventStore, FakeFingerprintClient } from '../support/fakes.js';
import { buildRecord } from '../support/sqs.js';

class FakeDeadLetterQueue implements DeadLetterQueue {
  readonly sent: Array<{ record: SQSRecord; reason: FailureReason }> = [];
  failWith: Error | undefined;

  async send(record: SQSRecord, reason: FailureReason): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    this.sent.push({ record, reason });
  }
}

function setup(events = [buildEvent()]) {
  const deps = {
    store: new FakeEventStore(),
    fingerprint: new FakeFingerprintClient(events),
    deadLetters: new FakeDeadLetterQueue(),
    logger: createLogger('SILENT'),
  };
  return { deps, run: (record: SQSRecord) => processRecord(record, deps, Date.now() + 10_000) };
}

describe('enrich queue record', () => {
  it('stores the event of a valid message', async () => {
    const event = buildEvent();
    const { deps, run } = setup([event]);

    await run(buildRecord(JSON.stringify({ requestId: event.requestId })));

    expect(deps.store.items.get(event.requestId)).toEqual(event);
    expect(deps.deadLetters.sent).toEqual([]);
  });

  it('dead-letters an invalid body at once with the field and reason', async () => {
    const { deps, run } = setup();
    const record = buildRecord('{"requestId": ".."}');

    await run(record);

    expect(deps.deadLetters.sent).toEqual([
      {
        record,
        reason: {
          code: 'ValidationFailed',
          field: 'requestId',
          message: expect.stringContaining('requestId'),
        },
      },
    ]);
    expect(deps.fingerprint.calls).toEqual([]);
  });

  it('logs a dead-lettered record with its messageId and reason', async () => {
    const { deps, run } = setup();
    deps.logger = createLogger('INFO');
    const lines: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        lines.push(String(chunk));
        return true;
      });
    }
    const record = buildRecord('{"visitorId": "a\\u0000b"}');

    await run(record);

    const logged = lines
      .map((line) => JSON.parse(line))
      .find((line) => line.message === 'Record dead-lettered');
    expect(logged).toMatchObject({
      level: 'ERROR',
      messageId: record.messageId,
      failureCode: 'ValidationFailed',
      failureField: 'visitorId',
      failureReason: expect.stringContaining('visitorId'),
    });
  });

  it.each([
    ['an upstream 404', new NotFoundError('Fingerprint has no event 1708102555327.NLOjmg.'), 'NotFound'],
    ['an upstream 400', new UpstreamRejectedError('Fingerprint rejected the request.'), 'UpstreamRejected'],
  ])('dead-letters %s at once without retry', async (_, error, code) => {
    const { deps, run } = setup();
    deps.fingerprint.failWith = error;

    await expect(run(buildRecord('{"requestId":"1708102555327.NLOjmg"}'))).resolves.toBeUndefined();

    expect(deps.deadLetters.sent.map((sent) => sent.reason.code)).toEqual([code]);
  });

  it.each([
    ['a rate limit', new UpstreamRateLimitedError('429', 1)],
    ['a throttled store', new StoreThrottledError('busy')],
    ['a refused key an operator can fix', new UpstreamAuthError('wrong region', 'FINGERPRINT_REGION')],
    ['an unexpected bug', new TypeError('boom')],
  ])('hands %s back to SQS for redelivery', async (_, error) => {
    const { deps, run } = setup();
    deps.fingerprint.failWith = error;

    await expect(run(buildRecord('{"linkedId":"order-1"}'))).rejects.toBe(error);

    expect(deps.deadLetters.sent).toEqual([]);
  });

  it('fails the record when the dead-letter queue cannot take it, so nothing is dropped', async () => {
    const { deps, run } = setup();
    deps.deadLetters.failWith = new Error('SQS unavailable');

    await expect(run(buildRecord('not json'))).rejects.toThrow('SQS unavailable');
  });
});
