import { randomBytes } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { SQSBatchResponse } from 'aws-lambda';
import fc from 'fast-check';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildContext } from '../../local/harness/lambda-events.js';
import {
  newSealingKey,
  officialVector,
  seal,
  sealJson,
  v3ExampleEvent,
  v4ExampleEvent,
} from '../../local/harness/sealing.js';
import { buildRecord } from '../../local/harness/sqs-events.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { SEALED_HEADER } from '../../shared/fingerprint/sealed.js';
import { SEALED_RESULT_MAX_BASE64_CHARS } from '../../shared/manifest/limits.js';
import { expectError, jsonBody } from '../support/http-assertions.js';
import { parseLogLines } from '../support/log-lines.js';
import { API_KEY, DLQ_URL, SECRET_ID, useService } from '../support/service.js';

const SEALED_KEYS_SECRET_ID = 'fingerprint/sealed-keys';

interface EnrichAnswer {
  events: NormalizedEvent[];
  source: string;
  stored: number;
  suppressed: number;
  complete: boolean;
}

let sequence = 0;
/** Fresh ids per test, so that tests sharing the table never see each other's events. */
function freshIds() {
  sequence += 1;
  const tail = `${sequence}`.padStart(6, '0');
  return { requestId: `${Date.now()}.Se${tail.slice(-4)}`, visitorId: `SealedVisitor${tail}00` };
}

