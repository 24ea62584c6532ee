import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The events table's key schema, defined once: the CDK stack, the local server and the tests all build the
 * table from this data, so they cannot drift apart.
 *
 * - The table is keyed by `requestId` alone, so storing the same event twice overwrites one item.
 * - `byVisitor` and `byLinkedId` serve the newest-first histories; `byLinkedId` is sparse because only
 *   events carrying a linkedId have its key attribute.
 * - `expiresAt` (epoch seconds) is the DynamoDB TTL attribute.
 */
export const EVENT_TABLE_SCHEMA = {
  partitionKey: { name: 'requestId', type: 'S' },
  ttlAttribute: 'expiresAt',
  indexes: {
    byVisitor: {
      indexName: 'byVisitor',
      partitionKey: { name: 'visitorId', type: 'S' },
      sortKey: { name: 'timestamp', type: 'N' },
      projection: 'ALL',
    },
    byLinkedId: {
      indexName: 'byLinkedId',
      partitionKey: { name: 'linkedId', type: 'S' },
      sortKey: { name: 'timestamp', type: 'N' },
      projection: 'ALL',
    },
  },
} as const;

export type EventIndexName = keyof typeof EVENT_TABLE_SCHEMA.indexes;

/** The TTL attribute's name, also the one attribute an item has beyond its NormalizedEvent fields. */
export const TTL_ATTRIBUTE = EVENT_TABLE_SCHEMA.ttlAttribute;

const SECONDS_PER_DAY = 86_400;

/**
 * The epoch second at which an event stops being served and DynamoDB may delete it: `ttlDays` after the
 * event happened (not after it was stored), so re-fetching an old event never extends its life.
 */
export function expiresAtFor(timestampMs: number, ttlDays: number): number {
  return Math.floor(timestampMs / 1000 + ttlDays * SECONDS_PER_DAY);
}

/**
 * A `CreateTable` request for the events table (on-demand billing), for dynalite and local runs. TTL is not
 * part of `CreateTable`; the CDK stack enables it on {@link TTL_ATTRIBUTE}, and reads filter expired items
 * anyway.
 */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, indexes } = EVENT_TABLE_SCHEMA;
  const indexList = Object.values(indexes);
  const attributes = new Map<string, 'S' | 'N'>([[partitionKey.name, partitionKey.type]]);
  for (const index of indexList) {
    attributes.set(index.partitionKey.name, index.partitionKey.type);
    attributes.set(index.sortKey.name, index.sortKey.type);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: [{ AttributeName: partitionKey.name, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: indexList.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: index.projection },
    })),
  };
}
