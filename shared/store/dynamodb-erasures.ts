/**
 * Erasure on the event table (ADR 7): the visitors' erasure records, written so that a later erasure time
 * always wins and read strongly consistent by every write path, and the sweeps that delete a visitor's events
 * through the `byVisitor` index.
 */
import {
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { StoreThrottledError } from '../domain/errors.js';
import { DynamoDbBatches } from './dynamodb-batches.js';
import type { DynamoDbStoreSettings } from './dynamodb-store-options.js';
import { INDEXES, isThrottling, type Key, readThrottled, TABLE_KEY, TIMESTAMP } from './dynamodb-table.js';
import { ERASED_AT_ATTRIBUTE, erasureKey, expiresAtFor, TTL_ATTRIBUTE } from './schema.js';

// Keys read per Query while erasing a visitor: four batches of deletes, so memory stays bounded however long
// the history, and a function that runs out of time has deleted whole pages (erasure is idempotent anyway).
const ERASE_PAGE_SIZE = 100;

/** What erasure needs: the table, the batch calls it deletes and reads records with, a clock, the retention. */
export interface DynamoDbErasuresOptions {
  client: DynamoDBClient;
  tableName: string;
  batches: DynamoDbBatches;
  /** Epoch ms: the erasure time recorded. */
  now: () => number;
  /** Days an erasure record is kept (`erasureRetentionDays`). */
  retentionDays: number;
}

/** What the erasures and the batch calls under them are built from: a store's settings (`storeSettingsOf`). */
export type DynamoDbErasurePartsOptions = Pick<
  DynamoDbStoreSettings,
  'client' | 'tableName' | 'now' | 'sleep' | 'maxWriteAttempts' | 'erasureRetentionDays'
>;

/**
 * The erasures on the batch calls they delete and read records with, built alike for both stores that check
 * erasure records: the event store (among its parts) and the webhook's.
 */
export function buildErasureParts(options: DynamoDbErasurePartsOptions): {
  batches: DynamoDbBatches;
  erasures: DynamoDbErasures;
} {
  const { client, tableName, now, sleep, maxWriteAttempts } = options;
  const batches = new DynamoDbBatches({ client, tableName, maxWriteAttempts, sleep });
  return {
    batches,
    erasures: new DynamoDbErasures({
      client,
      tableName,
      batches,
      now,
      retentionDays: options.erasureRetentionDays,
    }),
  };
}

/**
 * Erasure records and sweeps, one of the store's parts: the store's erasure and every write path (the records
 * they check before and after writing) use it.
 */
export class DynamoDbErasures {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #batches: DynamoDbBatches;
  readonly #now: () => number;
  readonly #retentionDays: number;

  constructor(options: DynamoDbErasuresOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#batches = options.batches;
    this.#now = options.now;
    this.#retentionDays = options.retentionDays;
  }

  /** Deletes the visitor's events, those with a timestamp up to `upTo` when given, page by page. */
  async sweepVisitor(visitorId: string, upTo?: number): Promise<number> {
    const index = INDEXES.byVisitor;
    let startKey: Key | undefined;
    let deleted = 0;
    do {
      const output = await readThrottled(() =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#tableName,
            IndexName: index.indexName,
            ...(upTo === undefined
              ? {
                  KeyConditionExpression: '#pk = :pk',
                  ExpressionAttributeNames: { '#pk': index.partitionKey.name, '#key': TABLE_KEY.name },
                  ExpressionAttributeValues: { ':pk': { S: visitorId } },
                }
              : {
                  // Only what the erasure covers: an event that happened after it is new data.
                  KeyConditionExpression: '#pk = :pk AND #ts <= :upTo',
                  ExpressionAttributeNames: {
                    '#pk': index.partitionKey.name,
                    '#key': TABLE_KEY.name,
                    '#ts': TIMESTAMP,
                  },
                  ExpressionAttributeValues: { ':pk': { S: visitorId }, ':upTo': { N: String(upTo) } },
                }),
            ProjectionExpression: '#key',
            Limit: ERASE_PAGE_SIZE,
            ...(startKey !== undefined && { ExclusiveStartKey: startKey }),
          }),
        ),
      );
      const keys = new Set<string>();
      for (const item of output.Items ?? []) {
        const key = item[TABLE_KEY.name]?.S;
        if (key !== undefined) keys.add(key);
      }
      const requests = [...keys].map(
        (key): WriteRequest => ({ DeleteRequest: { Key: { [TABLE_KEY.name]: { S: key } } } }),
      );
      const done = deleted;
      deleted += await this.#batches.writeAll(
        requests,
        (notDeleted, pageDeleted) =>
          `DynamoDB kept throttling deletes: ${notDeleted} events of visitor ${visitorId} were not deleted ` +
          `after ${this.#batches.maxWriteAttempts} attempts (${done + pageDeleted} were). Retry later: erasure is idempotent.`,
      );
      startKey = output.LastEvaluatedKey;
    } while (startKey !== undefined);
    return deleted;
  }

  /**
   * Writes the visitor's erasure record, or moves its erasure time forward; never back, so of two racing
   * erasures the later time wins. Answers the erasure time in effect.
   */
  async recordErasure(visitorId: string): Promise<number> {
    const erasedAt = this.#now();
    const key = erasureKey(visitorId);
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: marshall({
            [TABLE_KEY.name]: key,
            [ERASED_AT_ATTRIBUTE]: erasedAt,
            [TTL_ATTRIBUTE]: expiresAtFor(erasedAt, this.#retentionDays),
          }),
          ConditionExpression: 'attribute_not_exists(#erasedAt) OR #erasedAt < :erasedAt',
          ExpressionAttributeNames: { '#erasedAt': ERASED_AT_ATTRIBUTE },
          ExpressionAttributeValues: { ':erasedAt': { N: String(erasedAt) } },
        }),
      );
      return erasedAt;
    } catch (error) {
      if (isThrottling(error)) {
        throw new StoreThrottledError(
          'DynamoDB is throttling writes: the erasure was not recorded. Retry later.',
          {
            cause: error,
          },
        );
      }
      if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
    }
    // A later erasure is already recorded (another clock ran ahead): it covers ours.
    const existing = (await this.erasuresOf([visitorId])).get(visitorId);
    return existing === undefined ? erasedAt : Math.max(existing, erasedAt);
  }

  /**
   * The erasure time of each of these visitors that has an erasure record, read strongly consistent: a
   * record written before this read began is always seen. A record past its TTL but not yet deleted still
   * counts; it was kept as long as it can matter, so honouring it longer costs nothing.
   */
  async erasuresOf(visitorIds: readonly string[]): Promise<Map<string, number>> {
    const byKey = new Map(visitorIds.map((visitorId) => [erasureKey(visitorId), visitorId]));
    const items = await this.#batches.batchGet([...byKey.keys()], {
      consistent: true,
      projection: '#key, #erasedAt',
      names: { '#key': TABLE_KEY.name, '#erasedAt': ERASED_AT_ATTRIBUTE },
    });
    const erasures = new Map<string, number>();
    for (const item of items) {
      const visitorId = byKey.get(item[TABLE_KEY.name]?.S ?? '');
      const erasedAt = Number(item[ERASED_AT_ATTRIBUTE]?.N);
      if (visitorId !== undefined && Number.isFinite(erasedAt)) erasures.set(visitorId, erasedAt);
    }
    return erasures;
  }
}
