import {
  BatchGetItemCommand,
  type BatchGetItemCommandInput,
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  QueryCommand,
  RequestLimitExceeded,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StoreThrottledError, ValidationError } from '../../shared/domain/errors.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { SCHEMA_VERSION } from '../../shared/domain/event.js';
import type { DynamoDbEventStoreOptions } from '../../shared/store/dynamodb-event-store.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import * as storeParts from '../../shared/store/dynamodb-event-store-parts.js';
import { UPSTREAM_ATTRIBUTE, UPSTREAM_FORMAT_ATTRIBUTE } from '../../shared/store/schema.js';
import { encodeUpstreamV4, UPSTREAM_FORMAT_V4_BROTLI } from '../../shared/store/upstream-codec.js';

const NOW = Date.UTC(2024, 1, 16, 12, 0, 0);
const TABLE = 'events-unit';

const ddb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

/** An item as DynamoDB holds it. */
const asItem = (value: Record<string, unknown>) => marshall(value, { removeUndefinedValues: true });

beforeEach(() => {
  // No visitor is erased: every write's erasure checks (ADR 7) find no record.
  ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
});

afterEach(() => {
  ddb.reset();
});

afterAll(() => {
  ddb.restore();
});

let sequence = 0;

function buildEvent(overrides: Partial<NormalizedEvent> = {}): NormalizedEvent {
  sequence += 1;
  const timestamp = overrides.timestamp ?? NOW - sequence * 1000;
  return {
    requestId: `${timestamp}.Un${sequence.toString(36).padStart(4, '0')}`,
    visitorId: 'Ibk1527CUFmcnjLwIs4A',
    timestamp,
    time: new Date(timestamp).toISOString(),
    browser: {
      name: 'Firefox',
      majorVersion: '122',
      fullVersion: '122.0',
      os: 'Windows',
      osVersion: '10',
      device: 'Other',
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:122.0) Gecko/20100101 Firefox/122.0',
    },
    source: 'v4',
    schemaVersion: SCHEMA_VERSION,
    ...overrides,
  };
}

function buildStore(overrides: Partial<DynamoDbEventStoreOptions> = {}) {
  const sleep = vi.fn(async (_ms: number) => {});
  const store = new DynamoDbEventStore({
    parts: storeParts,
    client,
    tableName: TABLE,
    ttlDays: 90,
    now: () => NOW,
    maxWriteAttempts: 4,
    sleep,
    ...overrides,
  });
  return { store, sleep };
}

type WriteRequests = NonNullable<BatchWriteItemCommandInput['RequestItems']>[string];

/** The write requests DynamoDB would hand back unprocessed: puts of these events' items. */
function unprocessed(events: readonly NormalizedEvent[]): {
  UnprocessedItems: Record<string, WriteRequests>;
} {
  return {
    UnprocessedItems: {
      [TABLE]: events.map((event) => ({ PutRequest: { Item: asItem({ ...event, expiresAt: 0 }) } })),
    },
  };
}

function writtenRequestIds(call: number): unknown[] {
  const input = ddb.commandCalls(BatchWriteItemCommand)[call]?.args[0].input;
  return (input?.RequestItems?.[TABLE] ?? []).map((request) => request.PutRequest?.Item?.requestId?.S);
}

const metadata = { $metadata: {} };

