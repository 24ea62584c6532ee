import { DynamoDBClient, ResourceNotFoundException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import type { BatchWriteCommandInput, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { StoreThrottledError, ValidationError } from '../../shared/domain/errors.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';

const TABLE = 'events-erase-unit';
const VISITOR_ID = 'Era1527CUFmcnjLwIs4A9';

const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
);

afterEach(() => {
  ddb.reset();
});

afterAll(() => {
  ddb.restore();
});

function buildStore() {
  const sleep = vi.fn(async (_ms: number) => {});
  const store = new DynamoDbEventStore({ client, tableName: TABLE, ttlDays: 90, maxWriteAttempts: 3, sleep });
  return { store, sleep };
}

const keys = (from: number, count: number) =>
  Array.from({ length: count }, (_, index) => ({
    requestId: `1708102555327.k${String(from + index).padStart(5, '0')}`,
  }));

/** The requestIds a BatchWriteItem call asked to delete. */
function deletedBy(input: BatchWriteCommandInput): string[] {
  return (input.RequestItems?.[TABLE] ?? []).map((request) => String(request.DeleteRequest?.Key?.requestId));
}

describe('DynamoDbEventStore.deleteVisitor', () => {
  it("reads the visitor's keys page by page from byVisitor, expired items included, and deletes them in batches of 25", async () => {
    const pages = [keys(0, 100), keys(100, 100), keys(200, 30)];
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: pages[0],
        LastEvaluatedKey: { requestId: 'k99', visitorId: VISITOR_ID, timestamp: 1 },
      })
      .resolvesOnce({
        Items: pages[1],
        LastEvaluatedKey: { requestId: 'k199', visitorId: VISITOR_ID, timestamp: 2 },
      })
      .resolvesOnce({ Items: pages[2] });
    ddb.on(BatchWriteCommand).resolves({});
    const { store } = buildStore();

    await expect(store.deleteVisitor(VISITOR_ID)).resolves.toBe(230);

    const queries = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input as QueryCommandInput);
    expect(queries).toHaveLength(3);
    for (const query of queries) {
      expect(query).toMatchObject({
        TableName: TABLE,
        IndexName: 'byVisitor',
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeValues: { ':pk': VISITOR_ID },
        ProjectionExpression: '#key',
      });
      // No expiry filter: an item past its TTL is still the visitor's data until DynamoDB deletes it.
      expect(query.FilterExpression).toBeUndefined();
    }
    expect(queries.map((query) => query.ExclusiveStartKey)).toEqual([
      undefined,
      { requestId: 'k99', visitorId: VISITOR_ID, timestamp: 1 },
      { requestId: 'k199', visitorId: VISITOR_ID, timestamp: 2 },
    ]);
    const batches = ddb.commandCalls(BatchWriteCommand).map((call) => deletedBy(call.args[0].input));
    expect(batches.map((batch) => batch.length)).toEqual([25, 25, 25, 25, 25, 25, 25, 25, 25, 5]);
    expect(batches.flat()).toEqual(pages.flat().map((key) => key.requestId));
  });

  it('deletes nothing and answers 0 for a visitor with nothing stored', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const { store } = buildStore();

    await expect(store.deleteVisitor(VISITOR_ID)).resolves.toBe(0);
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });

  it('retries unprocessed deletes until every one is done', async () => {
    const page = keys(0, 3);
    ddb.on(QueryCommand).resolves({ Items: page });
    ddb
      .on(BatchWriteCommand)
      .resolvesOnce({
        UnprocessedItems: { [TABLE]: [{ DeleteRequest: { Key: { requestId: page[2]?.requestId } } }] },
      })
      .resolves({});
    const { store, sleep } = buildStore();

    await expect(store.deleteVisitor(VISITOR_ID)).resolves.toBe(3);
    const batches = ddb.commandCalls(BatchWriteCommand).map((call) => deletedBy(call.args[0].input));
    expect(batches).toEqual([page.map((key) => key.requestId), [page[2]?.requestId]]);
    expect(sleep).toHaveBeenCalledTimes(1);
  });

  it('fails with StoreThrottledError, saying how many were deleted, when throttling outlasts the retries', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: keys(0, 25), LastEvaluatedKey: { requestId: 'k24' } })
      .resolvesOnce({ Items: keys(25, 10) });
    ddb
      .on(BatchWriteCommand)
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
    await expect(store.deleteVisitor('a b')).rejects.toBeInstanceOf(ValidationError);
    expect(ddb.calls()).toHaveLength(0);
  });
});
