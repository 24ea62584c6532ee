/**
 * The event table's key and indexes, named once for every part of the store, and DynamoDB's throttling. A module
 * apart from the batch calls (`dynamodb-batches.ts`) because a single read needs these and not those: the store
 * loads the batch calls on first use (docs/performance.md, "What changed", 19).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { StoreThrottledError } from '../domain/errors.js';
import { EVENT_TABLE_SCHEMA } from './schema.js';

export type Key = Record<string, AttributeValue>;

const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

/** The event table's key and indexes, named once for every part of the store. */
export const { partitionKey: TABLE_KEY, indexes: INDEXES } = EVENT_TABLE_SCHEMA;
export const TIMESTAMP = INDEXES.byVisitor.sortKey.name;

export function isThrottling(error: unknown): boolean {
  return error instanceof Error && THROTTLING_ERRORS.has(error.name);
}

/** Turns throttling that outlasted the SDK's retries into the domain error callers know how to answer. */
export async function throttledAs<T>(what: 'reads' | 'writes', call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isThrottling(error)) {
      throw new StoreThrottledError(`DynamoDB is throttling ${what}. Retry later.`, { cause: error });
    }
    throw error;
  }
}

/** {@link throttledAs} for a read. */
export function readThrottled<T>(call: () => Promise<T>): Promise<T> {
  return throttledAs('reads', call);
}
