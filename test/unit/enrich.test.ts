import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type EnrichDeps, enrich } from '../../functions/enrich/enrich.js';
import { HISTORY_OVERLAP_MS } from '../../functions/enrich/history-window.js';
import { type FakeFingerprint, startFakeFingerprint } from '../../local/fingerprint-emulator/index.js';
import { type DynaliteHandle, startDynalite } from '../../local/harness/dynalite.js';
import { newSealingKey, seal, v4ExampleEvent } from '../../local/harness/sealing.js';
import {
  NotFoundError,
  SealedResultError,
  SealedResultsNotConfiguredError,
  UpstreamBadResponseError,
  ValidationError,
} from '../../shared/domain/errors.js';
import { createFingerprintClient } from '../../shared/fingerprint/client.js';
import { StaticSealedKeys } from '../../shared/fingerprint/sealed-keys.js';
import { StaticKeyProvider } from '../../shared/fingerprint/secret.js';
import type { SearchQuery } from '../../shared/fingerprint/types.js';
import { createLogger } from '../../shared/observability/logger.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import * as storeParts from '../../shared/store/dynamodb-event-store-parts.js';
import type { HistorySync } from '../../shared/store/event-store.js';
import { BUILT_AT, buildEvent } from '../support/events.js';
import { FakeEventStore, FakeFingerprintClient } from '../support/fakes.js';
import { type FaultyDynamo, startFaultyDynamo } from '../support/faulty-dynamo.js';
import { parseLogLines } from '../support/log-lines.js';
import { captureOutput } from '../support/service.js';

const options = () => ({ deadline: Date.now() + 10_000 });
const VISITOR_ID = 'Ibk1527CUFmcnjLwIs4A9';
const NOW = Date.UTC(2026, 11, 4, 12);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const history = { kind: 'search', visitorId: VISITOR_ID, maxEvents: 100, refresh: false } as const;

