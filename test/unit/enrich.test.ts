import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type EnrichDeps, enrich } from '../../functions/enrich/enrich.js';
import { NotFoundError, UpstreamBadResponseError } from '../../shared/domain/errors.js';
import { createFingerprintClient } from '../../shared/fingerprint/client.js';
import { StaticKeyProvider } from '../../shared/fingerprint/secret.js';
import { createLogger } from '../../shared/observability/logger.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import { type DynaliteHandle, startDynalite } from '../support/dynalite.js';
import { buildEvent } from '../support/events.js';
import { type FakeFingerprint, startFakeFingerprint } from '../support/fake-fingerprint.js';
import { FakeEventStore, FakeFingerprintClient } from '../support/fakes.js';
import { type FaultyDynamo, startFaultyDynamo } from '../support/faulty-dynamo.js';
import { parseLogLines } from '../support/log-lines.js';
import { captureOutput } from '../support/service.js';

const options = () => ({ deadline: Date.now() + 10_000 });

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
    const store = new FakeEventStore();
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

  it('stores a visitor history fetched with both filters and maxEvents', async () => {
    const events = [
      buildEvent({ linkedId: 'order-1', timestamp: 3 }),
      buildEvent({ linkedId: 'order-2', timestamp: 2 }),
      buildEvent({ linkedId: 'order-1', timestamp: 1 }),
    ];
    const store = new FakeEventStore();
    const fingerprint = new FakeFingerprintClient(events);

    const result = await enrich(
      { kind: 'search', visitorId: 'Ibk1527CUFmcnjLwIs4A9', linkedId: 'order-1', maxEvents: 1 },
      { store, fingerprint },
      options(),
    );

    expect(fingerprint.calls).toEqual([
      {
        operation: 'searchEvents',
        argument: { visitorId: 'Ibk1527CUFmcnjLwIs4A9', linkedId: 'order-1', maxEvents: 1 },
      },
    ]);
    expect(result).toMatchObject({ events: [events[0]], source: 'fingerprint', stored: 1, suppressed: 0 });
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
    enrich({ kind: 'search', visitorId: VISITOR_ID, maxEvents }, deps, { deadline: Date.now() + 20_000 });
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
    expect([...faulty.writes.keys()].sort()).toEqual([...kept].sort());
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
