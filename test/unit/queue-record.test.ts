import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type { DeadLetterQueue, FailureReason } from '../../functions/enrich/dead-letter.js';
import { isPermanent, processRecord } from '../../functions/enrich/queue-record.js';
import { startFakeFingerprint } from '../../local/fingerprint-emulator/index.js';
import { buildRecord } from '../../local/harness/sqs-events.js';
import {
  type AppError,
  NotFoundError,
  PayloadTooLargeError,
  StoreThrottledError,
  UnauthorizedError,
  UpstreamAuthError,
  UpstreamBadResponseError,
  UpstreamMisconfiguredError,
  UpstreamRateLimitedError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
  ValidationError,
} from '../../shared/domain/errors.js';
import { createFingerprintClient } from '../../shared/fingerprint/client.js';
import { StaticKeyProvider } from '../../shared/fingerprint/secret.js';
import { createLogger } from '../../shared/observability/logger.js';
import { BUILT_AT, buildEvent } from '../support/events.js';
import { FakeEventStore, FakeFingerprintClient } from '../support/fakes.js';

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
    store: new FakeEventStore({ now: () => BUILT_AT }),
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
    [
      'a 2xx whose content cannot be used',
      new UpstreamBadResponseError('Fingerprint answered event A with event B.'),
      'UpstreamBadResponse',
    ],
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
    [
      "a base URL that does not reach Fingerprint (a proxy's 404)",
      new UpstreamMisconfiguredError('404 not from Fingerprint', 'FINGERPRINT_BASE_URL / FINGERPRINT_REGION'),
    ],
    ['an upstream timeout (504 included)', new UpstreamTimeoutError('504')],
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

  it('follows one policy, AppError.retryable, for every error the product can explain', () => {
    const errors: AppError[] = [
      new ValidationError('requestId', 'bad'),
      new UnauthorizedError('no signature'),
      new PayloadTooLargeError('too large'),
      new NotFoundError('none'),
      new UpstreamRateLimitedError('429', 1),
      new UpstreamAuthError('key', 'FINGERPRINT_SECRET_ID'),
      new UpstreamRejectedError('400'),
      new UpstreamUnavailableError('503'),
      new UpstreamTimeoutError('timeout'),
      new UpstreamBadResponseError('unusable'),
      new UpstreamMisconfiguredError('404', 'FINGERPRINT_BASE_URL'),
      new StoreThrottledError('busy'),
    ];
    expect(new Set(errors.map((error) => error.code)).size).toBe(errors.length);
    for (const error of errors)
      expect([error.code, isPermanent(error)]).toEqual([error.code, !error.retryable]);
    expect(isPermanent(new TypeError('a bug'))).toBe(false);
  });

  it('dead-letters at once, after one upstream call, an answer for another requestId (real client, loopback)', async () => {
    const upstream = await startFakeFingerprint();
    try {
      const [asked, other] = upstream.seedMany(2, { visitorId: 'QueueVisitor00000001' });
      if (asked === undefined || other === undefined) throw new Error('seedMany returned too few');
      upstream.failNext({ kind: 'edit', edit: (event) => ({ ...event, event_id: other.requestId }) }, 10);
      const { deps } = setup();
      const record = buildRecord(JSON.stringify({ requestId: asked.requestId }));
      const withClient = {
        ...deps,
        fingerprint: createFingerprintClient({
          baseUrl: upstream.baseUrl,
          keys: new StaticKeyProvider(upstream.apiKey),
          maxRps: Number.POSITIVE_INFINITY,
          sleep: async () => {},
        }),
      };

      await expect(processRecord(record, withClient, Date.now() + 10_000)).resolves.toBeUndefined();

      expect(deps.deadLetters.sent).toEqual([
        {
          record,
          reason: {
            code: 'UpstreamBadResponse',
            message: expect.stringMatching(new RegExp(`${asked.requestId}.*${other.requestId}`)),
          },
        },
      ]);
      expect(upstream.requests).toHaveLength(1);
      expect(deps.store.items.size).toBe(0);
    } finally {
      await upstream.close();
    }
  });

  it('hands a proxy 404 back to SQS instead of dead-lettering it (real client, loopback)', async () => {
    const upstream = await startFakeFingerprint();
    try {
      upstream.failNext({ kind: 'status', status: 404, body: '<html>Not Found</html>' }, 10);
      const { deps } = setup();
      const withClient = {
        ...deps,
        fingerprint: createFingerprintClient({
          baseUrl: upstream.baseUrl,
          keys: new StaticKeyProvider(upstream.apiKey),
          maxRps: Number.POSITIVE_INFINITY,
          sleep: async () => {},
        }),
      };

      const error = await processRecord(
        buildRecord('{"requestId":"1708102555327.NLOjmg"}'),
        withClient,
        Date.now() + 10_000,
      ).catch((failure: unknown) => failure);

      expect(error).toBeInstanceOf(UpstreamMisconfiguredError);
      expect((error as Error).message).toContain('FINGERPRINT_BASE_URL');
      expect(deps.deadLetters.sent).toEqual([]);
      expect(upstream.requests).toHaveLength(1);
    } finally {
      await upstream.close();
    }
  });
});
