import type { DynamoDBDocumentClient, ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { EVENTS_ONLY } from '../../local/harness/dynalite.js';
import { EVENT_TABLE_SCHEMA } from '../../shared/store/schema.js';

type Item = Record<string, unknown>;

/**
 * Reads the events table as it is, beneath the store: what a write path or an erasure really left there, in the
 * base table (strongly consistent) and in both indexes. Every read follows the pages to the end.
 */
export function readTable(documentClient: DynamoDBDocumentClient, tableName: string) {
  const scan = async (input: Omit<ScanCommandInput, 'TableName'>) => {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await documentClient.send(
        new ScanCommand({ TableName: tableName, ConsistentRead: true, ...input, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  };
  const queryIndex = async (index: 'byVisitor' | 'byLinkedId', value: string) => {
    const { indexName, partitionKey } = EVENT_TABLE_SCHEMA.indexes[index];
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await documentClient.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: indexName,
          KeyConditionExpression: '#pk = :v',
          ExpressionAttributeNames: { '#pk': partitionKey.name },
          ExpressionAttributeValues: { ':v': value },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  };

  return {
    /** The item stored under this key (an event's requestId, a record's key), every attribute. */
    async item(requestId: string): Promise<Item | undefined> {
      const { Item } = await documentClient.send(
        new GetCommand({ TableName: tableName, Key: { requestId }, ConsistentRead: true }),
      );
      return Item;
    },
    /** The visitor's items as the `byVisitor` index holds them, expired or not. */
    itemsOfVisitor: (visitorId: string) => queryIndex('byVisitor', visitorId),
    /** The linkedId's items as the `byLinkedId` index holds them, expired or not. */
    itemsOfLinkedId: (linkedId: string) => queryIndex('byLinkedId', linkedId),
    /** Every item of the visitor in the base table, expired or not. */
    baseItemsOf: (visitorId: string) =>
      scan({ FilterExpression: 'visitorId = :v', ExpressionAttributeValues: { ':v': visitorId } }),
    /** Every item whose table key starts with `prefix`, e.g. the erasure records. */
    itemsWithKeyPrefix: (prefix: string) =>
      scan({ FilterExpression: 'begins_with(requestId, :p)', ExpressionAttributeValues: { ':p': prefix } }),
    /** Every event item of the table (none of the store's own records). */
    eventItems: () => scan(EVENTS_ONLY),
    /** Every item of the table, the store's own records included. */
    allItems: () => scan({}),
    /**
     * The visitor's events still stored (base table and both indexes) whose timestamp is not after `erasedAt`:
     * what an erasure must leave none of.
     */
    async survivors(visitorId: string, erasedAt: number, linkedIds: readonly string[] = []) {
      const covered = (item: Item) =>
        item.visitorId === visitorId && typeof item.timestamp === 'number' && item.timestamp <= erasedAt;
      const linked = await Promise.all(linkedIds.map((linkedId) => queryIndex('byLinkedId', linkedId)));
      return [
        ...(await scan({
          FilterExpression: 'visitorId = :v',
          ExpressionAttributeValues: { ':v': visitorId },
        })),
        ...(await queryIndex('byVisitor', visitorId)),
        ...linked.flat(),
      ]
        .filter(covered)
        .map((item) => String(item.requestId));
    },
  };
}

export type TableReader = ReturnType<typeof readTable>;