describe('enrich use case', () => {
  it('fetches an unknown requestId from Fingerprint and stores it', async () => {
    const event = buildEvent();
    const store = new FakeEventStore({ now: () => BUILT_AT });
    const fingerprint = new FakeFingerprintClient([event]);

    const result = await enrich(
      { kind: 'request', requestId: event.requestId, refresh: false },
      { store, fingerprint },
      options(),
    );

    expect(result).toEqual({
      events: [event],
      source: 'fingerprint',
      stored: 1,
      skipped: { count: 0, reasons: {} },
      complete: true,
      suppressed: 0,
    });
    expect(store.items.get(event.requestId)).toEqual(event);
  });

  it('answers a cached requestId from the store without calling Fingerprint', async () => {
    const event = buildEvent();
    const store = new FakeEventStore({ now: () => BUILT_AT });
    store.items.set(event.requestId, event);
    const fingerprint = new FakeFingerprintClient([event]);

    const result = await enrich(
      { kind: 'request', requestId: event.requestId, refresh: false },
      { store, fingerprint },
      options(),
    );

    expect(result).toEqual({
      events: [event],
      source: 'cache',
      stored: 0,
      skipped: { count: 0, reasons: {} },
      complete: true,
      suppressed: 0,
    });
    expect(fingerprint.calls).toEqual([]);
  });

  it('bypasses the cache when refresh is asked for', async () => {
    const cached = buildEvent({ url: 'https://old.example' });
    const fresh = { ...cached, url: 'https://new.example' };
    const store = new FakeEventStore({ now: () => BUILT_AT });
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
    expect(result).toMatchObject({ events: [events[0]], source: 'fingerprint', stored: 1, suppressed: 0 });
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
    const setUp = async (sync: HistorySync | undefined) => {
      const store = new FakeEventStore({ now: () => NOW });
      for (const event of cachedHistory) store.items.set(event.requestId, event);
      store.nextPage = { events: cachedHistory };
      if (sync !== undefined) await store.putHistorySync({ visitorId: VISITOR_ID }, sync);
      const fresh = [buildEvent({ timestamp: NOW - 1000 }), buildEvent({ timestamp: NOW - 2000 })];
      const fingerprint = new FakeFingerprintClient([...fresh, ...cachedHistory]);
      return { store, fingerprint, fresh, deps: { store, fingerprint, historyDays: 30, now: () => NOW } };
    };
    const synced: HistorySync = { from: NOW - 30 * DAY - HOUR, newest: NOW - HOUR };

    it('asks only for what is newer than the newest event, less the overlap, and merges it with the cache', async () => {
      const { store, fingerprint, fresh, deps } = await setUp(synced);

      const result = await enrich({ ...history, maxEvents: 100 }, deps, options());

      expect(fingerprint.calls).toEqual([
        {
          operation: 'searchEvents',
          argument: { visitorId: VISITOR_ID, maxEvents: 100, start: NOW - HOUR - HISTORY_OVERLAP_MS },
        },
      ]);
      expect(store.visitorQueries).toEqual([{ visitorId: VISITOR_ID, limit: 100 }]);
      // The overlap fetched the newest cached event again too: 3 written.
      expect(result).toEqual({
        events: [...fresh, ...cachedHistory],
        source: 'fingerprint',
        stored: 3,
        suppressed: 0,
        skipped: { count: 0, reasons: {} },
        complete: true,
      });
      expect(await store.getHistorySync({ visitorId: VISITOR_ID })).toEqual({
        from: synced.from,
        newest: NOW - 1000,
      });
    });

    it('answers at most maxEvents, newest first, and leaves out cached events older than the window', async () => {
      const { store, fresh, deps } = await setUp(synced);
      const old = buildEvent({ timestamp: NOW - 31 * DAY });
      store.nextPage = { events: [...cachedHistory, old] };

      const all = await enrich({ ...history, maxEvents: 100 }, deps, options());
      const some = await enrich({ ...history, maxEvents: 3 }, deps, options());

      expect(all.events).toEqual([...fresh, ...cachedHistory]);
      expect(some.events).toEqual([...fresh, cachedHistory[0]]);
    });

    it('fetches the whole window again with refresh: true', async () => {
      const { fingerprint, deps } = await setUp(synced);

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
      const { store, fingerprint, deps } = await setUp(sync);

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
      const { store, fresh, deps } = await setUp({ ...synced, depth: 10 });

      await enrich({ ...history, maxEvents: 5 }, deps, options());
      expect((await store.getHistorySync({ visitorId: VISITOR_ID }))?.depth).toBe(10);

      await enrich({ ...history, maxEvents: fresh.length }, deps, options());
      expect((await store.getHistorySync({ visitorId: VISITOR_ID }))?.depth).toBe(fresh.length);
    });

    it('reads the cached events of a linkedId from the linkedId index', async () => {
      const { store, deps } = await setUp(undefined);
      await store.putHistorySync({ linkedId: 'order-1' }, synced);

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

/**
 * The use case with its real ports on loopback: the Fingerprint client against the fake Server API, the
 * DynamoDB store against dynalite behind a fault-injecting proxy.
 */
describe('enrich use case: partial histories (Server API v4 and DynamoDB on loopback)', () => {
  // The fake upstream lives as long as the suite: each test gets a visitor of its own.
  let visitors = 0;
  let VISITOR_ID = '';
  let dynamo: DynaliteHandle;
  let faulty: FaultyDynamo;
  let upstream: FakeFingerprint;
  let dynamoClient: DynamoDBClient;
  let deps: EnrichDeps & { store: DynamoDbEventStore };
  let output: ReturnType<typeof captureOutput>;

  beforeAll(async () => {
    dynamo = await startDynalite();
    faulty = await startFaultyDynamo(dynamo.endpoint);
    upstream = await startFakeFingerprint();
    dynamoClient = new DynamoDBClient({
      endpoint: faulty.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    dynamoClient.destroy();
    await upstream.close();
    await faulty.close();
    await dynamo.close();
  });
  beforeEach(async () => {
    visitors += 1;
    VISITOR_ID = `PartialVisitor${String(visitors).padStart(6, '0')}`;
    faulty.setInjector(undefined);
    faulty.writes.clear();
    upstream.setFaultInjector(undefined);
    upstream.requests.length = 0;
    deps = {
      store: new DynamoDbEventStore({
        parts: storeParts,
        client: dynamoClient,
        tableName: await dynamo.createTable(),
        ttlDays: 90,
        sleep: async () => {},
      }),
      fingerprint: createFingerprintClient({
        apiVersion: 'v4',
        baseUrl: upstream.baseUrl,
        keys: new StaticKeyProvider(upstream.apiKey),
        maxRps: Number.POSITIVE_INFINITY,
        sleep: async () => {},
      }),
      logger: createLogger('INFO'),
    };
    output = captureOutput();
  });
  afterEach(() => {
    output.stop();
  });

  const history = (maxEvents = 500) =>
    enrich({ kind: 'search', visitorId: VISITOR_ID, maxEvents, refresh: false }, deps, {
      deadline: Date.now() + 20_000,
    });
  const storedIds = async () =>
    (await deps.store.listByVisitor({ visitorId: VISITOR_ID, limit: 1000 })).events.map((e) => e.requestId);
  const warnings = () => parseLogLines(output.text()).lines.filter((line) => line.level === 'WARN');

  it('reports a whole history as complete, with nothing skipped', async () => {
    const seeds = upstream.seedMany(30, { visitorId: VISITOR_ID });

    const result = await history();

    expect(result).toMatchObject({ stored: 30, skipped: { count: 0, reasons: {} }, complete: true });
    expect(await storedIds()).toEqual(seeds.map((seed) => seed.requestId));
    expect(warnings()).toEqual([]);
  });

  it('skips and counts the events that cannot be normalized, stores the others, and logs the fields at WARN', async () => {
    const seeds = upstream.seedMany(10, { visitorId: VISITOR_ID });
    upstream.failNext({
      kind: 'edit',
      edit: (page) => {
        const events = page.events as Array<Record<string, unknown>>;
        (events[2] as Record<string, unknown>).timestamp = 'yesterday';
        (events[5] as Record<string, unknown>).identification = { visitor_id: '' };
        (events[7] as Record<string, unknown>).timestamp = -1;
        return page;
      },
    });

    const result = await history();

    const kept = seeds.filter((_, index) => ![2, 5, 7].includes(index)).map((seed) => seed.requestId);
    expect(result.events.map((event) => event.requestId)).toEqual(kept);
    expect(result).toMatchObject({
      stored: 7,
      skipped: { count: 3, reasons: { timestamp: 2, 'identification.visitor_id': 1 } },
      complete: false,
    });
    expect(await storedIds()).toEqual(kept);
    const [warning] = warnings();
    expect(warning).toMatchObject({
      message: 'Events skipped',
      skipped: { count: 3, reasons: { timestamp: 2, 'identification.visitor_id': 1 } },
    });
    expect(warning?.samples).toEqual([
      { reason: 'timestamp', detail: expect.stringContaining('timestamp'), eventId: seeds[2]?.requestId },
      {
        reason: 'identification.visitor_id',
        detail: expect.stringContaining('identification.visitor_id'),
        eventId: seeds[5]?.requestId,
      },
      { reason: 'timestamp', detail: expect.stringContaining('timestamp'), eventId: seeds[7]?.requestId },
    ]);
  });

  it('skips the events DynamoDB refuses and stores all the others, whatever batch they share', async () => {
    const seeds = upstream.seedMany(60, { visitorId: VISITOR_ID });
    const refused = new Set([seeds[3]?.requestId, seeds[40]?.requestId]);
    faulty.setInjector((call) =>
      call.operation === 'BatchWriteItem' && call.requestIds.some((id) => refused.has(id))
        ? { kind: 'refuse' }
        : undefined,
    );

    const result = await history();

    const kept = seeds.map((seed) => seed.requestId).filter((id) => !refused.has(id));
    expect(result).toMatchObject({
      stored: 58,
      skipped: { count: 2, reasons: { unstorable: 2 } },
      complete: false,
    });
    expect(result.events.map((event) => event.requestId)).toEqual(kept);
    expect(await storedIds()).toEqual(kept);
    // Events only: the history's sync record is written too, by design.
    const eventWrites = [...faulty.writes.keys()].filter((key) => !key.startsWith('history#'));
    expect(eventWrites.sort()).toEqual([...kept].sort());
    expect(warnings()[0]?.samples).toEqual([
      { reason: 'unstorable', detail: expect.stringContaining('invalid'), eventId: seeds[3]?.requestId },
      { reason: 'unstorable', detail: expect.stringContaining('invalid'), eventId: seeds[40]?.requestId },
    ]);
  });

  it('ends paging at a repeated pagination key, storing what was fetched, as an incomplete history', async () => {
    const seeds = upstream.seedMany(250, { visitorId: VISITOR_ID });
    let firstKey: unknown;
    upstream.setFaultInjector(() => ({
      kind: 'edit',
      edit: (page) => {
        firstKey ??= page.pagination_key;
        return { ...page, pagination_key: firstKey };
      },
    }));

    const result = await history();

    expect(result).toMatchObject({ stored: 200, skipped: { count: 0 }, complete: false });
    expect(await storedIds()).toEqual(seeds.slice(0, 200).map((seed) => seed.requestId));
    expect(upstream.requests).toHaveLength(2);
    expect(warnings()).toEqual([
      expect.objectContaining({ message: 'History paging stopped early', truncation: 'repeatedPageKey' }),
    ]);
  });

  it('reports a history cut by maxEvents while Fingerprint has more as incomplete, without a warning', async () => {
    upstream.seedMany(30, { visitorId: VISITOR_ID });

    const result = await history(20);

    expect(result).toMatchObject({ stored: 20, skipped: { count: 0 }, complete: false });
    expect(warnings()).toEqual([]);
  });

  it('refuses an answer for another id: 502 naming both ids, nothing stored', async () => {
    const [asked, other] = upstream.seedMany(2, { visitorId: VISITOR_ID });
    if (asked === undefined || other === undefined) throw new Error('seedMany returned too few');
    upstream.failNext({ kind: 'edit', edit: (event) => ({ ...event, event_id: other.requestId }) });

    const error = await enrich({ kind: 'request', requestId: asked.requestId, refresh: false }, deps, {
      deadline: Date.now() + 10_000,
    }).catch((failure: unknown) => failure);

    expect(error).toBeInstanceOf(UpstreamBadResponseError);
    expect((error as Error).message).toContain(asked.requestId);
    expect((error as Error).message).toContain(other.requestId);
    expect(await storedIds()).toEqual([]);
    expect(faulty.writes.size).toBe(0);
  });

  it('answers an event of a requestId that DynamoDB refuses as a bad upstream answer, not as bad input', async () => {
    const [seed] = upstream.seedMany(1, { visitorId: VISITOR_ID });
    if (seed === undefined) throw new Error('no seed');
    faulty.setInjector((call) => (call.operation === 'BatchWriteItem' ? { kind: 'refuse' } : undefined));

    const error = await enrich({ kind: 'request', requestId: seed.requestId, refresh: false }, deps, {
      deadline: Date.now() + 10_000,
    }).catch((failure: unknown) => failure);

    expect(error).toBeInstanceOf(UpstreamBadResponseError);
    expect((error as Error).message).toContain(seed.requestId);
    expect(await storedIds()).toEqual([]);
  });
});

describe('enrich use case: a sealed result', () => {
  const ids = { requestId: '1764849600000.SeAl3d', visitorId: 'SealedVisitor00000001' };
  const sealedInput = (key: Buffer, payload: unknown = v4ExampleEvent(ids)) =>
    ({ kind: 'sealed', sealed: seal(JSON.stringify(payload), key) }) as const;

  it('refuses it when no key is configured, calling no one and storing nothing', async () => {
    const store = new FakeEventStore();
    const fingerprint = new FakeFingerprintClient();

    const error = await enrich(sealedInput(newSealingKey()), { store, fingerprint }, options()).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(SealedResultsNotConfiguredError);
    expect((error as Error).message).toContain('FINGERPRINT_SEALED_KEYS_SECRET_ID');
    expect(store.items.size).toBe(0);
    expect(fingerprint.calls).toEqual([]);
  });

  it('stores it over a cached copy of the same event, and answers it as sealed', async () => {
    const key = newSealingKey();
    const store = new FakeEventStore();
    const fingerprint = new FakeFingerprintClient();
    const cached = buildEvent({ ...ids, url: 'https://cached.example/', source: 'v4' });
    store.items.set(cached.requestId, cached);

    const result = await enrich(
      sealedInput(key),
      { store, fingerprint, sealedKeys: new StaticSealedKeys(key.toString('base64')) },
      options(),
    );

    expect(result).toMatchObject({ source: 'sealed', stored: 1, suppressed: 0, complete: true });
    expect(store.items.get(ids.requestId)).toEqual(result.events[0]);
    expect(result.events[0]).toMatchObject({ ...ids, source: 'sealed' });
    expect(fingerprint.calls).toEqual([]);
  });

  it("answers the store's refusal of the event as the caller's bad input, not as Fingerprint's", async () => {
    const key = newSealingKey();
    const store = new FakeEventStore();
    store.failWith = new ValidationError('tag', 'the item is too large');

    const error = await enrich(
      sealedInput(key),
      {
        store,
        fingerprint: new FakeFingerprintClient(),
        sealedKeys: new StaticSealedKeys(key.toString('base64')),
      },
      options(),
    ).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(SealedResultError);
    expect(error).toMatchObject({ code: 'SealedResultNotAnEvent', field: 'sealedResult' });
  });
});
