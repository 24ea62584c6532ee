import {
  ConditionalCheckFailedException,
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

/**
 * The webhook store's rare paths, which dynalite cannot produce on demand: an item erased between the failed
 * conditional put and the read of its identity, and DynamoDB throttling. The common paths (stored, duplicate,
 * conflict, races) run against dynalite in test/integration/webhook-http.test.ts.
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

afterEach(() => ddb.reset());
afterAll(() => ddb.restore());

describe('DynamoDbWebhookEventStore.putEventIfAbsent', () => {
  it('writes one conditional PutItem: only if no item has the requestId', async () => {
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
  });

  it('reads the stored identity strongly consistently when the condition fails', async () => {
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
    ddb.on(PutItemCommand).rejectsOnce(conditionFailed()).resolves({});
    ddb.on(GetItemCommand).resolves({});

    await expect(store.putEventIfAbsent(event)).resolves.toEqual({ outcome: 'stored' });
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(2);
  });

  it('gives up with a retryable error when the item keeps appearing and vanishing', async () => {
    ddb.on(PutItemCommand).rejects(conditionFailed());
    ddb.on(GetItemCommand).resolves({});

    await expect(store.putEventIfAbsent(event)).rejects.toBeInstanceOf(StoreThrottledError);
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(3);
  });

  it('turns throttling into StoreThrottledError, and writes nothing for a malformed or expired event', async () => {
    ddb.on(PutItemCommand).rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));
    await expect(store.putEventIfAbsent(event)).rejects.toBeInstanceOf(StoreThrottledError);

    ddb.reset();
    await expect(store.putEventIfAbsent({ ...event, visitorId: 'not/an/id' })).rejects.toBeInstanceOf(
      ValidationError,
    );
    const old = NOW - 91 * 86_400_000;
    await expect(
      store.putEventIfAbsent({ ...event, requestId: `${old}.Wh0002`, timestamp: old }),
    ).resolves.toEqual({ outcome: 'expired' });
    expect(ddb.calls()).toHaveLength(0);
  });
});
