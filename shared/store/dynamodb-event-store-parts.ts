/**
 * The event store's parts beyond a single-item read: the batch calls with their retries (dynamodb-batches.ts),
 * the erasure records and sweeps built on them (dynamodb-erasures.ts) and the pager of the indexes with its
 * cursors (dynamodb-event-pager.ts). One module, so that they make one chunk: `DynamoDbEventStore` loads it on
 * the first call that needs any of them, since a cached read (one `GetItem`, the enrich functions' most common
 * first call) needs none; a function whose first call does (a history page, an insert) passes it to the store,
 * imported statically, and keeps it at init (docs/performance.md, "What changed", 19).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbBatches } from './dynamodb-batches.js';
import { DynamoDbErasures } from './dynamodb-erasures.js';
import { DynamoDbEventPager } from './dynamodb-event-pager.js';

/** What the parts are built from: the store's own options, checked by the store. */
export interface DynamoDbEventStorePartsOptions {
  client: DynamoDBClient;
  tableName: string;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  maxWriteAttempts: number;
  /** Days an erasure record is kept (`erasureRetentionDays`). */
  erasureRetentionDays: number;
}

export interface DynamoDbEventStoreParts {
  batches: DynamoDbBatches;
  erasures: DynamoDbErasures;
  pager: DynamoDbEventPager;
}

export function buildStoreParts(options: DynamoDbEventStorePartsOptions): DynamoDbEventStoreParts {
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
    pager: new DynamoDbEventPager({ client, tableName, now }),
  };
}