describe('DynamoDbEventStore writes', () => {
  it('refuses an event holding a value DynamoDB has no type for, naming it, before writing anything', async () => {
    ddb.on(BatchWriteItemCommand).resolves({});
    const { store } = buildStore();
    const bad = buildEvent({ tag: { score: Number.POSITIVE_INFINITY } });

    const error = await store.putEvents([buildEvent(), bad]).catch((failure: unknown) => failure);

    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'event' });
    expect((error as Error).message).toContain(bad.requestId);
    expect(ddb.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });

  it('splits a call into batches of 25', async () => {
    ddb.on(BatchWriteItemCommand).resolves({});
    const { store } = buildStore();

    await expect(store.putEvents(Array.from({ length: 60 }, () => buildEvent()))).resolves.toBe(60);

    expect(ddb.commandCalls(BatchWriteItemCommand).map((_, i) => writtenRequestIds(i).length)).toEqual([
      25, 25, 10,
    ]);
  });

  it('retries UnprocessedItems, with backoff, until every item is written', async () => {
    const events = Array.from({ length: 3 }, () => buildEvent());
    const [first, second, third] = events;
    ddb
      .on(BatchWriteItemCommand)
      .resolvesOnce(unprocessed(events.slice(1)))
      .resolvesOnce(unprocessed(events.slice(2)))
      .resolves({});
    const { store, sleep } = buildStore();

    await expect(store.putEvents(events)).resolves.toBe(3);

    expect(writtenRequestIds(0)).toEqual([first?.requestId, second?.requestId, third?.requestId]);
    expect(writtenRequestIds(1)).toEqual([second?.requestId, third?.requestId]);
    expect(writtenRequestIds(2)).toEqual([third?.requestId]);
    expect(sleep).toHaveBeenCalledTimes(2);
    for (const [ms] of sleep.mock.calls) {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThanOrEqual(2_000);
    }
  });

  it.each([
    [
      'ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({ message: 'slow down', ...metadata }),
    ],
    ['ThrottlingException', new ThrottlingException({ message: 'slow down', ...metadata })],
    ['RequestLimitExceeded', new RequestLimitExceeded({ message: 'slow down', ...metadata })],
  ])('retries the batch after %s', async (_, error) => {
    ddb.on(BatchWriteItemCommand).rejectsOnce(error).resolves({});
    const { store, sleep } = buildStore();

    await expect(store.putEvents([buildEvent(), buildEvent()])).resolves.toBe(2);

    expect(ddb.commandCalls(BatchWriteItemCommand)).toHaveLength(2);
    expect(writtenRequestIds(1)).toHaveLength(2);
    expect(sleep).toHaveBeenCalledTimes(1);
  });

  it('throws StoreThrottledError counting every event not written when unprocessed items persist', async () => {
    const events = Array.from({ length: 30 }, () => buildEvent());
    ddb.on(BatchWriteItemCommand).resolves(unprocessed(events.slice(0, 3)));
    const { store } = buildStore({ maxWriteAttempts: 4 });

    const error = await store.putEvents(events).catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(StoreThrottledError);
    // 3 of the first batch never got through, and the second batch of 5 was not attempted.
    expect((error as StoreThrottledError).message).toContain('8 of 30 events were not written');
    expect((error as StoreThrottledError).retryable).toBe(true);
    expect(ddb.commandCalls(BatchWriteItemCommand)).toHaveLength(4);
  });

  it('throws StoreThrottledError with the throttling error as cause when throttling persists', async () => {
    const throttled = new ThrottlingException({ message: 'Rate exceeded', ...metadata });
    ddb.on(BatchWriteItemCommand).rejects(throttled);
    const { store } = buildStore({ maxWriteAttempts: 3 });

    const error = await store.putEvents([buildEvent(), buildEvent()]).catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(StoreThrottledError);
    expect((error as StoreThrottledError).message).toContain('2 of 2 events were not written');
    expect((error as StoreThrottledError).cause).toBe(throttled);
    expect(ddb.commandCalls(BatchWriteItemCommand)).toHaveLength(3);
  });

  it('does not retry an error that retrying cannot fix', async () => {
    const missing = new ResourceNotFoundException({ message: 'Requested resource not found', ...metadata });
    ddb.on(BatchWriteItemCommand).rejects(missing);
    const { store, sleep } = buildStore();

    await expect(store.putEvents([buildEvent()])).rejects.toBe(missing);

    expect(ddb.commandCalls(BatchWriteItemCommand)).toHaveLength(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it('makes no call for events that are all past their TTL', async () => {
    const { store } = buildStore();

    await expect(store.putEvents([buildEvent({ timestamp: NOW - 91 * 86_400_000 })])).resolves.toBe(0);

    expect(ddb.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });
});

describe('DynamoDbEventStore reads', () => {
  it('turns throttling that outlasted the SDK retries into StoreThrottledError', async () => {
    const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', ...metadata });
    ddb.on(GetItemCommand).rejects(throttled);
    ddb.on(QueryCommand).rejects(throttled);
    const { store } = buildStore();

    await expect(store.getEvent('1708102555327.AbC123')).rejects.toBeInstanceOf(StoreThrottledError);
    await expect(store.listByLinkedId({ linkedId: 'order-1', limit: 5 })).rejects.toBeInstanceOf(
      StoreThrottledError,
    );
  });

  it('retries the unprocessed keys of a batch read, and reports throttling when they persist', async () => {
    const copy = { event_id: '1708102555327.AbC123', identification: { visitor_id: 'Ibk1527CUFmcnjLwIs4A' } };
    const key = { requestId: { S: copy.event_id } };
    const bytes = encodeUpstreamV4(copy);
    if (bytes === undefined) throw new Error('the copy did not encode');
    ddb
      .on(BatchGetItemCommand)
      .resolvesOnce({ UnprocessedKeys: { [TABLE]: { Keys: [key] } } })
      .resolves({
        Responses: {
          [TABLE]: [
            {
              ...key,
              [UPSTREAM_ATTRIBUTE]: { B: bytes },
              [UPSTREAM_FORMAT_ATTRIBUTE]: { S: UPSTREAM_FORMAT_V4_BROTLI },
              // A live event's copy: an expired one is not answered.
              expiresAt: { N: String(NOW / 1000 + 86_400) },
            },
          ],
        },
      });
    const { store, sleep } = buildStore();

    await expect(store.getUpstreamEvents([copy.event_id])).resolves.toEqual(new Map([[copy.event_id, copy]]));
    expect(ddb.commandCalls(BatchGetItemCommand)).toHaveLength(2);
    expect(ddb.commandCalls(BatchGetItemCommand)[1]?.args[0].input.RequestItems?.[TABLE]?.Keys).toEqual([
      key,
    ]);
    expect(sleep).toHaveBeenCalledTimes(1);

    // An erasure check that never gets its answer is no answer: nothing is written on a guess.
    ddb.reset();
    ddb.on(BatchGetItemCommand).callsFake((input: BatchGetItemCommandInput) => ({
      UnprocessedKeys: { [TABLE]: { Keys: input.RequestItems?.[TABLE]?.Keys ?? [] } },
    }));
    const write = store.putEvents([buildEvent()]);
    await expect(write).rejects.toBeInstanceOf(StoreThrottledError);
    expect(ddb.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });

  it('reads exactly limit items and one more across responses cut short, and starts the next page after the last read', async () => {
    const events = Array.from({ length: 3 }, () => buildEvent({ linkedId: 'order-1' }));
    const items = events.map((event) => asItem({ ...event, expiresAt: NOW / 1000 + 86_400 }));
    const lastKey = (index: number) =>
      asItem({
        requestId: events[index]?.requestId,
        linkedId: 'order-1',
        timestamp: events[index]?.timestamp,
      });
    // DynamoDB stops a response at 1 MB, whatever the Limit: the store must ask again for the rest only.
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: items.slice(0, 1), LastEvaluatedKey: lastKey(0) })
      .resolvesOnce({ Items: items.slice(1, 2), LastEvaluatedKey: lastKey(1) })
      .resolvesOnce({ Items: items.slice(2), LastEvaluatedKey: lastKey(2) });
    const { store } = buildStore();

    const page = await store.listByLinkedId({ linkedId: 'order-1', limit: 2 });

    expect(page.events).toStrictEqual(events.slice(0, 2));
    expect(page.next?.lastRequestId).toBe(events[1]?.requestId);
    const calls = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => input.Limit)).toEqual([3, 2, 1]);
    expect(calls[1]?.ExclusiveStartKey).toStrictEqual(lastKey(0));
    expect(calls[2]?.ExclusiveStartKey).toStrictEqual(lastKey(1));
    // No FilterExpression: one would hide which item was the last read, where the next page must start.
    expect(calls.every((input) => input.FilterExpression === undefined)).toBe(true);
  });
});

describe('DynamoDbEventStore parts beyond a single-item read', () => {
  it('loads them on the first call that needs them, never for a read of one item, and builds them once', async () => {
    const build = vi.fn(storeParts.buildStoreParts);
    const load = vi.fn(async () => ({ buildStoreParts: build }));
    const { store } = buildStore({ parts: load });
    const event = buildEvent();
    ddb.on(GetItemCommand).resolves({});

    // A cached read, the enrich functions' most common first call: one GetItem and nothing else loaded.
    await expect(store.getEvent(event.requestId)).resolves.toBeUndefined();
    expect(load).not.toHaveBeenCalled();

    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(BatchWriteItemCommand).resolves({});
    const [page, stored] = await Promise.all([
      store.listByVisitor({ visitorId: event.visitorId, limit: 10 }),
      store.putEvents([event]),
    ]);
    expect(page.events).toEqual([]);
    expect(stored).toBe(1);
    expect(load).toHaveBeenCalled();
    // Two calls racing for the parts share one set of them.
    expect(build).toHaveBeenCalledTimes(1);
  });
});
