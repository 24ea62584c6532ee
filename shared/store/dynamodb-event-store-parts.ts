/**
 * The event store's parts beyond a single-item read: the batch calls with their retries (dynamodb-batches.ts),
 * the erasure records and sweeps built on them (dynamodb-erasures.ts) and the pager of the indexes with its
 * cursors (dynamodb-event-pager.ts). One module, so that they make one chunk: `DynamoDbEventStore` loads it on
 * the first call that needs any of them, since a cached read (one `GetItem`, the enrich functions' most common
 * first call) needs none; a function whose first call does (a history page) passes it to the store, imported
 * statically, and keeps it at init (docs/performance.md, "What changed", 19). The webhook's store, which only
 * inserts, builds the erasures it checks itself (`buildErasureParts`) and carries neither this module nor the
 * pager.
 */
import type { DynamoDbBatches } from './dynamodb-batches.js';
import {
  buildErasureParts,
  type DynamoDbErasurePartsOptions,
  type DynamoDbErasures,
} from './dynamodb-erasures.js';
import { DynamoDbEventPager } from './dynamodb-event-pager.js';

/** What the parts are built from: the store's settings (`storeSettingsOf`). */
export type DynamoDbEventStorePartsOptions = DynamoDbErasurePartsOptions;

export interface DynamoDbEventStoreParts {
  batches: DynamoDbBatches;
  erasures: DynamoDbErasures;
  pager: DynamoDbEventPager;
}

export function buildStoreParts(options: DynamoDbEventStorePartsOptions): DynamoDbEventStoreParts {
  const { client, tableName, now } = options;
  return { ...buildErasureParts(options), pager: new DynamoDbEventPager({ client, tableName, now }) };
}
