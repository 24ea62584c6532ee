import { readFileSync } from 'node:fs';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { expectError, expectPlainError, jsonBody } from '../support/http-assertions.js';
import { API_KEY, useService } from '../support/service.js';

const VISITOR_ID = 'Pag1527CUFmcnjLwIs4A9';
const OTHER_VISITOR_ID = 'Oth1527CUFmcnjLwIs4A9';

interface VisitorsAnswer {
  visitorId: string;
  visits: Array<{ requestId: string; timestamp: number; linkedId?: string; browserDetails: unknown }>;
  lastTimestamp?: number;
  paginationKey?: string;
}

interface EventsAnswer {
  events: NormalizedEvent[];
  nextCursor?: string;
}

describe('query routes', () => {
  const service = useService();
  let seededIds: string[];

  const get = async (
    resource: string,
    pathParameters: Record<string, string>,
    query?: Record<string, string>,
  ) => service.call('GET', resource, { params: pathParameters, ...(query && { query }) });
  const visits = (visitorId: string, query?: Record<string, string>) =>
    get('/visitors/{visitorId}', { visitorId }, query);

  beforeAll(async () => {
    const seeds = [
      ...service.upstream.seedMany(250, { visitorId: VISITOR_ID, linkedId: 'cart-1' }),
      ...service.upstream.seedMany(5, { visitorId: OTHER_VISITOR_ID, linkedId: 'cart-1' }),
    ];
    seededIds = seeds.filter((seed) => seed.visitorId === VISITOR_ID).map((seed) => seed.requestId);
    for (const visitorId of [VISITOR_ID, OTHER_VISITOR_ID]) {
      const response = await service.call('POST', '/enrich', { body: { visitorId, maxEvents: 500 } });
      expect(response.statusCode).toBe(200);
    }
  });

  describe('GET /visitors/{visitorId}', () => {
    it('pages 250 cached visits as 100/100/50 with paginationKey, with no gap or duplicate', async () => {
      const pages: VisitorsAnswer[] = [];
      let paginationKey: string | undefined;
      do {
        const answer = jsonBody<VisitorsAnswer>(
          await visits(VISITOR_ID, paginationKey ? { paginationKey } : {}),
        );
        pages.push(answer);
        paginationKey = answer.paginationKey;
      } while (paginationKey !== undefined);

      expect(pages.map((page) => page.visits.length)).toEqual([100, 100, 50]);
      const ids = pages.flatMap((page) => page.visits.map((visit) => visit.requestId));
      expect(new Set(ids)).toEqual(new Set(seededIds));
      expect(ids).toHaveLength(250);
      const timestamps = pages.flatMap((page) => page.visits.map((visit) => visit.timestamp));
      expect(timestamps).toEqual([...timestamps].sort((a, b) => b - a));
      expect(pages[0]?.lastTimestamp).toBe(pages[0]?.visits.at(-1)?.timestamp);
      expect(pages[0]?.paginationKey).toBe(pages[0]?.visits.at(-1)?.requestId);
      expect(pages[2]).not.toHaveProperty('lastTimestamp');
      expect(pages[2]).not.toHaveProperty('paginationKey');
    });

    it('pages the same visits with before=lastTimestamp', async () => {
      const pages: VisitorsAnswer[] = [];
      let before: number | undefined;
      do {
        const answer = jsonBody<VisitorsAnswer>(
          await visits(VISITOR_ID, before ? { before: String(before) } : {}),
        );
        pages.push(answer);
        before = answer.lastTimestamp;
      } while (before !== undefined);

      expect(pages.map((page) => page.visits.length)).toEqual([100, 100, 50]);
      const ids = pages.flatMap((page) => page.visits.map((visit) => visit.requestId));
      expect(new Set(ids)).toEqual(new Set(seededIds));
      expect(pages[2]).not.toHaveProperty('lastTimestamp');
    });

    it('renders each visit in the v3 visit shape', async () => {
      const answer = jsonBody<VisitorsAnswer>(await visits(VISITOR_ID, { limit: '1' }));
      expect(answer.visitorId).toBe(VISITOR_ID);
      expect(answer.visits[0]).toMatchObject({
        requestId: expect.any(String),
        browserDetails: {
          browserName: expect.any(String),
          browserMajorVersion: expect.any(String),
          browserFullVersion: expect.any(String),
          os: expect.any(String),
          osVersion: expect.any(String),
          device: expect.any(String),
          userAgent: expect.any(String),
        },
        incognito: expect.any(Boolean),
        ip: expect.any(String),
        timestamp: expect.any(Number),
        time: expect.any(String),
        url: expect.any(String),
        tag: expect.any(Object),
        visitorFound: expect.any(Boolean),
        firstSeenAt: expect.any(Object),
        lastSeenAt: expect.any(Object),
      });
    });

    it('filters by request_id and by linked_id among the visits it scans', async () => {
      const [requestId] = seededIds;
      if (requestId === undefined) throw new Error('no seeds');
      const byRequest = jsonBody<VisitorsAnswer>(
        await visits(VISITOR_ID, { request_id: requestId, limit: '500' }),
      );
      expect(byRequest.visits.map((visit) => visit.requestId)).toEqual([requestId]);

      const foreign = jsonBody<VisitorsAnswer>(await visits(OTHER_VISITOR_ID, { request_id: requestId }));
      expect(foreign.visits).toEqual([]);

      const byLinked = jsonBody<VisitorsAnswer>(
        await visits(VISITOR_ID, { linked_id: 'cart-1', limit: '7' }),
      );
      expect(byLinked.visits).toHaveLength(7);
      expect(byLinked.visits.every((visit) => visit.linkedId === 'cart-1')).toBe(true);
    });

    it('scans limit visits before the request_id filter, as v3 does, and pages on to it', async () => {
      // The seeds are newest first: the 150th newest is not among the 100 visits a default page scans.
      const newestFirst = jsonBody<VisitorsAnswer>(await visits(VISITOR_ID, { limit: '500' })).visits;
      const target = newestFirst[149]?.requestId;
      if (target === undefined) throw new Error('too few seeds');

      const first = jsonBody<VisitorsAnswer>(await visits(VISITOR_ID, { request_id: target }));
      expect(first.visits).toEqual([]);
      expect(first.paginationKey).toBe(newestFirst[99]?.requestId);
      expect(first.lastTimestamp).toBe(newestFirst[99]?.timestamp);

      const second = jsonBody<VisitorsAnswer>(
        await visits(VISITOR_ID, { request_id: target, paginationKey: first.paginationKey ?? '' }),
      );
      expect(second.visits.map((visit) => visit.requestId)).toEqual([target]);
    });

    it('accepts and ignores the ii and api_key parameters of Fingerprint SDKs, and never shows the key', async () => {
      const plain = jsonBody<VisitorsAnswer>(await visits(VISITOR_ID, { limit: '3' }));
      const withExtras = jsonBody<VisitorsAnswer>(
        await service.call('GET', `/visitors/${VISITOR_ID}`, {
          query: { limit: '3', ii: 'fingerprint-pro-server-node-sdk/6.10.0', api_key: API_KEY },
          headers: { 'Auth-API-Key': API_KEY },
        }),
      );
      // A refused request names the bad field, not the key beside it.
      const refused = expectPlainError(
        await visits(VISITOR_ID, { limit: 'x', api_key: API_KEY }),
        400,
        'ValidationFailed',
        'limit',
      );
      expect(withExtras).toEqual(plain);
      expect(refused).not.toContain(API_KEY);
      expect(service.output.text()).not.toContain(API_KEY);
    });

    it('answers 200 with no visits for a visitor with nothing cached', async () => {
      const answer = jsonBody<VisitorsAnswer>(await visits('Unknown1527CUFmcnjLw'));
      expect(answer).toEqual({ visitorId: 'Unknown1527CUFmcnjLw', visits: [] });
    });

    it('refuses a paginationKey of another visitor', async () => {
      const [requestId] = seededIds;
      if (requestId === undefined) throw new Error('no seeds');
      expectPlainError(
        await visits(OTHER_VISITOR_ID, { paginationKey: requestId }),
        400,
        'ValidationFailed',
        'paginationKey',
      );
    });

    it.each([
      [{ limit: '0' }, 'limit'],
      [{ limit: '501' }, 'limit'],
      [{ limit: '1e2' }, 'limit'],
      [{ before: '-5' }, 'before'],
      [{ paginationKey: 'x' }, 'paginationKey'],
      [{ ii: 'sdk/1', apiKey: 'x' }, 'apiKey'],
    ])('refuses the query %j with 400 in v3 error shape, naming the field', async (query, field) => {
      expectPlainError(await visits(VISITOR_ID, query), 400, 'ValidationFailed', field);
    });

    it("answers errors with the shape of Fingerprint's own examples of this route's 400, 403 and 429", async () => {
      const ours = jsonBody(await visits(VISITOR_ID, { limit: '0' }));
      for (const example of ['400_bad_request', '403_forbidden', '429_too_many_requests']) {
        const official = JSON.parse(
          readFileSync(
            new URL(`../fixtures/fingerprint/v3/get_visitors_${example}.json`, import.meta.url),
            'utf8',
          ),
        ) as Record<string, unknown>;
        expect(Object.keys(ours)).toEqual(Object.keys(official));
        expect(Object.values(ours).map((value) => typeof value)).toEqual(
          Object.values(official).map((value) => typeof value),
        );
      }
    });

    it('refuses a malformed visitorId in v3 error shape', async () => {
      expectPlainError(await visits('abc\u009fdef'), 400, 'ValidationFailed', 'visitorId');
    });
  });

  describe('GET /events', () => {
    it('never lists an expired item that DynamoDB has not deleted yet', async () => {
      const requestId = `${Date.now()}.Expird`;
      await service.dynamo.documentClient.send(
        new PutCommand({
          TableName: service.tableName,
          Item: {
            requestId,
            visitorId: VISITOR_ID,
            linkedId: 'cart-1',
            timestamp: Date.now(),
            time: new Date().toISOString(),
            browser: {
              name: 'Chrome',
              majorVersion: '1',
              fullVersion: '1',
              os: 'x',
              osVersion: '1',
              device: 'x',
              userAgent: 'x',
            },
            source: 'v4',
            schemaVersion: 1,
            expiresAt: Math.floor(Date.now() / 1000) - 60,
          },
        }),
      );

      const newest = jsonBody<VisitorsAnswer>(await visits(VISITOR_ID, { limit: '5' }));
      expect(newest.visits.map((visit) => visit.requestId)).not.toContain(requestId);
      const byLinked = jsonBody<EventsAnswer>(await get('/events', {}, { linkedId: 'cart-1', limit: '5' }));
      expect(byLinked.events.map((event) => event.requestId)).not.toContain(requestId);
      await service.dynamo.documentClient.send(
        new DeleteCommand({ TableName: service.tableName, Key: { requestId } }),
      );
    });
    it('pages a linkedId across visitors newest first with an opaque cursor', async () => {
      const ids: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const answer = jsonBody<EventsAnswer>(
          await get('/events', {}, { linkedId: 'cart-1', limit: '100', ...(cursor && { cursor }) }),
        );
        ids.push(...answer.events.map((event) => event.requestId));
        cursor = answer.nextCursor;
        pages += 1;
      } while (cursor !== undefined);

      expect(pages).toBe(3);
      expect(ids).toHaveLength(255);
      expect(new Set(ids).size).toBe(255);
    });

    it('pages a visitor with the default limit of 20', async () => {
      const answer = jsonBody<EventsAnswer>(await get('/events', {}, { visitorId: OTHER_VISITOR_ID }));
      expect(answer.events).toHaveLength(5);
      expect(answer).not.toHaveProperty('nextCursor');
      const first = jsonBody<EventsAnswer>(await get('/events', {}, { visitorId: VISITOR_ID }));
      expect(first.events).toHaveLength(20);
      expect(first.nextCursor).toEqual(expect.any(String));
    });

    it('refuses a tampered cursor and a cursor of another visitor with 400', async () => {
      const first = jsonBody<EventsAnswer>(await get('/events', {}, { visitorId: VISITOR_ID, limit: '2' }));
      const cursor = first.nextCursor ?? '';
      const tampered = `${cursor.slice(0, -2)}${cursor.endsWith('A') ? 'B' : 'A'}x`;

      expectError(
        await get('/events', {}, { visitorId: VISITOR_ID, cursor: tampered }),
        400,
        'ValidationFailed',
        'cursor',
      );
      expectError(
        await get('/events', {}, { visitorId: OTHER_VISITOR_ID, cursor }),
        400,
        'ValidationFailed',
        'cursor',
      );
      expectError(
        await get('/events', {}, { visitorId: VISITOR_ID, cursor: 'not-a-cursor' }),
        400,
        'ValidationFailed',
        'cursor',
      );
    });

    it('refuses a query with neither visitorId nor linkedId', async () => {
      expectError(await get('/events', {}, { limit: '5' }), 400, 'ValidationFailed', 'visitorId');
    });
  });
});
