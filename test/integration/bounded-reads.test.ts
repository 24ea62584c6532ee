/**
 * A filtered read costs what its page costs. A visitor with 4,000 cached events, of which a few carry a rare
 * linkedId: every read route is driven through the real query handler on dynalite, and the items DynamoDB
 * reads for each answer are counted (`ScannedCount` of every Query, plus every item a GetItem returns), by a
 * middleware on the store's own client.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createQueryHttpHandler } from '../../functions/query/http-handler.js';
import { type DynaliteHandle, startDynalite } from '../../local/harness/dynalite.js';
import { buildApiEvent, buildContext } from '../../local/harness/lambda-events.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { createLogger } from '../../shared/observability/logger.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import * as storeParts from '../../shared/store/dynamodb-event-store-parts.js';
import { buildEvent } from '../support/events.js';
import { jsonBody } from '../support/http-assertions.js';

const VISITOR = 'Bounded1527CUFmcnjLw';
const EVENTS = 4_000;
/** One event in 400 carries it: the 400th newest, the 800th, … (10 in all). */
const RARE = 'order-rare';
const RARE_EVERY = 400;
/** No event carries it. */
const ABSENT = 'order-absent';
const NOW = Date.now();

interface VisitorsAnswer {
  visits: Array<{ requestId: string; linkedId?: string }>;
  lastTimestamp?: number;
  paginationKey?: string;
}
interface EventsAnswer {
  events: NormalizedEvent[];
  nextCursor?: string;
}

/** The `index`-th newest event of the visitor, one second apart. */
function eventAt(index: number): NormalizedEvent {
  const timestamp = NOW - 60_000 - index * 1000;
  const rare = (index + 1) % RARE_EVERY === 0;
  return buildEvent({
    requestId: `${timestamp}.B${index.toString(36).padStart(5, '0')}`,
    visitorId: VISITOR,
    linkedId: rare ? RARE : `order-${index % 7}`,
    timestamp,
  });
}

const events = Array.from({ length: EVENTS }, (_, index) => eventAt(index));
const rareIds = events.filter((event) => event.linkedId === RARE).map((event) => event.requestId);

