import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DynaliteHandle } from '../../local/harness/dynalite.js';
import { startDynalite } from '../../local/harness/dynalite.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { SCHEMA_VERSION } from '../../shared/domain/event.js';
import { encodeCursor } from '../../shared/store/cursor.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import * as storeParts from '../../shared/store/dynamodb-event-store-parts.js';
import type { EventPage, VisitorQuery } from '../../shared/store/event-store.js';
import { erasureKey, expiresAtFor } from '../../shared/store/schema.js';
import { validationErrorOf } from '../support/errors.js';

const NOW = Date.UTC(2024, 1, 16, 12, 0, 0);
const DAY_MS = 86_400_000;
const TTL_DAYS = 90;
const VISITOR = 'Ibk1527CUFmcnjLwIs4A';
const OTHER_VISITOR = 'OtherVisitor00000001';

let sequence = 0;

/** A minimal valid event with a unique requestId, one second older than the previous one by default. */
function buildEvent(overrides: Partial<NormalizedEvent> = {}): NormalizedEvent {
  sequence += 1;
  const timestamp = overrides.timestamp ?? NOW - sequence * 1000;
  return {
    requestId: `${timestamp}.Ev${sequence.toString(36).padStart(4, '0')}`,
    visitorId: VISITOR,
    timestamp,
    time: new Date(timestamp).toISOString(),
    browser: {
      name: 'Chrome',
      majorVersion: '121',
      fullVersion: '121.0.0',
      os: 'Mac OS X',
      osVersion: '10.15.7',
      device: 'Other',
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/121.0.0.0',
    },
    source: 'v4',
    schemaVersion: SCHEMA_VERSION,
    ...overrides,
  };
}

/** Newest first, as the store answers. */
function newestFirst(events: readonly NormalizedEvent[]): string[] {
  return [...events]
    .sort((a, b) => b.timestamp - a.timestamp || (a.requestId < b.requestId ? -1 : 1))
    .map((event) => event.requestId);
}

function ids(page: EventPage): string[] {
  return page.events.map((event) => event.requestId);
}

/** Replaces one character of the cursor's JSON payload, keeping the checksum as it was. */
function tamper(cursor: string): string {
  const bytes = Buffer.from(cursor, 'base64url');
  const text = bytes.toString('latin1');
  const at = text.lastIndexOf('"timestamp":') + '"timestamp":'.length;
  const digit = text[at] === '1' ? '2' : '1';
  return Buffer.from(`${text.slice(0, at)}${digit}${text.slice(at + 1)}`, 'latin1').toString('base64url');
}

let dynamo: DynaliteHandle;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.close();
});

function storeOn(tableName: string, now = NOW): DynamoDbEventStore {
  return new DynamoDbEventStore({
    parts: storeParts,
    client: dynamo.client,
    tableName,
    ttlDays: TTL_DAYS,
    now: () => now,
  });
}

async function countItems(tableName: string): Promise<number> {
  const output = await dynamo.documentClient.send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }));
  return output.Count ?? 0;
}

/** Follows pages of one visitor until there is no `next`, continuing with `nextQuery`. */
async function collectPages(
  store: DynamoDbEventStore,
  first: VisitorQuery,
  nextQuery: (page: EventPage) => VisitorQuery,
): Promise<EventPage[]> {
  const pages = [await store.listByVisitor(first)];
  for (let page = pages[0]; page?.next !== undefined; page = pages.at(-1)) {
    if (pages.length > 10) throw new Error('paging does not end');
    pages.push(await store.listByVisitor(nextQuery(page)));
  }
  return pages;
}

