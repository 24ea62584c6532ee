/**
 * The contract of the event store port and the webhook's (`shared/store/event-store.ts`), as one suite that
 * registers its tests for any implementation of both on one table: `event-store.test.ts` runs it against the
 * DynamoDB event store beside the webhook's on dynalite, and against the use-case tests' `FakeEventStore`, so
 * the fake cannot drift from the stores it stands in for. The webhook's insert-only writes go through the
 * webhook's store, everything else (and every read of what it wrote) through the event store.
 *
 * The suite drives the store's clock itself: DynamoDB's TTL deletion is lazy (and dynalite has none), so
 * expiry is the store's own promise on every read (SPEC "Storage rules": reads never return an expired item).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { upstreamV4Of, withUpstreamV4 } from '../../shared/domain/upstream.js';
import type { EventPage, EventStore, WebhookEventStore } from '../../shared/store/event-store.js';
import { validationErrorOf } from '../support/errors.js';
import { buildEvent } from '../support/events.js';

export const CONTRACT_TTL_DAYS = 90;
const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 10, 1, 12);
const VISITOR = 'ContractVisitor000001';
const OTHER_VISITOR = 'ContractVisitor000002';

/**
 * What a suite needs of an implementation: a fresh, empty event store and the webhook's store on the same table,
 * on the given clock and `ttlDays`.
 */
export type EventStoreFactory = (options: {
  ttlDays: number;
  now: () => number;
}) => Promise<{ store: EventStore; webhook: WebhookEventStore }>;

function ids(page: EventPage): string[] {
  return page.events.map((event) => event.requestId);
}

/** Newest first; the order among equal timestamps is the store's own, so tests give distinct ones. */
function newestFirst(events: readonly NormalizedEvent[]): string[] {
  return [...events].sort((a, b) => b.timestamp - a.timestamp).map((event) => event.requestId);
}

/** `count` events of the visitor, one second apart, newest `newest` ms ago. */
function history(
  count: number,
  overrides: Partial<NormalizedEvent> = {},
  newest = DAY_MS,
): NormalizedEvent[] {
  return Array.from({ length: count }, (_, index) =>
    buildEvent({ visitorId: VISITOR, timestamp: NOW - newest - index * 1000, ...overrides }),
  );
}

