import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { StoreThrottledError, ValidationError } from '../../shared/domain/errors.js';
import { type NormalizedEvent, SCHEMA_VERSION } from '../../shared/domain/event.js';
import { DynamoDbWebhookEventStore } from '../../shared/store/dynamodb-webhook-event-store.js';
import { ERASED_AT_ATTRIBUTE, erasureKey } from '../../shared/store/schema.js';

/**
 * The webhook store's rare paths, which dynalite cannot produce on demand: an item erased between the failed
 * conditional put and the read of its identity, an erasure recorded while the put runs (ADR 7), and DynamoDB
 * throttling. The common paths (stored, duplicate, conflict, races) run against dynalite in
 * test/integration/webhook-http.test.ts.
 */

const NOW = Date.UTC(2024, 1, 16, 12, 0, 0);
const ddb = mockClient(DynamoDBClient);
const store = new DynamoDbWebhookEventStore({
  client: new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  }),
  tableName: 'events-unit',
  ttlDays: 90,
  now: () => NOW,
});

const event: NormalizedEvent = {
  requestId: `${NOW - 1000}.Wh0001`,
  visitorId: 'Ibk1527CUFmcnjLwIs4A',
  timestamp: NOW - 1000,
  time: new Date(NOW - 1000).toISOString(),
  browser: {
    name: 'Firefox',
    majorVersion: '122',
    fullVersion: '122.0',
    os: 'Windows',
    osVersion: '10',
    device: 'Other',
    userAgent: 'Mozilla/5.0',
  },
  source: 'webhook',
  schemaVersion: SCHEMA_VERSION,
};
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** A BatchGetItem answer: the visitor's erasure record when `erasedAt` is given, no record otherwise. */
const erasures = (erasedAt?: number) => ({
  Responses: {
    'events-unit':
      erasedAt === undefined
        ? []
        : [
            {
              requestId: { S: erasureKey(event.visitorId) },
              [ERASED_AT_ATTRIBUTE]: { N: String(erasedAt) },
            },
          ],
  },
});

afterEach(() => ddb.reset());
afterAll(() => ddb.restore());

describe('DynamoDbWebhookEventStore options', () => {
  // The event store's own reading of them (`storeSettingsOf`): both stores on the table refuse the same.
  it.each([
    ['ttlDays', { ttlDays: 0 }],
    ['maxWriteAttempts', { maxWriteAttempts: 0.5 }],
    ['historyWindowDays', { historyWindowDays: -1 }],
  ] as const)('refuses %s out of range, naming it', (name, bad) => {
    expect(
      () =>
        new DynamoDbWebhookEventStore({
          client: new DynamoDBClient({}),
          tableName: 't',
          ttlDays: 90,
          ...bad,
        }),
    ).toThrow(new RegExp(`^${name} must be`));
  });
});

