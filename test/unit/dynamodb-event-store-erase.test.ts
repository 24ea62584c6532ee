import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { StoreThrottledError, ValidationError } from '../../shared/domain/errors.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import * as storeParts from '../../shared/store/dynamodb-event-store-parts.js';

const TABLE = 'events-erase-unit';
const VISITOR_ID = 'Era1527CUFmcnjLwIs4A9';

const ddb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

afterEach(() => {
  ddb.reset();
});

afterAll(() => {
  ddb.restore();
});

function buildStore() {
  const sleep = vi.fn(async (_ms: number) => {});
  const store = new DynamoDbEventStore({
    parts: storeParts,
    client,
    tableName: TABLE,
    ttlDays: 90,
    maxWriteAttempts: 3,
    sleep,
  });
  return { store, sleep };
}

const requestIds = (from: number, count: number) =>
  Array.from({ length: count }, (_, index) => `1708102555327.k${String(from + index).padStart(5, '0')}`);

/** The items a keys-only Query of the index answers, as DynamoDB sends them. */
const keys = (from: number, count: number) =>
  requestIds(from, count).map((requestId) => marshall({ requestId }));

/** The requestIds a BatchWriteItem call asked to delete. */
function deletedBy(input: BatchWriteItemCommandInput): string[] {
  return (input.RequestItems?.[TABLE] ?? []).map((request) =>
    String(request.DeleteRequest?.Key?.requestId?.S),
  );
}

describe('DynamoDbEventStore.deleteVisitor', () => {
  it("reads the visitor's keys page by page from byVisitor, expired items included, and deletes them in batches of 25", async () => {
    const pages = [keys(0, 100), keys(100, 100), keys(200, 30)];
    const pageKey = (requestId: string, timestamp: number) =>
      marshall({ requestId, visitorId: VISITOR_ID, timestamp });
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: pages[0],
        LastEvaluatedKey: pageKey('k99', 1),
      })
      .resolvesOnce({
        Items: pages[1],
        LastEvaluatedKey: pageKey('k199', 2),
      })
      .resolvesOnce({ Items: pages[2] });
    ddb.on(BatchWriteItemCommand).resolves({});
    const { store } = buildStore();

    await expect(store.deleteVisitor(VISITOR_ID)).resolves.toBe(230);

    const queries = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input as QueryCommandInput);
    expect(queries).toHaveLength(3);
    for (const query of queries) {
      expect(query).toMatchObject({
        TableName: TABLE,
        IndexName: 'byVisitor',
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: VISITOR_ID } },
        ProjectionExpression: '#key',
      });
      // No expiry filter: an item past its TTL is still the visitor's data until DynamoDB deletes it.
      expect(query.FilterExpression).toBeUndefined();
    }
    expect(queries.map((query) => query.ExclusiveStartKey)).toEqual([
      undefined,
      pageKey('k99', 1),
      pageKey('k199', 2),
    ]);
    const batches = ddb.commandCalls(BatchWriteItemCommand).map((call) => deletedBy(call.args[0].input));
    expect(batches.map((batch) => batch.length)).toEqual([25, 25, 25, 25, 25, 25, 25, 25, 25, 5]);
    expect(batches.flat()).toEqual([...requestIds(0, 100), ...requestIds(100, 100), ...requestIds(200, 30)]);
  });

  it('deletes nothing and answers 0 for a visitor with nothing stored', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const { store } = buildStore();

    await expect(store.deleteVisitor(VISITOR_ID)).resolves.toBe(0);
    expect(ddb.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });

  it('retries unprocessed deletes until every one is done', async () => {
    const page = keys(0, 3);
    const ids = requestIds(0, 3);
    ddb.on(QueryCommand).resolves({ Items: page });
    ddb
      .on(BatchWriteItemCommand)
      .resolvesOnce({
        UnprocessedItems: { [TABLE]: [{ DeleteRequest: { Key: marshall({ requestId: ids[2] }) } }] },
      })
      .resolves({});
    const { store, sleep } = buildStore();

    await expect(store.deleteVisitor(VISITOR_ID)).resolves.toBe(3);
    const batches = ddb.commandCalls(BatchWriteItemCommand).map((call) => deletedBy(call.args[0].input));
    expect(batches).toEqual([ids, [ids[2]]]);
    expect(sleep).toHaveBeenCalledTimes(1);
  });

  it('fails with StoreThrottledError, saying how many were deleted, when throttling outlasts the retries', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: keys(0, 25), LastEvaluatedKey: marshall({ requestId: 'k24' }) })
      .resolvesOnce({ Items: keys(25, 10) });
    ddb
      .on(BatchWriteItemCommand)
      .resolvesOnce({})
      .rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));
    const { store } = buildStore();

    const failure = store.deleteVisitor(VISITOR_ID);
    await expect(failure).rejects.toBeInstanceOf(StoreThrottledError);
    await expect(failure).rejects.toThrow(/10 events .* were not deleted .*\(25 were\)/);
  });

  it('lets other DynamoDB errors through, and turns query throttling into StoreThrottledError', async () => {
    ddb.on(QueryCommand).rejectsOnce(new ResourceNotFoundException({ message: 'no table', $metadata: {} }));
    const { store } = buildStore();
    await expect(store.deleteVisitor(VISITOR_ID)).rejects.toBeInstanceOf(ResourceNotFoundException);

    ddb.reset();
    ddb.on(QueryCommand).rejectsOnce(new ThrottlingException({ message: 'slow down', $metadata: {} }));
    await expect(store.deleteVisitor(VISITOR_ID)).rejects.toBeInstanceOf(StoreThrottledError);
  });

  it('refuses a malformed visitorId without calling DynamoDB', async () => {
    const { store } = buildStore();
    await expect(store.deleteVisitor('a\u2029b')).rejects.toBeInstanceOf(ValidationError);
    expect(ddb.calls()).toHaveLength(0);
  });
});