describe('POST /enrich with a sealedResult', () => {
  const service = useService({
    env: { FINGERPRINT_SEALED_KEYS_SECRET_ID: SEALED_KEYS_SECRET_ID, SECRET_CACHE_SECONDS: '0' },
  });
  const responses: string[] = [];
  /** The secret's value as Secrets Manager answers it; SECRET_CACHE_SECONDS=0 makes every call read it. */
  let sealedSecret: string;
  /** Every key this suite ever configured, which no log line or answer may carry. */
  const usedKeys: Buffer[] = [];
  let current: Buffer;
  let next: Buffer;

  const configure = (...keys: Buffer[]) => {
    usedKeys.push(...keys);
    sealedSecret = JSON.stringify(keys.map((k) => k.toString('base64')));
  };

  beforeAll(() => {
    service.secrets
      .on(GetSecretValueCommand, { SecretId: SEALED_KEYS_SECRET_ID })
      .callsFake(() => ({ SecretString: sealedSecret }));
  });
  beforeEach(() => {
    [current, next] = [newSealingKey(), newSealingKey()];
    configure(current, next);
    service.deadLettered.length = 0;
    service.secrets.resetHistory();
  });
  afterEach(() => {
    const seen = service.output.text() + responses.join('\n');
    responses.length = 0;
    expect(seen).not.toContain(API_KEY);
    // No key, in any spelling, in a log line or an answer: base64, hex, or its raw bytes.
    for (const k of usedKeys) {
      for (const spelling of [k.toString('base64'), k.toString('base64').slice(0, 16), k.toString('hex')]) {
        expect(seen).not.toContain(spelling);
      }
      expect(Buffer.from(seen, 'latin1').includes(k)).toBe(false);
      expect(Buffer.from(seen, 'utf8').includes(k)).toBe(false);
    }
  });

  const post = async (body: unknown) => {
    const response = await service.call('POST', '/enrich', { body });
    responses.push(response.body);
    return response;
  };
  const getEvent = (requestId: string) =>
    service.call('GET', '/events/{requestId}', { params: { requestId } });
  const storedEvents = () => service.eventItems();
  /** Whether the table holds the event, read directly (a GET would read through to Fingerprint). */
  const isStored = async (requestId: string) =>
    (await storedEvents()).some((item) => item.requestId === requestId);
  const apiKeyReads = () =>
    service.secrets
      .commandCalls(GetSecretValueCommand)
      .filter((call) => call.args[0].input.SecretId === SECRET_ID).length;

  it.each([
    ['v4', v4ExampleEvent],
    ['v3', v3ExampleEvent],
  ] as const)(
    'stores a sealed %s event with zero Server API calls, then serves it from the cache',
    async (_version, example) => {
      const ids = freshIds();
      const before = await storedEvents();

      const response = await post({ sealedResult: sealJson(example(ids), current) });

      expect(response.statusCode).toBe(200);
      const answer = jsonBody<EnrichAnswer>(response);
      expect(answer).toMatchObject({ source: 'sealed', stored: 1, suppressed: 0, complete: true });
      expect(answer.events).toEqual([expect.objectContaining({ ...ids, source: 'sealed' })]);
      const read = await getEvent(ids.requestId);
      expect(read.headers?.['X-Event-Source']).toBe('cache');
      expect(jsonBody(read)).toEqual(answer.events[0]);
      expect(await storedEvents()).toHaveLength(before.length + 1);
      // Not one request reached Fingerprint, and the API key was never even read.
      expect(service.upstream.requests).toHaveLength(0);
      expect(apiKeyReads()).toBe(0);
      const enriched = parseLogLines(service.output.text()).lines.filter(
        (line) => line.message === 'Enriched',
      );
      expect(enriched).toEqual([
        expect.objectContaining({ level: 'INFO', kind: 'sealed', source: 'sealed' }),
      ]);
    },
  );

  it('keeps a sealed v4 event as sealed, so GET /v4/events/{event_id} serves it losslessly; a v3 one is rendered', async () => {
    const readV4 = (requestId: string) =>
      service.call('GET', '/v4/events/{event_id}', { params: { event_id: requestId } });
    const v4 = freshIds();
    const sealedV4 = v4ExampleEvent(v4);
    expect((await post({ sealedResult: sealJson(sealedV4, current) })).statusCode).toBe(200);
    const servedV4 = await readV4(v4.requestId);
    expect(servedV4.statusCode).toBe(200);
    expect(jsonBody(servedV4)).toEqual(sealedV4);

    const v3 = freshIds();
    expect((await post({ sealedResult: sealJson(v3ExampleEvent(v3), current) })).statusCode).toBe(200);
    const servedV3 = await readV4(v3.requestId);
    expect(servedV3.statusCode).toBe(200);
    // Rendered from the normalized view: v4's names, not the v3 body that was sealed.
    expect(jsonBody(servedV3)).toMatchObject({
      event_id: v3.requestId,
      identification: expect.objectContaining({ visitor_id: v3.visitorId }),
    });
    expect(service.upstream.requests).toHaveLength(0);
  });

  it('opens a result sealed with the second key of a rotation', async () => {
    const ids = freshIds();
    const response = await post({ sealedResult: sealJson(v4ExampleEvent(ids), next) });
    expect(jsonBody<EnrichAnswer>(response)).toMatchObject({ source: 'sealed', stored: 1 });
  });

  it('accepts a requestId beside it when the sealed event carries it, and refuses another one', async () => {
    const ids = freshIds();
    const sealedResult = sealJson(v4ExampleEvent(ids), current);
    const other = freshIds();

    const mismatch = await post({ sealedResult, requestId: other.requestId });
    expectError(mismatch, 400, 'SealedResultRequestIdMismatch', 'requestId');
    expect(await isStored(ids.requestId)).toBe(false);

    const match = await post({ sealedResult, requestId: ids.requestId });
    expect(jsonBody<EnrichAnswer>(match)).toMatchObject({ source: 'sealed', stored: 1 });
    expect(service.upstream.requests).toHaveLength(0);
  });

  it("opens Fingerprint's published test vector, whose 2023 event is past its TTL and so answered, not stored", async () => {
    const vector = officialVector();
    configure(Buffer.from(vector.otherKey, 'base64'), Buffer.from(vector.key, 'base64'));

    const response = await post({ sealedResult: vector.sealedResult });

    expect(jsonBody<EnrichAnswer>(response)).toMatchObject({
      source: 'sealed',
      stored: 0,
      events: [expect.objectContaining({ ...vector.expected, source: 'sealed' })],
    });
    expect(await isStored(vector.expected.requestId)).toBe(false);
  });

  describe('refuses each unusable sealedResult with its own 400, storing nothing and calling no one', () => {
    const cases: Array<[string, string, () => string]> = [
      ['not base64', 'SealedResultNotBase64', () => `${sealJson(v4ExampleEvent(freshIds()), current)} `],
      ['too short', 'SealedResultTooShort', () => 'noXc7QAAAAAAAAAAAAAAAAAAAAAA'],
      [
        'too large',
        'SealedResultTooLarge',
        () => seal(randomBytes(SEALED_RESULT_MAX_BASE64_CHARS), current).toString('base64'),
      ],
      [
        'a wrong header',
        'SealedResultBadHeader',
        () => {
          const blob = seal(JSON.stringify(v4ExampleEvent(freshIds())), current);
          blob[0] = 0x9f;
          return blob.toString('base64');
        },
      ],
      [
        'sealed with a key not configured',
        'SealedResultUndecryptable',
        () => sealJson(v4ExampleEvent(freshIds()), newSealingKey()),
      ],
      [
        'a flipped tag byte',
        'SealedResultUndecryptable',
        () => {
          const blob = seal(JSON.stringify(v4ExampleEvent(freshIds())), current);
          blob[blob.length - 1] = (blob[blob.length - 1] ?? 0) ^ 0x01;
          return blob.toString('base64');
        },
      ],
      [
        'a plaintext that is not an event',
        'SealedResultNotAnEvent',
        () => sealJson({ products: {} }, current),
      ],
    ];

    it.each(cases)('%s: %s', async (_name, code, build) => {
      const before = await storedEvents();
      const response = await post({ sealedResult: build() });

      const error = expectError(response, 400, code, 'sealedResult');
      expect(error.message).toMatch(/sealedResult/);
      expect(await storedEvents()).toHaveLength(before.length);
      expect(service.upstream.requests).toHaveLength(0);
    });
  });

  it('refuses any spoiled sealedResult with a sealed-result code, on the route and the queue alike (fuzz)', async () => {
    const blob = seal(JSON.stringify(v4ExampleEvent(freshIds())), current);
    const spoiled = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.base64String({ maxLength: 400 }),
      fc
        .uint8Array({ maxLength: 400 })
        .map((bytes) => Buffer.concat([SEALED_HEADER, bytes]).toString('base64')),
      fc.tuple(fc.nat({ max: blob.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([position, mask]) => {
        const altered = Buffer.from(blob);
        altered[position] = (altered[position] ?? 0) ^ mask;
        return altered.toString('base64');
      }),
      fc.nat({ max: blob.length - 1 }).map((length) => blob.subarray(0, length).toString('base64')),
      fc
        .uint8Array({ minLength: 1, maxLength: 64 })
        .map((tail) => Buffer.concat([blob, tail]).toString('base64')),
    );
    const codes = new Set([
      'SealedResultNotBase64',
      'SealedResultTooShort',
      'SealedResultTooLarge',
      'SealedResultBadHeader',
      'SealedResultUndecryptable',
      'SealedResultNotAnEvent',
    ]);
    const before = (await storedEvents()).length;

    await fc.assert(
      fc.asyncProperty(spoiled, async (sealedResult) => {
        const body = JSON.stringify({ sealedResult });
        const answer = await post(body);
        const error = jsonBody<{ error: { code: string; field?: string } }>(answer).error;
        expect({ status: answer.statusCode, field: error.field, known: codes.has(error.code) }).toEqual({
          status: 400,
          field: 'sealedResult',
          known: true,
        });
        const lettersBefore = service.deadLettered.length;
        const record = buildRecord(body);
        const result = (await service.handlers.queue(
          { Records: [record] },
          buildContext(),
        )) as SQSBatchResponse;
        expect(result.batchItemFailures).toEqual([]);
        expect(service.deadLettered.slice(lettersBefore)).toEqual([
          expect.objectContaining({
            MessageAttributes: expect.objectContaining({
              failureCode: expect.objectContaining({ StringValue: error.code }),
            }),
          }),
        ]);
      }),
      { seed: 15, numRuns: 120 },
    );
    expect(await storedEvents()).toHaveLength(before);
    expect(service.upstream.requests).toHaveLength(0);
  });

  it('refuses a sealedResult combined with a history form, naming the field', async () => {
    const response = await post({
      sealedResult: sealJson(v4ExampleEvent(freshIds()), current),
      maxEvents: 5,
    });
    expectError(response, 400, 'ValidationFailed', 'maxEvents');
  });

  it('answers 400 SealedResultsNotConfigured while the secret holds no key, and 503 for a malformed secret', async () => {
    const ids = freshIds();
    const sealedResult = sealJson(v4ExampleEvent(ids), current);
    sealedSecret = '';
    const empty = await post({ sealedResult });
    const notConfigured = expectError(empty, 400, 'SealedResultsNotConfigured');
    expect(notConfigured.message).toContain('FINGERPRINT_SEALED_KEYS_SECRET_ID');

    sealedSecret = `["${current.toString('base64')}"`;
    const malformed = await post({ sealedResult });
    expectError(malformed, 503, 'SealedKeysUnavailable');
    // The details, for the operator, are in the log, and name the setting but never the value.
    const failed = parseLogLines(service.output.text()).lines.find(
      (line) => line.message === 'Request failed',
    );
    expect(JSON.stringify(failed)).toContain('FINGERPRINT_SEALED_KEYS_SECRET_ID');
    expect(await isStored(ids.requestId)).toBe(false);
  });

  it('honors an erasure: a sealed event of an erased visitor from before the erasure is suppressed, a later one stored', async () => {
    const ids = freshIds();
    // Stored first, so that the erasure has something to delete.
    await post({ sealedResult: sealJson(v4ExampleEvent(ids, 120_000), current) });
    const erased = await service.call('DELETE', `/visitors/${ids.visitorId}`);
    expect(jsonBody(erased)).toMatchObject({ deleted: 1 });

    // Replaying the same blob, or sealing another event from before the erasure, stores nothing.
    const replay = await post({ sealedResult: sealJson(v4ExampleEvent(ids, 120_000), current) });
    const older = { ...freshIds(), visitorId: ids.visitorId };
    const earlier = await post({ sealedResult: sealJson(v4ExampleEvent(older, 60_000), current) });
    for (const response of [replay, earlier]) {
      expect(jsonBody<EnrichAnswer>(response)).toMatchObject({ events: [], stored: 0, suppressed: 1 });
    }
    expect((await storedEvents()).filter((item) => item.visitorId === ids.visitorId)).toEqual([]);

    // An identification after the erasure is new data.
    const later = { ...freshIds(), visitorId: ids.visitorId };
    const fresh = await post({ sealedResult: sealJson(v4ExampleEvent(later, -1_000), current) });
    expect(jsonBody<EnrichAnswer>(fresh)).toMatchObject({ stored: 1, suppressed: 0 });
    expect(service.upstream.requests).toHaveLength(0);
  });

  describe('on the queue', () => {
    const run = async (records: ReturnType<typeof buildRecord>[]) =>
      (await service.handlers.queue({ Records: records }, buildContext())) as SQSBatchResponse;

    it('stores a sealed record with no upstream call and dead-letters a bad one at once, with its reason', async () => {
      const ids = freshIds();
      const good = buildRecord(JSON.stringify({ sealedResult: sealJson(v3ExampleEvent(ids), current) }));
      const altered = seal(JSON.stringify(v4ExampleEvent(freshIds())), current);
      altered[20] = (altered[20] ?? 0) ^ 0x01;
      const bad = buildRecord(JSON.stringify({ sealedResult: altered.toString('base64') }));

      const result = await run([good, bad]);

      expect(result.batchItemFailures).toEqual([]);
      expect(await getEvent(ids.requestId)).toMatchObject({ statusCode: 200 });
      expect(service.deadLettered).toHaveLength(1);
      expect(service.deadLettered[0]).toMatchObject({
        QueueUrl: DLQ_URL,
        MessageBody: bad.body,
        MessageAttributes: {
          failureCode: { StringValue: 'SealedResultUndecryptable' },
          failureField: { StringValue: 'sealedResult' },
          sourceMessageId: { StringValue: bad.messageId },
        },
      });
      expect(service.upstream.requests).toHaveLength(0);
    });

    it('gives a record back to SQS while no key is configured: it succeeds unchanged once one is', async () => {
      const ids = freshIds();
      const record = buildRecord(JSON.stringify({ sealedResult: sealJson(v4ExampleEvent(ids), current) }));
      sealedSecret = '[]';

      expect((await run([record])).batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(service.deadLettered).toHaveLength(0);

      configure(current);
      expect((await run([record])).batchItemFailures).toEqual([]);
      expect(await getEvent(ids.requestId)).toMatchObject({ statusCode: 200 });
    });
  });
});