describe('bounded reads on a visitor with 4,000 cached events', () => {
  let dynamo: DynaliteHandle;
  let client: DynamoDBClient;
  let handler: ReturnType<typeof createQueryHttpHandler>;
  /** Items DynamoDB read since the last reset. */
  let itemsRead = 0;

  beforeAll(async () => {
    dynamo = await startDynalite();
    const tableName = await dynamo.createTable();
    client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const output = result.output as { ScannedCount?: number; Item?: unknown };
        if (context.commandName === 'QueryCommand') itemsRead += output.ScannedCount ?? 0;
        if (context.commandName === 'GetItemCommand' && output.Item !== undefined) itemsRead += 1;
        return result;
      },
      { step: 'initialize', name: 'countItemsRead' },
    );
    const store = new DynamoDbEventStore({ parts: storeParts, client, tableName, ttlDays: 90 });
    await store.putEvents(events);
    handler = createQueryHttpHandler({ logger: createLogger('ERROR'), store });
  }, 180_000);
  afterAll(async () => {
    client.destroy();
    await dynamo.close();
  });
  beforeEach(() => {
    itemsRead = 0;
  });

  const get = async (
    resource: '/visitors/{visitorId}' | '/events',
    query: Record<string, string>,
  ): Promise<APIGatewayProxyResult> => {
    const response = await handler(
      buildApiEvent({
        method: 'GET',
        resource,
        ...(resource === '/visitors/{visitorId}' && { pathParameters: { visitorId: VISITOR } }),
        query,
      }),
      buildContext(),
    );
    expect(response.statusCode, response.body).toBe(200);
    return response;
  };
  /** Calls `read` and answers its result with the items DynamoDB read for it. */
  const counted = async <T>(read: () => Promise<T>): Promise<{ result: T; read: number }> => {
    itemsRead = 0;
    const result = await read();
    return { result, read: itemsRead };
  };

  describe('GET /visitors/{visitorId}', () => {
    it.each([
      ['linked_id', RARE, 1],
      ['linked_id', ABSENT, 1],
      ['linked_id', ABSENT, 100],
      ['linked_id', ABSENT, 500],
      ['request_id', rareIds.at(-1) ?? '', 1],
      ['request_id', rareIds.at(-1) ?? '', 100],
    ])(
      'with %s=%s and limit=%i reads limit events and one more, not the partition',
      async (name, value, limit) => {
        const { result, read } = await counted(() =>
          get('/visitors/{visitorId}', { [name]: value, limit: String(limit) }),
        );

        const page = jsonBody<VisitorsAnswer>(result);
        expect(read).toBeLessThanOrEqual(limit + 1);
        expect(page.visits).toEqual([]);
        // v3: the page was cut while scanning, so it says where to go on.
        expect(page.paginationKey).toBe(events[limit - 1]?.requestId);
        expect(page.lastTimestamp).toBe(events[limit - 1]?.timestamp);
      },
    );

    it('reads the default 100 events and one more for a linked_id filter', async () => {
      const { result, read } = await counted(() => get('/visitors/{visitorId}', { linked_id: ABSENT }));
      expect(read).toBe(101);
      expect(jsonBody<VisitorsAnswer>(result).paginationKey).toBe(events[99]?.requestId);
    });

    it('pages the whole history with linked_id and limit=500: each page costs at most 502 reads, every match found once', async () => {
      const found: string[] = [];
      const costs: number[] = [];
      let paginationKey: string | undefined;
      do {
        const { result, read } = await counted(() =>
          get('/visitors/{visitorId}', {
            linked_id: RARE,
            limit: '500',
            ...(paginationKey !== undefined && { paginationKey }),
          }),
        );
        const page = jsonBody<VisitorsAnswer>(result);
        expect(page.visits.length).toBeLessThanOrEqual(500);
        found.push(...page.visits.map((visit) => visit.requestId));
        costs.push(read);
        paginationKey = page.paginationKey;
      } while (paginationKey !== undefined);

      expect(found).toEqual(rareIds);
      expect(costs).toHaveLength(EVENTS / 500);
      // 500 read and one more to learn whether more exist; then the paginationKey's own position (1 GetItem).
      expect(Math.max(...costs)).toBeLessThanOrEqual(502);
      expect(costs.reduce((sum, cost) => sum + cost, 0)).toBeLessThanOrEqual(EVENTS + 2 * costs.length);
    });
  });

  describe('GET /events', () => {
    it.each([
      [RARE, 1],
      [ABSENT, 1],
      [ABSENT, 100],
    ])(
      'with visitorId, linkedId=%s and limit=%i reads limit events and one more',
      async (linkedId, limit) => {
        const { result, read } = await counted(() =>
          get('/events', { visitorId: VISITOR, linkedId, limit: String(limit) }),
        );

        const page = jsonBody<EventsAnswer>(result);
        expect(read).toBeLessThanOrEqual(limit + 1);
        expect(page.events).toEqual([]);
        expect(page.nextCursor).toEqual(expect.any(String));
      },
    );

    it('pages the whole history with visitorId and a linkedId: each page costs at most limit + 1 reads', async () => {
      const found: string[] = [];
      const costs: number[] = [];
      let cursor: string | undefined;
      do {
        const { result, read } = await counted(() =>
          get('/events', {
            visitorId: VISITOR,
            linkedId: RARE,
            limit: '100',
            ...(cursor !== undefined && { cursor }),
          }),
        );
        const page = jsonBody<EventsAnswer>(result);
        found.push(...page.events.map((event) => event.requestId));
        costs.push(read);
        cursor = page.nextCursor;
      } while (cursor !== undefined);

      expect(found).toEqual(rareIds);
      expect(costs).toHaveLength(EVENTS / 100);
      expect(Math.max(...costs)).toBeLessThanOrEqual(101);
    });

    it('reads limit events and one more by linkedId alone', async () => {
      const { result, read } = await counted(() => get('/events', { linkedId: RARE, limit: '3' }));
      expect(read).toBeLessThanOrEqual(4);
      expect(jsonBody<EventsAnswer>(result).events.map((event) => event.requestId)).toEqual(
        rareIds.slice(0, 3),
      );
    });
  });
});