describe('DynamoDbWebhookEventStore.putEventIfAbsent', () => {
  it('writes one conditional PutItem: only if no item has the requestId', async () => {
    ddb.on(BatchGetItemCommand).resolves(erasures());
    ddb.on(PutItemCommand).resolves({});

    await expect(store.putEventIfAbsent(event)).resolves.toEqual({ outcome: 'stored' });

    const [put] = ddb.commandCalls(PutItemCommand);
    expect(put?.args[0].input).toMatchObject({
      TableName: 'events-unit',
      ConditionExpression: 'attribute_not_exists(#key)',
      ExpressionAttributeNames: { '#key': 'requestId' },
      Item: { requestId: { S: event.requestId }, visitorId: { S: event.visitorId } },
    });
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(0);
    // The visitor's erasure record, read strongly consistently before the put and again after it.
    const reads = ddb.commandCalls(BatchGetItemCommand);
    expect(reads).toHaveLength(2);
    for (const read of reads) {
      expect(read.args[0].input.RequestItems?.['events-unit']).toMatchObject({
        Keys: [{ requestId: { S: erasureKey(event.visitorId) } }],
        ConsistentRead: true,
      });
    }
    expect(ddb.calls().map((call) => call.args[0].constructor.name)).toEqual([
      'BatchGetItemCommand',
      'PutItemCommand',
      'BatchGetItemCommand',
    ]);
  });

  it('writes nothing for a visitor erased before the put, and answers suppressed', async () => {
    ddb.on(BatchGetItemCommand).resolves(erasures(event.timestamp + 60_000));

    await expect(store.putEventIfAbsent(event)).resolves.toEqual({ outcome: 'suppressed' });
    expect(ddb.commandCalls(BatchGetItemCommand)).toHaveLength(1);
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });

  it('stores an event that happened after the visitor was erased', async () => {
    ddb.on(BatchGetItemCommand).resolves(erasures(event.timestamp - 1));
    ddb.on(PutItemCommand).resolves({});

    await expect(store.putEventIfAbsent(event)).resolves.toEqual({ outcome: 'stored' });
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(1);
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });

  it('deletes the event it stored when the erasure was recorded while the put ran, and answers suppressed', async () => {
    ddb
      .on(BatchGetItemCommand)
      .resolvesOnce(erasures())
      .resolves(erasures(event.timestamp + 60_000));
    ddb.on(PutItemCommand).resolves({});
    ddb.on(DeleteItemCommand).resolves({});

    await expect(store.putEventIfAbsent(event)).resolves.toEqual({ outcome: 'suppressed' });
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(1);
    const deletes = ddb.commandCalls(DeleteItemCommand);
    expect(deletes).toHaveLength(1);
    expect(deletes[0]?.args[0].input).toEqual({
      TableName: 'events-unit',
      Key: { requestId: { S: event.requestId } },
    });
    expect(ddb.calls().map((call) => call.args[0].constructor.name)).toEqual([
      'BatchGetItemCommand',
      'PutItemCommand',
      'BatchGetItemCommand',
      'DeleteItemCommand',
    ]);
  });

  it('reads the stored identity strongly consistently when the condition fails', async () => {
    ddb.on(BatchGetItemCommand).resolves(erasures());
    ddb.on(PutItemCommand).rejects(conditionFailed());
    ddb
      .on(GetItemCommand)
      .resolves({ Item: marshall({ visitorId: 'Other1527CUFmcnjLwIs4', timestamp: event.timestamp }) });

    await expect(store.putEventIfAbsent(event)).resolves.toEqual({
      outcome: 'conflict',
      fields: ['visitorId'],
    });
    expect(ddb.commandCalls(GetItemCommand)[0]?.args[0].input).toMatchObject({
      ConsistentRead: true,
      Key: { requestId: { S: event.requestId } },
    });
  });

  it('tries the put again when the stored item was erased in between, and stores', async () => {
    ddb.on(BatchGetItemCommand).resolves(erasures());
    ddb.on(PutItemCommand).rejectsOnce(conditionFailed()).resolves({});
    ddb.on(GetItemCommand).resolves({});

    await expect(store.putEventIfAbsent(event)).resolves.toEqual({ outcome: 'stored' });
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(2);
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });

  it('gives up with a retryable error when the item keeps appearing and vanishing', async () => {
    ddb.on(BatchGetItemCommand).resolves(erasures());
    ddb.on(PutItemCommand).rejects(conditionFailed());
    ddb.on(GetItemCommand).resolves({});

    await expect(store.putEventIfAbsent(event)).rejects.toBeInstanceOf(StoreThrottledError);
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(3);
  });

  it('turns throttling into StoreThrottledError, and writes nothing for a malformed or expired event', async () => {
    const throttled = () => new ThrottlingException({ message: 'slow down', $metadata: {} });
    ddb.on(BatchGetItemCommand).resolves(erasures());
    ddb.on(PutItemCommand).rejects(throttled());
    await expect(store.putEventIfAbsent(event)).rejects.toBeInstanceOf(StoreThrottledError);

    // Not knowing whether the visitor is erased is no answer: nothing is written on a guess.
    ddb.reset();
    ddb.on(BatchGetItemCommand).rejects(throttled());
    await expect(store.putEventIfAbsent(event)).rejects.toBeInstanceOf(StoreThrottledError);
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);

    ddb.reset();
    await expect(store.putEventIfAbsent({ ...event, visitorId: 'visitor\u0000id' })).rejects.toBeInstanceOf(
      ValidationError,
    );
    const old = NOW - 91 * 86_400_000;
    await expect(
      store.putEventIfAbsent({ ...event, requestId: `${old}.Wh0002`, timestamp: old }),
    ).resolves.toEqual({ outcome: 'expired' });
    expect(ddb.calls()).toHaveLength(0);
  });
});
