import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DynaliteHandle, startDynalite } from '../../local/harness/dynalite.js';
import { ValidationError } from '../../shared/domain/errors.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import * as storeParts from '../../shared/store/dynamodb-event-store-parts.js';
import type { EventPage, EventSearchQuery } from '../../shared/store/event-store.js';
import { buildEvent } from '../support/events.js';

/**
 * The store's v4-style search (`GET /v4/events`) on dynalite: an open time window, either order, pages filled
 * to `limit` within a scan bound, and cursors bound to their search.
 */

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const VISITOR = 'SearchVisitor0000001';
const LINKED = 'search-linked';

let dynamo: DynaliteHandle;
let store: DynamoDbEventStore;
/** 60 events one second apart, newest first; every third carries the linkedId. */
let history: NormalizedEvent[];

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});
beforeEach(async () => {
  store = new DynamoDbEventStore({
    parts: storeParts,
    client: dynamo.client,
    tableName: await dynamo.createTable(),
    ttlDays: 90,
    now: () => NOW,
  });
  history = Array.from({ length: 60 }, (_, index) =>
    buildEvent({
      visitorId: VISITOR,
      timestamp: NOW - 1_000 - index * 1_000,
      ...(index % 3 === 0 && { linkedId: LINKED }),
    }),
  );
  await store.putEvents(history);
});

const ids = (events: readonly NormalizedEvent[]) => events.map((event) => event.requestId);

/** Every page of a search, by cursor. */
async function pageThrough(query: Omit<EventSearchQuery, 'binding'>, binding = 'b'): Promise<EventPage[]> {
  const pages: EventPage[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.searchEvents({ ...query, binding, ...(cursor !== undefined && { cursor }) });
    pages.push(page);
    cursor = page.next?.cursor;
    expect(pages.length).toBeLessThan(100);
  } while (cursor !== undefined);
  return pages;
}

describe('searching the cache the v4 way', () => {
  it('answers the window with both bounds exclusive, newest first or oldest first, by pages of limit', async () => {
    const after = history[40]?.timestamp ?? 0;
    const before = history[10]?.timestamp ?? 0;
    const inside = ids(history.slice(11, 40));
    for (const limit of [1, 7, 29, 100]) {
      const newest = await pageThrough({ visitorId: VISITOR, limit, maxScanned: 1000, after, before });
      expect(newest.flatMap((page) => ids(page.events))).toEqual(inside);
      expect(newest.length).toBe(Math.max(1, Math.ceil(inside.length / limit)));
      const oldest = await pageThrough({
        visitorId: VISITOR,
        limit,
        maxScanned: 1000,
        after,
        before,
        oldestFirst: true,
      });
      expect(oldest.flatMap((page) => ids(page.events))).toEqual([...inside].reverse());
    }
  });

  it('fills each page to limit through the linkedId filter, within maxScanned', async () => {
    const carrying = ids(history.filter((event) => event.linkedId === LINKED));
    const full = await pageThrough({ visitorId: VISITOR, linkedId: LINKED, limit: 4, maxScanned: 1000 });
    expect(full.flatMap((page) => ids(page.events))).toEqual(carrying);
    for (const page of full.slice(0, -1)) expect(page.events).toHaveLength(4);

    // A bound of 5 reads per page: pages of at most 2 matches, and none lost.
    const bounded = await pageThrough({ visitorId: VISITOR, linkedId: LINKED, limit: 4, maxScanned: 5 });
    expect(bounded.flatMap((page) => ids(page.events))).toEqual(carrying);
    for (const page of bounded) expect(page.events.length).toBeLessThanOrEqual(2);
  });

  it('searches a linkedId alone through its own index', async () => {
    const other = buildEvent({ visitorId: 'SearchVisitor0000002', linkedId: LINKED, timestamp: NOW - 500 });
    await store.putEvents([other]);
    const pages = await pageThrough({ linkedId: LINKED, limit: 3, maxScanned: 1000 });
    expect(pages.flatMap((page) => ids(page.events))).toEqual([
      other.requestId,
      ...ids(history.filter((event) => event.linkedId === LINKED)),
    ]);
  });

  it('refuses a cursor of another search: another binding, order, visitor or filter', async () => {
    const first = await store.searchEvents({ visitorId: VISITOR, limit: 5, maxScanned: 100, binding: 'b' });
    const cursor = first.next?.cursor;
    expect(cursor).toEqual(expect.any(String));
    for (const other of [
      { visitorId: VISITOR, binding: 'other' },
      { visitorId: VISITOR, binding: 'b', oldestFirst: true },
      { visitorId: 'SearchVisitor0000002', binding: 'b' },
      { visitorId: VISITOR, linkedId: LINKED, binding: 'b' },
    ]) {
      const error = await store
        .searchEvents({ ...other, limit: 5, maxScanned: 100, cursor, cursorName: 'pagination_key' })
        .then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
      expect(error, JSON.stringify(other)).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe('pagination_key');
    }
  });

  it('answers nothing, without a query DynamoDB would refuse, for an empty window or a cursor the window left', async () => {
    const at = history[5]?.timestamp ?? 0;
    expect(
      await store.searchEvents({
        visitorId: VISITOR,
        limit: 5,
        maxScanned: 100,
        after: at,
        before: at + 1,
        binding: 'b',
      }),
    ).toEqual({ events: [] });
    const first = await store.searchEvents({ visitorId: VISITOR, limit: 5, maxScanned: 100, binding: 'b' });
    // The window moved past the cursor's position since it was made (a defaulted start follows the clock).
    const moved = await store.searchEvents({
      visitorId: VISITOR,
      limit: 5,
      maxScanned: 100,
      after: at,
      binding: 'b',
      ...(first.next !== undefined && { cursor: first.next.cursor }),
    });
    expect(moved).toEqual({ events: [] });
  });

  it('needs a visitorId or a linkedId', async () => {
    await expect(store.searchEvents({ limit: 5, maxScanned: 100, binding: 'b' })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});