/** Registers the port's contract tests for the store that `create` makes. */
export function describeEventStorePort(name: string, create: EventStoreFactory): void {
  describe(`the event store port: ${name}`, () => {
    let clock: number;
    let store: EventStore;
    let webhook: WebhookEventStore;

    beforeEach(async () => {
      clock = NOW;
      ({ store, webhook } = await create({ ttlDays: CONTRACT_TTL_DAYS, now: () => clock }));
    });

    describe('writes and reads by requestId', () => {
      it('answers what was stored, and nothing for a requestId never stored', async () => {
        const event = buildEvent({ visitorId: VISITOR, timestamp: NOW - DAY_MS, linkedId: 'order-1' });

        await expect(store.storeEvents([event])).resolves.toEqual({ stored: 1, suppressed: [] });

        expect(await store.getEvent(event.requestId)).toEqual(event);
        expect(await store.getEvent('1700000000000.NeverStored')).toBeUndefined();
      });

      it('keeps one event per requestId, the later copy winning, within a call and across calls', async () => {
        const first = buildEvent({ visitorId: VISITOR, timestamp: NOW - DAY_MS, url: 'https://a.example/' });
        const second = { ...first, url: 'https://b.example/' };
        const third = { ...first, url: 'https://c.example/' };

        await expect(store.putEvents([first, second])).resolves.toBe(1);
        expect((await store.getEvent(first.requestId))?.url).toBe('https://b.example/');
        await store.putEvents([third]);

        expect(await store.getEvent(first.requestId)).toEqual(third);
        expect(ids(await store.listByVisitor({ visitorId: VISITOR, limit: 10 }))).toEqual([first.requestId]);
      });

      it.each([
        ['requestId', { requestId: '' }],
        ['visitorId', { visitorId: 'a\u0000b' }],
        ['linkedId', { linkedId: 'x'.repeat(257) }],
        ['timestamp', { timestamp: -1 }],
      ] as const)(
        'refuses an event whose %s is malformed, storing nothing of the batch',
        async (field, bad) => {
          const good = buildEvent({ visitorId: VISITOR, timestamp: NOW - DAY_MS });
          const error = await validationErrorOf(
            store.storeEvents([good, buildEvent({ visitorId: VISITOR, timestamp: NOW, ...bad })]),
          );

          expect(error.field).toBe(field);
          expect(await store.getEvent(good.requestId)).toBeUndefined();
        },
      );
    });

    describe('the insert-only write (putEventIfAbsent)', () => {
      it('stores a new event, then tells a duplicate from a conflict, never changing what is stored', async () => {
        const event = buildEvent({ visitorId: VISITOR, timestamp: NOW - DAY_MS, url: 'https://a.example/' });

        await expect(webhook.putEventIfAbsent(event)).resolves.toEqual({ outcome: 'stored' });
        await expect(webhook.putEventIfAbsent({ ...event, url: 'https://b.example/' })).resolves.toEqual({
          outcome: 'duplicate',
        });
        await expect(
          webhook.putEventIfAbsent({ ...event, visitorId: OTHER_VISITOR, timestamp: NOW - 2 * DAY_MS }),
        ).resolves.toEqual({ outcome: 'conflict', fields: ['visitorId', 'timestamp'] });
        await expect(webhook.putEventIfAbsent({ ...event, timestamp: NOW - 2 * DAY_MS })).resolves.toEqual({
          outcome: 'conflict',
          fields: ['timestamp'],
        });

        expect(await store.getEvent(event.requestId)).toEqual(event);
      });

      it('of many concurrent writes of one new requestId, stores exactly one', async () => {
        const event = buildEvent({ visitorId: VISITOR, timestamp: NOW - DAY_MS });

        const outcomes = await Promise.all(
          Array.from({ length: 8 }, (_, index) =>
            webhook.putEventIfAbsent({ ...event, url: `https://${index}.example/` }),
          ),
        );

        expect(outcomes.filter((outcome) => outcome.outcome === 'stored')).toHaveLength(1);
        expect(outcomes.filter((outcome) => outcome.outcome === 'duplicate')).toHaveLength(7);
      });
    });

    describe('expiry (TTL)', () => {
      const LATER = NOW + 15 * DAY_MS;

      it('does not write an event already past its TTL', async () => {
        const stale = buildEvent({ visitorId: VISITOR, timestamp: NOW - (CONTRACT_TTL_DAYS + 1) * DAY_MS });
        const fresh = buildEvent({ visitorId: VISITOR, timestamp: NOW - DAY_MS });

        await expect(store.storeEvents([stale, fresh])).resolves.toEqual({ stored: 1, suppressed: [] });
        await expect(webhook.putEventIfAbsent(stale)).resolves.toEqual({ outcome: 'expired' });

        expect(await store.getEvent(stale.requestId)).toBeUndefined();
        expect(ids(await store.listByVisitor({ visitorId: VISITOR, limit: 10 }))).toEqual([fresh.requestId]);
      });

      it('stops serving an event once its TTL has passed, on every read', async () => {
        const copy = { event_id: 'old', identification: { visitor_id: VISITOR } };
        const old = withUpstreamV4(
          buildEvent({ visitorId: VISITOR, linkedId: 'order-1', timestamp: NOW - 80 * DAY_MS }),
          copy,
        );
        const fresh = buildEvent({ visitorId: VISITOR, linkedId: 'order-1', timestamp: NOW - DAY_MS });
        await store.putEvents([old, fresh]);
        expect(await store.getEvent(old.requestId)).toEqual(old);
        expect([...(await store.getUpstreamEvents([old.requestId])).keys()]).toEqual([old.requestId]);

        clock = LATER;

        expect(await store.getEvent(old.requestId)).toBeUndefined();
        expect(await store.getEvent(fresh.requestId)).toEqual(fresh);
        expect(ids(await store.listByVisitor({ visitorId: VISITOR, limit: 10 }))).toEqual([fresh.requestId]);
        expect(ids(await store.listByLinkedId({ linkedId: 'order-1', limit: 10 }))).toEqual([
          fresh.requestId,
        ]);
        const search = await store.searchEvents({
          visitorId: VISITOR,
          limit: 10,
          maxScanned: 10,
          binding: '',
        });
        expect(ids(search)).toEqual([fresh.requestId]);
        expect(await store.getUpstreamEvents([old.requestId])).toEqual(new Map());
      });

      it('counts an expired event among those a page reads, and pages on past it', async () => {
        const fresh = history(3);
        const old = history(4, {}, 80 * DAY_MS);
        await store.putEvents([...fresh, ...old]);
        clock = LATER;

        const first = await store.listByVisitor({ visitorId: VISITOR, limit: 5 });
        const second = await store.listByVisitor({
          visitorId: VISITOR,
          limit: 5,
          cursor: first.next?.cursor,
        });

        expect(ids(first)).toEqual(newestFirst(fresh));
        expect(first.next).toBeDefined();
        expect(second).toEqual({ events: [] });
      });

      it('forgets a history sync record once an event stored with it would have expired', async () => {
        await store.putHistorySync({ visitorId: VISITOR }, { from: NOW - 30 * DAY_MS, newest: NOW - DAY_MS });

        clock = NOW + (CONTRACT_TTL_DAYS - 1) * DAY_MS;
        expect(await store.getHistorySync({ visitorId: VISITOR })).toEqual({
          from: NOW - 30 * DAY_MS,
          newest: NOW - DAY_MS,
        });
        clock = NOW + CONTRACT_TTL_DAYS * DAY_MS;
        expect(await store.getHistorySync({ visitorId: VISITOR })).toBeUndefined();
      });
    });

    describe('history pages', () => {
      it('pages a visitor by cursor, newest first, with no gap and no duplicate', async () => {
        const events = history(7);
        await store.putEvents([...events, buildEvent({ visitorId: OTHER_VISITOR, timestamp: NOW - DAY_MS })]);

        const pages = [await store.listByVisitor({ visitorId: VISITOR, limit: 3 })];
        for (let page = pages[0]; page?.next !== undefined; page = pages.at(-1)) {
          pages.push(await store.listByVisitor({ visitorId: VISITOR, limit: 3, cursor: page.next.cursor }));
        }

        expect(pages.map((page) => page.events.length)).toEqual([3, 3, 1]);
        expect(pages.flatMap(ids)).toEqual(newestFirst(events));
        const last = pages[0]?.events.at(-1);
        expect(pages[0]?.next).toMatchObject({
          lastRequestId: last?.requestId,
          lastTimestamp: last?.timestamp,
        });
        expect(pages.at(-1)?.next).toBeUndefined();
      });

      it('reads limit events before the linkedId filter, naming the last one read in next', async () => {
        const events = history(4).map((event, index) => ({
          ...event,
          linkedId: index % 2 === 0 ? 'order-1' : 'order-2',
        }));
        await store.putEvents(events);
        const query = { visitorId: VISITOR, linkedId: 'order-1', limit: 2 };

        const first = await store.listByVisitor(query);
        const second = await store.listByVisitor({ ...query, cursor: first.next?.cursor });

        expect(ids(first)).toEqual([events[0]?.requestId]);
        expect(first.next?.lastRequestId).toBe(events[1]?.requestId);
        expect(ids(second)).toEqual([events[2]?.requestId]);
        expect(second.next).toBeUndefined();
      });

      it('continues after a paginationKey (afterRequestId) and before a timestamp', async () => {
        const events = history(5);
        await store.putEvents(events);

        const afterKey = await store.listByVisitor({
          visitorId: VISITOR,
          limit: 10,
          afterRequestId: events[1]?.requestId,
        });
        const before = await store.listByVisitor({
          visitorId: VISITOR,
          limit: 10,
          before: events[2]?.timestamp,
        });

        expect(ids(afterKey)).toEqual(events.slice(2).map((event) => event.requestId));
        expect(ids(before)).toEqual(events.slice(3).map((event) => event.requestId));
      });

      it('pages a linkedId across visitors, newest first', async () => {
        const mine = history(2, { linkedId: 'order-9' });
        const theirs = buildEvent({
          visitorId: OTHER_VISITOR,
          linkedId: 'order-9',
          timestamp: NOW - DAY_MS - 500,
        });
        await store.putEvents([
          ...mine,
          theirs,
          buildEvent({ visitorId: VISITOR, timestamp: NOW - 2 * DAY_MS }),
        ]);

        const first = await store.listByLinkedId({ linkedId: 'order-9', limit: 2 });
        const second = await store.listByLinkedId({
          linkedId: 'order-9',
          limit: 2,
          cursor: first.next?.cursor,
        });

        expect([...ids(first), ...ids(second)]).toEqual(newestFirst([...mine, theirs]));
        expect(second.next).toBeUndefined();
      });

      it('refuses a malformed cursor, a cursor of another query, and a paginationKey of another visitor', async () => {
        await store.putEvents([
          ...history(3),
          buildEvent({ visitorId: OTHER_VISITOR, timestamp: NOW - DAY_MS }),
        ]);
        const cursor = (await store.listByVisitor({ visitorId: VISITOR, limit: 1 })).next?.cursor;
        const theirs = (await store.listByVisitor({ visitorId: OTHER_VISITOR, limit: 1 })).events[0];

        const failures = [
          store.listByVisitor({ visitorId: VISITOR, limit: 1, cursor: 'not a cursor!' }),
          store.listByVisitor({ visitorId: OTHER_VISITOR, limit: 1, cursor }),
          store.listByVisitor({ visitorId: VISITOR, linkedId: 'order-1', limit: 1, cursor }),
          store.listByLinkedId({ linkedId: 'order-1', limit: 1, cursor }),
          store.listByVisitor({ visitorId: VISITOR, limit: 1, cursor, afterRequestId: theirs?.requestId }),
        ];
        for (const failure of failures) expect((await validationErrorOf(failure)).field).toBe('cursor');
        const foreignKey = store.listByVisitor({
          visitorId: VISITOR,
          limit: 1,
          afterRequestId: theirs?.requestId,
        });
        expect((await validationErrorOf(foreignKey)).field).toBe('paginationKey');
        expect((await validationErrorOf(store.listByVisitor({ visitorId: VISITOR, limit: 0 }))).field).toBe(
          'limit',
        );
      });
    });

    describe('searches (searchEvents)', () => {
      it('answers the events strictly inside the window, newest or oldest first, page by page', async () => {
        const events = history(6);
        await store.putEvents(events);
        const window = { after: events[5]?.timestamp, before: events[0]?.timestamp };
        const inside = events.slice(1, 5).map((event) => event.requestId);

        for (const oldestFirst of [false, true]) {
          const query = {
            visitorId: VISITOR,
            limit: 3,
            maxScanned: 100,
            ...window,
            oldestFirst,
            binding: 'w',
          };
          const first = await store.searchEvents(query);
          const second = await store.searchEvents({ ...query, cursor: first.next?.cursor });

          expect(first.events).toHaveLength(3);
          expect([...ids(first), ...ids(second)]).toEqual(oldestFirst ? [...inside].reverse() : inside);
          expect(second.next).toBeUndefined();
        }
      });

      it('counts matches in limit and stops reading at maxScanned, with next to go on', async () => {
        const events = history(6).map((event, index) => ({
          ...event,
          linkedId: index < 4 ? 'other' : 'order-1',
        }));
        await store.putEvents(events);
        const query = { visitorId: VISITOR, linkedId: 'order-1', limit: 2, binding: '' };

        const bounded = await store.searchEvents({ ...query, maxScanned: 3 });
        const all = await store.searchEvents({ ...query, maxScanned: 100 });

        expect(bounded.events).toEqual([]);
        expect(bounded.next?.lastRequestId).toBe(events[2]?.requestId);
        expect(ids(all)).toEqual([events[4]?.requestId, events[5]?.requestId]);
      });

      it('searches a linkedId alone, and refuses a cursor of another binding or a search with no filter', async () => {
        const events = history(3, { linkedId: 'order-3' });
        await store.putEvents(events);

        const first = await store.searchEvents({
          linkedId: 'order-3',
          limit: 2,
          maxScanned: 10,
          binding: 'a',
        });

        expect(ids(first)).toEqual(newestFirst(events).slice(0, 2));
        const rebound = store.searchEvents({
          linkedId: 'order-3',
          limit: 2,
          maxScanned: 10,
          binding: 'b',
          cursor: first.next?.cursor,
          cursorName: 'pagination_key',
        });
        expect((await validationErrorOf(rebound)).field).toBe('pagination_key');
        const unfiltered = store.searchEvents({ limit: 2, maxScanned: 10, binding: '' });
        expect((await validationErrorOf(unfiltered)).field).toBe('visitorId');
      });
    });

    describe('upstream copies', () => {
      it('answers the v4 copy kept with an event, and none for events without one or unknown', async () => {
        const copy = { event_id: 'with-copy', tags: { nested: [1, 'two', null] } };
        const withCopy = withUpstreamV4(buildEvent({ visitorId: VISITOR, timestamp: NOW - DAY_MS }), copy);
        const without = buildEvent({ visitorId: VISITOR, timestamp: NOW - 2 * DAY_MS });
        await store.putEvents([withCopy, without]);

        const copies = await store.getUpstreamEvents([
          withCopy.requestId,
          without.requestId,
          '1700000000000.None',
        ]);

        expect(copies).toEqual(new Map([[withCopy.requestId, copy]]));
        const read = await store.getEvent(withCopy.requestId);
        expect(read === undefined ? undefined : upstreamV4Of(read)).toEqual(copy);
        // History pages come from indexes that do not hold the copy.
        const page = await store.listByVisitor({ visitorId: VISITOR, limit: 10 });
        expect(page.events.map((event) => upstreamV4Of(event))).toEqual([undefined, undefined]);
      });
    });

    describe('erasure', () => {
      it('deletes the visitor’s events up to the erasure, keeps others, and records it', async () => {
        const events = history(3);
        const other = buildEvent({ visitorId: OTHER_VISITOR, timestamp: NOW - DAY_MS });
        await store.putEvents([...events, other]);

        await expect(store.eraseVisitor(VISITOR)).resolves.toEqual({ erasedAt: NOW, deleted: 3 });

        expect(await store.listByVisitor({ visitorId: VISITOR, limit: 10 })).toEqual({ events: [] });
        expect(await store.getEvent(other.requestId)).toEqual(other);
      });

      it('suppresses every later write of an event from before the erasure, and keeps newer ones', async () => {
        const before = buildEvent({ visitorId: VISITOR, timestamp: NOW - DAY_MS });
        const atErasure = buildEvent({ visitorId: VISITOR, timestamp: NOW });
        const after = buildEvent({ visitorId: VISITOR, timestamp: NOW + 1 });
        // Nothing stored yet: the erasure is recorded all the same.
        await expect(store.eraseVisitor(VISITOR)).resolves.toEqual({ erasedAt: NOW, deleted: 0 });
        clock = NOW + 1000;

        await expect(store.storeEvents([before, atErasure, after])).resolves.toEqual({
          stored: 1,
          suppressed: [before.requestId, atErasure.requestId],
        });
        await expect(webhook.putEventIfAbsent(before)).resolves.toEqual({ outcome: 'suppressed' });
        expect(ids(await store.listByVisitor({ visitorId: VISITOR, limit: 10 }))).toEqual([after.requestId]);
      });

      it('never moves an erasure back, whatever the clock says', async () => {
        await store.eraseVisitor(VISITOR);
        clock = NOW - 60_000;

        await expect(store.eraseVisitor(VISITOR)).resolves.toEqual({ erasedAt: NOW, deleted: 0 });
        await expect(
          store.storeEvents([buildEvent({ visitorId: VISITOR, timestamp: NOW - 1 })]),
        ).resolves.toEqual({
          stored: 0,
          suppressed: [expect.any(String)],
        });
      });

      it('deleteVisitor deletes every event of the visitor, expired ones included, and is idempotent', async () => {
        const events = [...history(2), ...history(1, {}, 80 * DAY_MS)];
        await store.putEvents(events);
        clock = NOW + 15 * DAY_MS;

        await expect(store.deleteVisitor(VISITOR)).resolves.toBe(3);
        await expect(store.deleteVisitor(VISITOR)).resolves.toBe(0);
        // Not an erasure: the visitor's events can be stored again.
        await expect(store.putEvents([buildEvent({ visitorId: VISITOR, timestamp: NOW })])).resolves.toBe(1);
        expect((await validationErrorOf(store.eraseVisitor(''))).field).toBe('visitorId');
      });
    });

    describe('history sync records', () => {
      it('answers the record of exactly the filter it was written for, replaced by the next one', async () => {
        const both = { visitorId: VISITOR, linkedId: 'order-1' };
        await store.putHistorySync(both, { from: 1, newest: 2, depth: 3 });
        await store.putHistorySync({ visitorId: VISITOR }, { from: 4 });
        await store.putHistorySync(both, { from: 5 });

        expect(await store.getHistorySync(both)).toEqual({ from: 5 });
        expect(await store.getHistorySync({ visitorId: VISITOR })).toEqual({ from: 4 });
        expect(await store.getHistorySync({ linkedId: 'order-1' })).toBeUndefined();
      });
    });
  });
}
