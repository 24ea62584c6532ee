import { describe, expect, it } from 'vitest';
import { enrich, HISTORY_OVERLAP_MS } from '../../functions/enrich/enrich.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import type { SearchQuery } from '../../shared/fingerprint/types.js';
import type { HistorySync } from '../../shared/store/event-store.js';
import { buildEvent } from '../support/events.js';
import { FakeEventStore, FakeFingerprintClient } from '../support/fakes.js';

const options = () => ({ deadline: Date.now() + 10_000 });
const VISITOR_ID = 'Ibk1527CUFmcnjLwIs4A9';
const NOW = Date.UTC(2026, 11, 4, 12);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const history = { kind: 'search', visitorId: VISITOR_ID, maxEvents: 100, refresh: false } as const;

describe('enrich use case', () => {
  it('fetches an unknown requestId from Fingerprint and stores it', async () => {
    const event = buildEvent();
    const store = new FakeEventStore();
    const fingerprint = new FakeFingerprintClient([event]);

    const result = await enrich(
      { kind: 'request', requestId: event.requestId, refresh: false },
      { store, fingerprint },
      options(),
    );

    expect(result).toEqual({ events: [event], source: 'fingerprint', stored: 1 });
    expect(store.items.get(event.requestId)).toEqual(event);
  });

  it('answers a cached requestId from the store without calling Fingerprint', async () => {
    const event = buildEvent();
    const store = new FakeEventStore();
    store.items.set(event.requestId, event);
    const fingerprint = new FakeFingerprintClient([event]);

    const result = await enrich(
      { kind: 'request', requestId: event.requestId, refresh: false },
      { store, fingerprint },
      options(),
    );

    expect(result).toEqual({ events: [event], source: 'cache', stored: 0 });
    expect(fingerprint.calls).toEqual([]);
  });

  it('bypasses the cache when refresh is asked for', async () => {
    const cached = buildEvent({ url: 'https://old.example' });
    const fresh = { ...cached, url: 'https://new.example' };
    const store = new FakeEventStore();
    store.items.set(cached.requestId, cached);
    const fingerprint = new FakeFingerprintClient([fresh]);

    const result = await enrich(
      { kind: 'request', requestId: cached.requestId, refresh: true },
      { store, fingerprint },
      options(),
    );

    expect(result.source).toBe('fingerprint');
    expect(store.items.get(cached.requestId)?.url).toBe('https://new.example');
  });

  it('fetches a visitor history over the whole window with both filters and maxEvents, and records it', async () => {
    const events = [
      buildEvent({ linkedId: 'order-1', timestamp: NOW - 3 }),
      buildEvent({ linkedId: 'order-2', timestamp: NOW - 2 * DAY }),
      buildEvent({ linkedId: 'order-1', timestamp: NOW - 25 * DAY }),
    ];
    const store = new FakeEventStore();
    const fingerprint = new FakeFingerprintClient(events);

    const result = await enrich(
      { ...history, linkedId: 'order-1', maxEvents: 1 },
      { store, fingerprint, historyDays: 30, now: () => NOW },
      options(),
    );

    expect(fingerprint.calls).toEqual([
      {
        operation: 'searchEvents',
        argument: { visitorId: VISITOR_ID, linkedId: 'order-1', maxEvents: 1, start: NOW - 30 * DAY },
      },
    ]);
    expect(result).toEqual({ events: [events[0]], source: 'fingerprint', stored: 1 });
    // Cut at maxEvents: only the newest event is known to be cached.
    expect(await store.getHistorySync({ visitorId: VISITOR_ID, linkedId: 'order-1' })).toEqual({
      from: NOW - 30 * DAY,
      newest: NOW - 3,
      depth: 1,
    });
  });

  describe('refreshing a history already fetched', () => {
    const cachedHistory = [
      buildEvent({ timestamp: NOW - HOUR }),
      buildEvent({ timestamp: NOW - 2 * DAY }),
      buildEvent({ timestamp: NOW - 20 * DAY }),
    ];
    const setUp = (sync: HistorySync | undefined) => {
      const store = new FakeEventStore();
      for (const event of cachedHistory) store.items.set(event.requestId, event);
      store.nextPage = { events: cachedHistory };
      if (sync !== undefined) store.historySyncs.set(JSON.stringify([VISITOR_ID, undefined]), sync);
      const fresh = [buildEvent({ timestamp: NOW - 1000 }), buildEvent({ timestamp: NOW - 2000 })];
      const fingerprint = new FakeFingerprintClient([...fresh, ...cachedHistory]);
      return { store, fingerprint, fresh, deps: { store, fingerprint, historyDays: 30, now: () => NOW } };
    };
    const synced: HistorySync = { from: NOW - 30 * DAY - HOUR, newest: NOW - HOUR };

    it('asks only for what is newer than the newest event, less the overlap, and merges it with the cache', async () => {
      const { store, fingerprint, fresh, deps } = setUp(synced);

      const result = await enrich({ ...history, maxEvents: 100 }, deps, options());

      expect(fingerprint.calls).toEqual([
        {
          operation: 'searchEvents',
          argument: { visitorId: VISITOR_ID, maxEvents: 100, start: NOW - HOUR - HISTORY_OVERLAP_MS },
        },
      ]);
      expect(store.visitorQueries).toEqual([{ visitorId: VISITOR_ID, limit: 100 }]);
      // The overlap fetched the newest cached event again too: 3 written.
      expect(result).toEqual({ events: [...fresh, ...cachedHistory], source: 'fingerprint', stored: 3 });
      expect(await store.getHistorySync({ visitorId: VISITOR_ID })).toEqual({
        from: synced.from,
        newest: NOW - 1000,
      });
    });

    it('answers at most maxEvents, newest first, and leaves out cached events older than the window', async () => {
      const { store, fresh, deps } = setUp(synced);
      const old = buildEvent({ timestamp: NOW - 31 * DAY });
      store.nextPage = { events: [...cachedHistory, old] };

      const all = await enrich({ ...history, maxEvents: 100 }, deps, options());
      const some = await enrich({ ...history, maxEvents: 3 }, deps, options());

      expect(all.events).toEqual([...fresh, ...cachedHistory]);
      expect(some.events).toEqual([...fresh, cachedHistory[0]]);
    });

    it('fetches the whole window again with refresh: true', async () => {
      const { fingerprint, deps } = setUp(synced);

      await enrich({ ...history, maxEvents: 100, refresh: true }, deps, options());

      expect(fingerprint.calls.map((call) => (call.argument as SearchQuery).start)).toEqual([NOW - 30 * DAY]);
    });

    it.each<[string, HistorySync | undefined]>([
      ['never fetched (a single event cached by requestId or a webhook proves nothing)', undefined],
      [
        'fetched over a shorter window (FINGERPRINT_HISTORY_DAYS was raised)',
        { ...synced, from: NOW - 7 * DAY },
      ],
      ['fetched with a smaller maxEvents', { ...synced, depth: 50 }],
    ])('fetches the whole window when the history was %s', async (_, sync) => {
      const { store, fingerprint, deps } = setUp(sync);

      const result = await enrich({ ...history, maxEvents: 100 }, deps, options());

      expect(fingerprint.calls.map((call) => (call.argument as SearchQuery).start)).toEqual([NOW - 30 * DAY]);
      expect(store.visitorQueries).toEqual([]);
      expect(result.events).toHaveLength(5);
      expect(await store.getHistorySync({ visitorId: VISITOR_ID })).toEqual({
        from: NOW - 30 * DAY,
        newest: NOW - 1000,
      });
    });

    it('keeps a depth that still covers maxEvents, and lowers it when new events filled a whole answer', async () => {
      const { store, fresh, deps } = setUp({ ...synced, depth: 10 });

      await enrich({ ...history, maxEvents: 5 }, deps, options());
      expect((await store.getHistorySync({ visitorId: VISITOR_ID }))?.depth).toBe(10);

      await enrich({ ...history, maxEvents: fresh.length }, deps, options());
      expect((await store.getHistorySync({ visitorId: VISITOR_ID }))?.depth).toBe(fresh.length);
    });

    it('reads the cached events of a linkedId from the linkedId index', async () => {
      const { store, deps } = setUp(undefined);
      store.historySyncs.set(JSON.stringify([undefined, 'order-1']), synced);

      await enrich({ kind: 'search', linkedId: 'order-1', maxEvents: 20, refresh: false }, deps, options());

      expect(store.linkedIdQueries).toEqual([{ linkedId: 'order-1', limit: 20 }]);
    });
  });

  it('stores nothing when Fingerprint fails', async () => {
    const store = new FakeEventStore();
    const fingerprint = new FakeFingerprintClient();
    fingerprint.failWith = new NotFoundError('No event.');

    await expect(
      enrich(
        { kind: 'request', requestId: '1708102555327.NLOjmg', refresh: false },
        { store, fingerprint },
        options(),
      ),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(store.items.size).toBe(0);
  });
});
