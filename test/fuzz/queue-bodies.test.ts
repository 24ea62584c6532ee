/**
 * Property-based fuzzing of enrich queue message bodies through the real consumer. A body that can never
 * succeed goes to the dead-letter queue at once with the field named, is never retried and never reaches
 * Fingerprint; the consumer never throws, never changes a stored item, and refuses exactly the bodies that
 * `POST /enrich` refuses, for the same field (the README promises they are the same contract).
 */
import type { SQSBatchResponse } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContext } from '../../local/harness/lambda-events.js';
import { buildRecord } from '../../local/harness/sqs-events.js';
import { isLinkedId, isRequestId, isVisitorId } from '../../shared/domain/ids.js';
import {
  enrichBody,
  isSqsBody,
  loneSurrogate,
  VALID_REQUEST_ID,
  VALID_VISITOR_ID,
} from '../support/arbitraries.js';
import { recordFigures } from '../support/figures.js';
import { findSecret } from '../support/leak-guard.js';
import { parseLogLines } from '../support/log-lines.js';
import { useService } from '../support/service.js';

const SEED = 4_201;
/** Batches of 1 to 10 records. */
const RUNS = 300;
const VISITOR_ID = 'FuzzQueueVisitor0001';
const LINKED_ID = 'queue-order-\u00e9';

interface ErrorAnswer {
  error: { code: string; field?: string };
}

describe('fuzzing enrich queue message bodies', () => {
  const service = useService();
  let knownIds: string[] = [];
  let snapshot: unknown;
  const figures = { batches: 0, records: 0, deadLettered: {} as Record<string, number>, processed: 0 };

  const table = async () => {
    const items = await service.eventItems();
    return items.map((item) => JSON.stringify(item)).sort();
  };

  beforeAll(async () => {
    knownIds = service.upstream
      .seedMany(12, { visitorId: VISITOR_ID, linkedId: LINKED_ID })
      .map((seed) => seed.requestId);
    const stored = await service.call('POST', '/enrich', { body: { visitorId: VISITOR_ID } });
    expect(stored.statusCode).toBe(200);
    snapshot = await table();
  });
  afterAll(() => {
    recordFigures('fuzz-queue', { seed: SEED, runs: RUNS, ...figures });
  });

  it('dead-letters every body that cannot succeed at once, naming the field, and nothing else', async () => {
    const body = enrichBody({
      requestIds: fc.oneof(fc.constantFrom(...knownIds), fc.constant(VALID_REQUEST_ID)),
      visitorIds: fc.constantFrom(VISITOR_ID, VALID_VISITOR_ID),
      linkedIds: fc.oneof(
        fc.constant(LINKED_ID),
        loneSurrogate.map((surrogate) => `queue-order-${surrogate}`),
      ),
    }).filter(isSqsBody);

    await fc.assert(
      fc.asyncProperty(fc.array(body, { minLength: 1, maxLength: 10 }), async (bodies) => {
        const records = bodies.map((text) => buildRecord(text));
        const upstreamBefore = service.upstream.requests.length;
        const lettersBefore = service.deadLettered.length;
        const logBefore = service.output.text().length;

        const result = (await service.handlers.queue(
          { Records: records },
          buildContext(),
        )) as SQSBatchResponse;

        figures.batches += 1;
        figures.records += records.length;
        // Fingerprint and DynamoDB are healthy here: nothing about a body is worth a retry.
        expect(result.batchItemFailures).toEqual([]);
        const letters = service.deadLettered.slice(lettersBefore);
        const bySource = new Map(
          letters.map((letter) => [letter.MessageAttributes?.sourceMessageId?.StringValue, letter]),
        );
        expect(bySource.size, 'one dead letter per refused record').toBe(letters.length);
        for (const record of records) {
          const letter = bySource.get(record.messageId);
          const code = letter?.MessageAttributes?.failureCode?.StringValue;
          const field = letter?.MessageAttributes?.failureField?.StringValue;
          if (letter !== undefined) {
            expect(letter.MessageBody).toBe(record.body);
            expect(letter.MessageAttributes?.failureReason?.StringValue?.length).toBeGreaterThan(0);
            figures.deadLettered[String(code)] = (figures.deadLettered[String(code)] ?? 0) + 1;
            if (code === 'ValidationFailed') expect(field?.length, record.body).toBeGreaterThan(0);
            else expect(code, record.body).toBe('NotFound');
          } else {
            figures.processed += 1;
          }
          // The same body sent to POST /enrich is refused exactly when, and for the field that, the queue
          // refuses it.
          const answer = await service.call('POST', '/enrich', { body: record.body });
          const refused =
            answer.statusCode === 400 ? (JSON.parse(answer.body) as ErrorAnswer).error : undefined;
          expect(refused?.field, record.body).toBe(code === 'ValidationFailed' ? field : undefined);
        }
        for (const request of service.upstream.requests.slice(upstreamBefore)) {
          const id = /^\/v4\/events\/([^/]+)$/.exec(request.path)?.[1];
          if (id !== undefined) expect(isRequestId(decodeURIComponent(id))).toBe(true);
          if (request.query.visitor_id !== undefined)
            expect(isVisitorId(request.query.visitor_id)).toBe(true);
          if (request.query.linked_id !== undefined) expect(isLinkedId(request.query.linked_id)).toBe(true);
        }
        // Each dead-lettered record is logged with its messageId and reason.
        const { lines } = parseLogLines(service.output.text().slice(logBefore));
        const logged = new Set(
          lines.filter((line) => line.message === 'Record dead-lettered').map((line) => line.messageId),
        );
        for (const source of bySource.keys()) expect(logged.has(source)).toBe(true);
      }),
      { seed: SEED, numRuns: RUNS },
    );

    expect(await table()).toEqual(snapshot);
    expect(findSecret(service.output.text())).toBeUndefined();
    for (const letter of service.deadLettered) expect(findSecret(JSON.stringify(letter))).toBeUndefined();
    // Each upstream call also reserves and releases a seat of the fleet's budget in the table: more DynamoDB
    // round trips per run than the default timeout allows for 300 runs on a busy machine (about 120 s measured
    // at a load average of 18 on 2 vCPUs).
  }, 300_000);
});