describe('DynamoDbEventStore against dynalite', () => {
  let tableName: string;
  let store: DynamoDbEventStore;

  beforeEach(async () => {
    tableName = await dynamo.createTable();
    store = storeOn(tableName);
  });

  describe('putEvents and getEvent', () => {
    it('keeps its own records apart from events: none is read as an event, none is overwritten by one', async () => {
      const eraser = new DynamoDbEventStore({
        parts: storeParts,
        client: dynamo.client,
        tableName,
        ttlDays: TTL_DAYS,
        now: () => NOW,
        erasureSettleMs: 0,
      });
      await eraser.eraseVisitor(OTHER_VISITOR);
      const recordKey = erasureKey(OTHER_VISITOR);

      expect(await store.getEvent(recordKey)).toBeUndefined();
      const error = await validationErrorOf(store.putEvents([buildEvent({ requestId: recordKey })]));
      expect(error.field).toBe('requestId');
      // The erasure record is intact: the erased visitor's past events are still refused.
      const outcome = await store.storeEvents([buildEvent({ visitorId: OTHER_VISITOR })]);
      expect(outcome).toMatchObject({ stored: 0, suppressed: [expect.any(String)] });
    });

    it('returns exactly the stored normalized event, without the TTL attribute', async () => {
      const event = buildEvent({
        linkedId: 'order-123',
        url: 'https://shop.example/checkout',
        ip: '203.0.113.7',
        tag: { cart: { items: 3 }, campaign: 'spring' },
        confidence: { score: 0.99, revision: 'v1.1' },
        location: { city: 'Prague', country: { code: 'CZ', name: 'Czechia' }, subdivisions: [] },
        signals: { bot: 'notDetected', vpn: false, suspectScore: 0 },
      });

      await expect(store.putEvents([event])).resolves.toBe(1);

      expect(await store.getEvent(event.requestId)).toStrictEqual(event);
    });

    it('stores the TTL in epoch seconds and leaves undefined fields out of the item', async () => {
      const event = buildEvent({ url: undefined, location: { city: 'Prague', postalCode: undefined } });

      await store.putEvents([event]);

      const { Item } = await dynamo.documentClient.send(
        new GetCommand({ TableName: tableName, Key: { requestId: event.requestId } }),
      );
      expect(Item?.expiresAt).toBe(Math.floor(event.timestamp / 1000) + TTL_DAYS * 86_400);
      expect(Item?.expiresAt).toBe(expiresAtFor(event.timestamp, TTL_DAYS));
      expect(Item).not.toHaveProperty('url');
      expect(Item?.location).toStrictEqual({ city: 'Prague' });
    });

    it('answers undefined for a requestId that was never stored', async () => {
      expect(await store.getEvent('1708102555327.NoSuch')).toBeUndefined();
      expect(await store.getEvent('../../etc/passwd')).toBeUndefined();
    });

    it('keeps one item when the same requestId is stored twice, the later copy winning', async () => {
      const first = buildEvent({ tag: { version: 1 } });
      const second = { ...first, tag: { version: 2 } };

      await store.putEvents([first]);
      await store.putEvents([second]);

      expect(await countItems(tableName)).toBe(1);
      expect(await store.getEvent(first.requestId)).toStrictEqual(second);
    });

    it('accepts duplicates within one call, which DynamoDB would refuse in one batch, keeping the last', async () => {
      const first = buildEvent({ tag: { version: 1 } });
      const second = { ...first, tag: { version: 2 } };
      const other = buildEvent();

      await expect(store.putEvents([first, other, second])).resolves.toBe(2);

      expect(await countItems(tableName)).toBe(2);
      expect(await store.getEvent(first.requestId)).toStrictEqual(second);
    });

    it('writes 60 events of one call in 3 batches', async () => {
      const events = Array.from({ length: 60 }, () => buildEvent());
      const send = vi.spyOn(dynamo.client, 'send');

      await expect(store.putEvents(events)).resolves.toBe(60);

      const batches = send.mock.calls.filter(([command]) => command instanceof BatchWriteItemCommand);
      expect(batches).toHaveLength(3);
      expect(await countItems(tableName)).toBe(60);
      const page = await store.listByVisitor({ visitorId: VISITOR, limit: 100 });
      expect(ids(page)).toEqual(newestFirst(events));
    });
  });

  describe('expiry', () => {
    // Written at NOW; read 15 days later, when an event from 80 days before NOW is past its 90-day TTL.
    const LATER = NOW + 15 * DAY_MS;

    it('does not write an event that is already past its TTL', async () => {
      const stale = buildEvent({ timestamp: NOW - (TTL_DAYS + 1) * DAY_MS });
      const fresh = buildEvent();

      await expect(store.putEvents([stale, fresh])).resolves.toBe(1);

      expect(await countItems(tableName)).toBe(1);
      expect(await store.getEvent(stale.requestId)).toBeUndefined();
    });

    it('never returns an item past its TTL that DynamoDB has not deleted yet', async () => {
      const fresh = buildEvent({ linkedId: 'order-1', timestamp: NOW - DAY_MS });
      const old = buildEvent({ linkedId: 'order-1', timestamp: NOW - 80 * DAY_MS });
      await store.putEvents([fresh, old]);
      const later = storeOn(tableName, LATER);

      expect(await countItems(tableName)).toBe(2);
      expect(await later.getEvent(old.requestId)).toBeUndefined();
      expect(await later.getEvent(fresh.requestId)).toStrictEqual(fresh);
      expect(ids(await later.listByVisitor({ visitorId: VISITOR, limit: 10 }))).toEqual([fresh.requestId]);
      expect(ids(await later.listByLinkedId({ linkedId: 'order-1', limit: 10 }))).toEqual([fresh.requestId]);
    });

    it('never serves an expired event, counting it among the events a page reads', async () => {
      const fresh = Array.from({ length: 5 }, (_, i) => buildEvent({ timestamp: NOW - DAY_MS - i }));
      const old = Array.from({ length: 30 }, (_, i) => buildEvent({ timestamp: NOW - 80 * DAY_MS - i }));
      await store.putEvents([...fresh, ...old]);
      const later = storeOn(tableName, LATER);
      const query = { visitorId: VISITOR, limit: 5 };

      const pages = await collectPages(later, query, (page) => ({ ...query, cursor: page.next?.cursor }));

      expect(pages.flatMap(ids)).toEqual(newestFirst(fresh));
      // A page costs what it reads: the 30 expired items DynamoDB has not deleted yet take 6 more pages.
      expect(pages.map((page) => page.events.length)).toEqual([5, 0, 0, 0, 0, 0, 0]);
      expect(pages.at(-1)?.next).toBeUndefined();
    });
  });

  describe('listByVisitor', () => {
    it('answers an empty page for a visitor with nothing stored', async () => {
      expect(await store.listByVisitor({ visitorId: OTHER_VISITOR, limit: 10 })).toStrictEqual({
        events: [],
      });
    });

    it('reads limit events per page before the linkedId filter, and pages through all of them', async () => {
      const events = Array.from({ length: 40 }, (_, i) =>
        buildEvent(i % 4 === 0 ? { linkedId: 'order-7' } : i % 4 === 1 ? { linkedId: 'order-8' } : {}),
      );
      const matching = events.filter((event) => event.linkedId === 'order-7');
      await store.putEvents(events);

      const query = { visitorId: VISITOR, linkedId: 'order-7', limit: 4 };
      const pages = await collectPages(store, query, (page) => ({ ...query, cursor: page.next?.cursor }));

      // Each run of 4 events holds one of order-7: a page of 4 read holds 1 match, as in v3.
      expect(pages.map((page) => page.events.length)).toEqual(Array(10).fill(1));
      expect(pages.flatMap(ids)).toEqual(newestFirst(matching));
      expect(pages.flatMap((page) => page.events).every((event) => event.linkedId === 'order-7')).toBe(true);
    });

    it('names the last event read in next, whether or not it matched the filter', async () => {
      const events = [
        buildEvent({ linkedId: 'order-7' }),
        buildEvent({ linkedId: 'order-8' }),
        buildEvent({ linkedId: 'order-8' }),
        buildEvent({ linkedId: 'order-7' }),
      ];
      await store.putEvents(events);

      const page = await store.listByVisitor({ visitorId: VISITOR, linkedId: 'order-7', limit: 3 });

      expect(ids(page)).toEqual([events[0]?.requestId]);
      expect(page.next?.lastRequestId).toBe(events[2]?.requestId);
      expect(page.next?.lastTimestamp).toBe(events[2]?.timestamp);
      const rest = await store.listByVisitor({
        visitorId: VISITOR,
        linkedId: 'order-7',
        limit: 3,
        afterRequestId: page.next?.lastRequestId,
      });
      expect(rest).toStrictEqual({ events: [events[3]] });
    });

    it('reports the last event of a page in next', async () => {
      const events = Array.from({ length: 3 }, () => buildEvent());
      await store.putEvents(events);

      const page = await store.listByVisitor({ visitorId: VISITOR, limit: 2 });

      const last = page.events.at(-1);
      expect(page.next?.lastRequestId).toBe(last?.requestId);
      expect(page.next?.lastTimestamp).toBe(last?.timestamp);
    });

    it('never mixes in events of another visitor', async () => {
      const mine = buildEvent();
      const theirs = buildEvent({ visitorId: OTHER_VISITOR, timestamp: mine.timestamp });
      await store.putEvents([mine, theirs]);

      expect(ids(await store.listByVisitor({ visitorId: VISITOR, limit: 10 }))).toEqual([mine.requestId]);
    });

    it('starts after a paginationKey newer than before as if only before were given', async () => {
      const events = Array.from({ length: 6 }, () => buildEvent());
      await store.putEvents(events);
      const [newest, , third] = newestFirst(events);
      const thirdEvent = events.find((event) => event.requestId === third);

      const page = await store.listByVisitor({
        visitorId: VISITOR,
        limit: 10,
        before: thirdEvent?.timestamp,
        afterRequestId: newest,
      });

      expect(ids(page)).toEqual(newestFirst(events).slice(3));
    });
  });

  describe('paging 250 events of one visitor', () => {
    let pagingTable: string;
    let pagingStore: DynamoDbEventStore;
    let expected: string[];
    let timestamps: Map<string, number>;

    beforeAll(async () => {
      pagingTable = await dynamo.createTable();
      pagingStore = storeOn(pagingTable);
      const events = Array.from({ length: 250 }, () => buildEvent());
      await pagingStore.putEvents(events);
      expected = newestFirst(events);
      timestamps = new Map(events.map((event) => [event.requestId, event.timestamp]));
    });

    const first: VisitorQuery = { visitorId: VISITOR, limit: 100 };

    it('pages 100/100/50 by cursor with no gap and no duplicate', async () => {
      const pages = await collectPages(pagingStore, first, (page) => ({
        ...first,
        cursor: page.next?.cursor,
      }));

      expect(pages.map((page) => page.events.length)).toEqual([100, 100, 50]);
      expect(pages.flatMap(ids)).toEqual(expected);
      expect(pages.at(-1)?.next).toBeUndefined();
    });

    it('pages 100/100/50 by paginationKey (afterRequestId)', async () => {
      const pages = await collectPages(pagingStore, first, (page) => ({
        ...first,
        afterRequestId: page.next?.lastRequestId,
      }));

      expect(pages.map((page) => page.events.length)).toEqual([100, 100, 50]);
      expect(pages.flatMap(ids)).toEqual(expected);
      expect(pages.at(-1)?.next).toBeUndefined();
    });

    it('pages 100/100/50 by before (lastTimestamp) when timestamps are distinct', async () => {
      const pages = await collectPages(pagingStore, first, (page) => ({
        ...first,
        before: page.next?.lastTimestamp,
      }));

      expect(pages.map((page) => page.events.length)).toEqual([100, 100, 50]);
      expect(pages.flatMap(ids)).toEqual(expected);
      expect(pages.at(-1)?.next).toBeUndefined();
    });

    it('continues a before query by its cursor', async () => {
      const before = timestamps.get(expected[99] ?? '');
      const query: VisitorQuery = { visitorId: VISITOR, limit: 100, before };
      const pages = await collectPages(pagingStore, query, (page) => ({
        ...query,
        cursor: page.next?.cursor,
      }));

      expect(pages.map((page) => page.events.length)).toEqual([100, 50]);
      expect(pages.flatMap(ids)).toEqual(expected.slice(100));
    });
  });

  describe('events sharing a timestamp', () => {
    let events: NormalizedEvent[];

    beforeEach(async () => {
      const tied = NOW - 5_000;
      events = [
        buildEvent({ timestamp: NOW - 1_000 }),
        ...Array.from({ length: 5 }, () => buildEvent({ timestamp: tied, linkedId: 'order-tie' })),
        buildEvent({ timestamp: NOW - 9_000 }),
      ];
      await store.putEvents(events);
    });

    const query: VisitorQuery = { visitorId: VISITOR, limit: 2 };

    it('pages through them by cursor with no gap and no duplicate', async () => {
      const pages = await collectPages(store, query, (page) => ({ ...query, cursor: page.next?.cursor }));

      expect(pages.map((page) => page.events.length)).toEqual([2, 2, 2, 1]);
      expect(pages.flatMap(ids).sort()).toEqual(events.map((event) => event.requestId).sort());
      expect(pages.flatMap(ids)).toHaveLength(new Set(pages.flatMap(ids)).size);
    });

    it('pages through them by paginationKey with no gap and no duplicate', async () => {
      const pages = await collectPages(store, query, (page) => ({
        ...query,
        afterRequestId: page.next?.lastRequestId,
      }));

      expect(pages.flatMap(ids).sort()).toEqual(events.map((event) => event.requestId).sort());
      expect(pages.flatMap(ids)).toHaveLength(events.length);
    });

    it('pages through them by linkedId cursor with no gap and no duplicate', async () => {
      const tied = events.filter((event) => event.linkedId === 'order-tie').map((event) => event.requestId);
      const pages = [await store.listByLinkedId({ linkedId: 'order-tie', limit: 2 })];
      for (let page = pages[0]; page?.next !== undefined; page = pages.at(-1)) {
        pages.push(await store.listByLinkedId({ linkedId: 'order-tie', limit: 2, cursor: page.next.cursor }));
      }

      expect(pages.map((page) => page.events.length)).toEqual([2, 2, 1]);
      expect(pages.flatMap(ids).sort()).toEqual(tied.sort());
    });
  });

  describe('listByLinkedId', () => {
    it('returns the events of every visitor carrying the linkedId, newest first, page by page', async () => {
      const events = [
        buildEvent({ linkedId: 'account-1' }),
        buildEvent({ linkedId: 'account-1', visitorId: OTHER_VISITOR }),
        buildEvent({ linkedId: 'account-2' }),
        buildEvent(),
        buildEvent({ linkedId: 'account-1' }),
      ];
      await store.putEvents(events);
      const matching = events.filter((event) => event.linkedId === 'account-1');

      const first = await store.listByLinkedId({ linkedId: 'account-1', limit: 2 });
      const second = await store.listByLinkedId({
        linkedId: 'account-1',
        limit: 2,
        cursor: first.next?.cursor,
      });

      expect([...ids(first), ...ids(second)]).toEqual(newestFirst(matching));
      expect(second.next).toBeUndefined();
    });
  });

  describe('cursor and paginationKey validation', () => {
    let cursor: string;

    beforeEach(async () => {
      await store.putEvents([
        ...Array.from({ length: 3 }, () => buildEvent({ linkedId: 'order-1' })),
        buildEvent({ visitorId: OTHER_VISITOR }),
      ]);
      const page = await store.listByVisitor({ visitorId: VISITOR, limit: 1 });
      cursor = page.next?.cursor ?? '';
      expect(cursor).not.toBe('');
    });

    it.each([
      ['not base64url', 'not a cursor!'],
      ['empty', ''],
      ['truncated', () => cursor.slice(0, -4)],
      ['tampered', () => tamper(cursor)],
      ['made of random bytes', Buffer.from('0123456789abcdef0123456789').toString('base64url')],
    ])('rejects a cursor that is %s, naming the field', async (_, value) => {
      const error = await validationErrorOf(
        store.listByVisitor({
          visitorId: VISITOR,
          limit: 1,
          cursor: typeof value === 'function' ? value() : value,
        }),
      );

      expect(error.field).toBe('cursor');
      expect(error.message).toMatch(/pass back the value of an earlier response unchanged/);
    });

    it('rejects a cursor of another visitor', async () => {
      const error = await validationErrorOf(
        store.listByVisitor({ visitorId: OTHER_VISITOR, limit: 1, cursor }),
      );

      expect(error.field).toBe('cursor');
    });

    it('rejects a cursor of a visitor query with another linkedId filter or before', async () => {
      const filtered = await store.listByVisitor({ visitorId: VISITOR, linkedId: 'order-1', limit: 1 });
      const filteredCursor = filtered.next?.cursor;

      for (const query of [
        { visitorId: VISITOR, limit: 1, cursor: filteredCursor },
        { visitorId: VISITOR, linkedId: 'order-2', limit: 1, cursor: filteredCursor },
        { visitorId: VISITOR, linkedId: 'order-1', limit: 1, cursor },
        { visitorId: VISITOR, limit: 1, before: NOW, cursor },
      ]) {
        expect((await validationErrorOf(store.listByVisitor(query))).field).toBe('cursor');
      }
    });

    it('rejects a visitor cursor on a linkedId query and the reverse', async () => {
      const byLinkedId = await store.listByLinkedId({ linkedId: 'order-1', limit: 1 });

      const onLinkedId = await validationErrorOf(
        store.listByLinkedId({ linkedId: 'order-1', limit: 1, cursor }),
      );
      const onVisitor = await validationErrorOf(
        store.listByVisitor({ visitorId: VISITOR, limit: 1, cursor: byLinkedId.next?.cursor }),
      );

      expect(onLinkedId.field).toBe('cursor');
      expect(onVisitor.field).toBe('cursor');
    });

    it('keeps a well-formed cursor pointing at another visitor from reading that visitor', async () => {
      const mine = await store.listByVisitor({ visitorId: VISITOR, limit: 10 });
      const theirs = (await store.listByVisitor({ visitorId: OTHER_VISITOR, limit: 1 })).events[0];
      const forged = encodeCursor(
        { index: 'byVisitor', visitorId: VISITOR },
        { requestId: theirs?.requestId ?? '', timestamp: NOW },
      );

      const page = await store.listByVisitor({ visitorId: VISITOR, limit: 10, cursor: forged });

      expect(ids(page)).toEqual(ids(mine));
      expect(ids(page)).not.toContain(theirs?.requestId);
    });

    it('rejects a paginationKey of another visitor or of no stored event', async () => {
      const theirs = (await store.listByVisitor({ visitorId: OTHER_VISITOR, limit: 1 })).events[0];

      for (const afterRequestId of [theirs?.requestId, '1708102555327.NoSuch', 'garbage']) {
        const error = await validationErrorOf(
          store.listByVisitor({ visitorId: VISITOR, limit: 1, afterRequestId }),
        );
        expect(error.field).toBe('paginationKey');
      }
    });

    it('rejects a cursor and a paginationKey together', async () => {
      const first = (await store.listByVisitor({ visitorId: VISITOR, limit: 1 })).events[0];

      const error = await validationErrorOf(
        store.listByVisitor({ visitorId: VISITOR, limit: 1, cursor, afterRequestId: first?.requestId }),
      );

      expect(error.field).toBe('cursor');
    });
  });

  describe('history sync records', () => {
    const both = { visitorId: VISITOR, linkedId: 'order-1' };

    it('answers the record of exactly the filter it was written for, replaced by the next one', async () => {
      await store.putHistorySync({ visitorId: VISITOR }, { from: NOW - 30 * DAY_MS, newest: NOW - 5 });
      await store.putHistorySync(both, { from: NOW - 30 * DAY_MS, depth: 100 });
      await store.putHistorySync({ visitorId: VISITOR }, { from: NOW - 30 * DAY_MS, newest: NOW - 1 });

      expect(await store.getHistorySync({ visitorId: VISITOR })).toEqual({
        from: NOW - 30 * DAY_MS,
        newest: NOW - 1,
      });
      expect(await store.getHistorySync(both)).toEqual({ from: NOW - 30 * DAY_MS, depth: 100 });
      expect(await store.getHistorySync({ linkedId: 'order-1' })).toBeUndefined();
      expect(await store.getHistorySync({ visitorId: OTHER_VISITOR })).toBeUndefined();
    });

    it('is no event: not served by id, not in either index, no id kept in clear, gone with its TTL', async () => {
      await store.putEvents([buildEvent({ linkedId: 'order-1' })]);
      await store.putHistorySync(both, { from: NOW - DAY_MS, newest: NOW - 1 });
      const { Items = [] } = await dynamo.documentClient.send(new ScanCommand({ TableName: tableName }));
      const record = Items.find((item) => String(item.requestId).startsWith('history#'));

      expect(record).toBeDefined();
      expect(JSON.stringify(record)).not.toContain(VISITOR);
      expect(JSON.stringify(record)).not.toContain('order-1');
      expect(await store.getEvent(String(record?.requestId))).toBeUndefined();
      expect(ids(await store.listByVisitor({ visitorId: VISITOR, limit: 10 }))).toHaveLength(1);
      expect(ids(await store.listByLinkedId({ linkedId: 'order-1', limit: 10 }))).toHaveLength(1);
      expect(record?.expiresAt).toBe(expiresAtFor(NOW, TTL_DAYS));
      const later = storeOn(tableName, NOW + (TTL_DAYS + 1) * DAY_MS);
      expect(await later.getHistorySync(both)).toBeUndefined();
    });
  });
});
