import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { VisitorErasure } from '../../functions/enrich/erase.js';
import { createEnrichHttpHandler } from '../../functions/enrich/http-handler.js';
import { buildApiEvent, buildContext } from '../../local/harness/lambda-events.js';
import { createLogger } from '../../shared/observability/logger.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import * as storeParts from '../../shared/store/dynamodb-event-store-parts.js';
import { buildEvent } from '../support/events.js';
import { FakeFingerprintClient } from '../support/fakes.js';
import { expectError, jsonBody } from '../support/http-assertions.js';
import { useService } from '../support/service.js';

const VISITOR_ID = 'Gone1527CUFmcnjLwIs4A9';
const NEIGHBOUR_ID = 'Stay1527CUFmcnjLwIs4A9';

describe('DELETE /visitors/{visitorId}', () => {
  const service = useService({ env: { UPSTREAM_ERASURE_ENABLED: 'true', ERASURE_SETTLE_MS: '10' } });
  let store: DynamoDbEventStore;

  const erase = (visitorId: string, query?: Record<string, string>, remainingMs?: number) =>
    service.call('DELETE', '/visitors/{visitorId}', {
      params: { visitorId },
      ...(query && { query }),
      ...(remainingMs !== undefined && { remainingMs }),
    });
  /** Every item of the visitor in the table, expired or not, straight from the index. */
  const itemsOf = (visitorId: string) => service.itemsOfVisitor(visitorId);
  /** Stores `count` events of the visitor, one second apart, ending now. */
  const storeEvents = (visitorId: string, count: number) =>
    store.putEvents(
      Array.from({ length: count }, (_, index) =>
        buildEvent({ visitorId, timestamp: Date.now() - index * 1000 }),
      ),
    );

  beforeAll(() => {
    store = new DynamoDbEventStore({
      parts: storeParts,
      client: service.dynamo.client,
      tableName: service.tableName,
      ttlDays: 90,
    });
  });

  it('erases every cached event across pages, expired ones included, and a later read returns nothing', async () => {
    await storeEvents(VISITOR_ID, 230);
    await storeEvents(NEIGHBOUR_ID, 3);
    // Past its TTL but not yet deleted by DynamoDB: still the visitor's data.
    await service.dynamo.documentClient.send(
      new PutCommand({
        TableName: service.tableName,
        Item: { ...buildEvent({ visitorId: VISITOR_ID }), expiresAt: Math.floor(Date.now() / 1000) - 60 },
      }),
    );
    expect(await itemsOf(VISITOR_ID)).toHaveLength(231);

    const response = await erase(VISITOR_ID);

    expect(response.statusCode).toBe(200);
    expect(jsonBody<VisitorErasure>(response)).toEqual({
      visitorId: VISITOR_ID,
      deleted: 231,
      erasedAt: expect.any(Number),
      upstream: { requested: false },
    });
    expect(await itemsOf(VISITOR_ID)).toEqual([]);
    expect(await itemsOf(NEIGHBOUR_ID)).toHaveLength(3);
    const listed = await service.call('GET', '/events', { query: { visitorId: VISITOR_ID } });
    expect(jsonBody(listed)).toEqual({ events: [] });
    const visits = await service.call('GET', `/visitors/${VISITOR_ID}`);
    expect(jsonBody(visits)).toEqual({ visitorId: VISITOR_ID, visits: [] });
    expect(service.upstream.requests).toEqual([]);
  });

  it('is idempotent: erasing again deletes nothing and still answers 200', async () => {
    // A visitor of its own: events stored within a second of an earlier erasure of another test's visitor
    // would be suppressed by it.
    const visitorId = 'Idem1527CUFmcnjLwIs4A9';
    await storeEvents(visitorId, 2);
    expect(jsonBody<VisitorErasure>(await erase(visitorId)).deleted).toBe(2);
    expect(jsonBody<VisitorErasure>(await erase(visitorId))).toEqual({
      visitorId,
      deleted: 0,
      erasedAt: expect.any(Number),
      upstream: { requested: false },
    });
  });

  it('with upstream=true also asks Fingerprint to delete the visitor, and reports it scheduled', async () => {
    const visitorId = 'Both1527CUFmcnjLwIs4A9';
    service.upstream.seedMany(4, { visitorId });
    await service.call('POST', '/enrich', { body: { visitorId } });
    service.upstream.requests.length = 0;

    const erasure = jsonBody<VisitorErasure>(await erase(visitorId, { upstream: 'true' }));

    expect(erasure).toEqual({
      visitorId,
      deleted: 4,
      erasedAt: expect.any(Number),
      upstream: { requested: true, outcome: 'scheduled' },
    });
    expect(service.upstream.requests).toEqual([
      expect.objectContaining({ method: 'DELETE', path: `/v4/visitors/${visitorId}`, authorized: true }),
    ]);
    expect(await itemsOf(visitorId)).toEqual([]);
  });

  it('reports notFound when Fingerprint holds nothing about the visitor', async () => {
    await storeEvents('Unkn1527CUFmcnjLwIs4A9', 1);

    expect(jsonBody<VisitorErasure>(await erase('Unkn1527CUFmcnjLwIs4A9', { upstream: 'true' }))).toEqual({
      visitorId: 'Unkn1527CUFmcnjLwIs4A9',
      deleted: 1,
      erasedAt: expect.any(Number),
      upstream: { requested: true, outcome: 'notFound' },
    });
  });

  it('reports an upstream failure after the local erasure in the body, not hidden, and logs it', async () => {
    const visitorId = 'Fail1527CUFmcnjLwIs4A9';
    await storeEvents(visitorId, 3);
    service.upstream.failNext({ kind: 'status', status: 503 }, 100, (request) => request.method === 'DELETE');
    const response = await erase(visitorId, { upstream: 'true' }, 2_500);

    expect(response.statusCode).toBe(200);
    expect(jsonBody<VisitorErasure>(response)).toEqual({
      visitorId,
      deleted: 3,
      erasedAt: expect.any(Number),
      upstream: {
        requested: true,
        outcome: 'failed',
        error: { code: 'UpstreamUnavailable', message: expect.any(String) },
      },
    });
    expect(await itemsOf(visitorId)).toEqual([]);
    expect(service.output.text()).toMatch(
      /"Visitor erased from the cache, but not at Fingerprint".*"errorCode":"UpstreamUnavailable"/,
    );
  });

  it('refuses a malformed visitorId or query, erasing nothing', async () => {
    await storeEvents(VISITOR_ID, 1);
    expectError(await erase('not\u0000valid'), 400, 'ValidationFailed', 'visitorId');
    expectError(await erase(VISITOR_ID, { upstream: 'yes' }), 400, 'ValidationFailed', 'upstream');
    expectError(await erase(VISITOR_ID, { everything: 'true' }), 400, 'ValidationFailed', 'everything');
    expect(await itemsOf(VISITOR_ID)).toHaveLength(1);
  });

  it('refuses upstream=true with 400 when the deployment does not allow upstream erasure, erasing nothing', async () => {
    const visitorId = 'Lock1527CUFmcnjLwIs4A9';
    await storeEvents(visitorId, 2);
    const fingerprint = new FakeFingerprintClient();
    const handler = createEnrichHttpHandler({
      logger: createLogger('ERROR'),
      settings: { readThrough: true, upstreamErasure: false },
      store,
      fingerprint,
    });

    const refused = await handler(
      buildApiEvent({
        method: 'DELETE',
        resource: '/visitors/{visitorId}',
        pathParameters: { visitorId },
        query: { upstream: 'true' },
      }),
      buildContext(),
    );

    expect(expectError(refused, 400, 'ValidationFailed', 'upstream').message).toMatch(
      /UPSTREAM_ERASURE_ENABLED/,
    );
    expect(await itemsOf(visitorId)).toHaveLength(2);
    expect(fingerprint.calls).toEqual([]);
  });
});
