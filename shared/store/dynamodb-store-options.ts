/**
 * The options both stores on the event table take, the event store (`dynamodb-event-store.ts`) and the webhook's
 * insert-only store (`dynamodb-webhook-event-store.ts`), and their one reading: checked and defaulted here, so
 * that both write with the same retries and keep erasure records equally long. A module apart, light: the
 * event store reads it at init and builds its erasures only on first use.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StoreThrottledError } from '../domain/errors.js';
import { DEFAULT_HISTORY_WINDOW_DAYS, erasureRetentionDays } from './schema.js';

export interface DynamoDbStoreOptions {
  /**
   * A plain DynamoDB client: the store marshals items itself (`@aws-sdk/util-dynamodb`), which spares every call
   * the document client's marshalling middleware and every bundle the document client.
   */
  client: DynamoDBClient;
  tableName: string;
  /** Days an event is kept after its timestamp (`EVENT_TTL_DAYS`). */
  ttlDays: number;
  /**
   * The clock, in ms since the epoch, deciding which events have expired.
   * @default Date.now
   */
  now?: () => number;
  /**
   * `BatchWriteItem` calls per batch of 25 before giving up with a {@link StoreThrottledError}. On top of the
   * SDK's own retries, which cover throttling errors but not `UnprocessedItems`.
   * @default 6
   */
  maxWriteAttempts?: number;
  /** Waits between write attempts and before an erasure's second sweep; tests replace it to run without real delays. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Days of history a visitor search asks Fingerprint for (`FINGERPRINT_HISTORY_DAYS`): an erasure record is
   * kept at least this long, and at least `ttlDays`, plus a margin (ADR 7).
   * @default DEFAULT_HISTORY_WINDOW_DAYS
   */
  historyWindowDays?: number;
  /**
   * Keep the upstream's own v4 copy of an event (attached with `withUpstreamV4`) on its item, compressed, next
   * to the normalized view (`STORE_UPSTREAM_EVENTS`). Off, items hold the normalized view only.
   * @default true
   */
  storeUpstream?: boolean;
}

/** {@link DynamoDbStoreOptions} checked, with their defaults, and the erasure records' retention they imply. */
export interface DynamoDbStoreSettings {
  client: DynamoDBClient;
  tableName: string;
  ttlDays: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  maxWriteAttempts: number;
  /** Days an erasure record is kept (`erasureRetentionDays`). */
  erasureRetentionDays: number;
  storeUpstream: boolean;
}

const DEFAULT_MAX_WRITE_ATTEMPTS = 6;

/** @throws RangeError naming the option that is out of range. */
export function storeSettingsOf(options: DynamoDbStoreOptions): DynamoDbStoreSettings {
  if (!(options.ttlDays > 0)) throw new RangeError(`ttlDays must be positive, got ${options.ttlDays}`);
  const maxWriteAttempts = options.maxWriteAttempts ?? DEFAULT_MAX_WRITE_ATTEMPTS;
  if (!Number.isSafeInteger(maxWriteAttempts) || maxWriteAttempts < 1) {
    throw new RangeError(`maxWriteAttempts must be a whole number of at least 1, got ${maxWriteAttempts}`);
  }
  const historyWindowDays = options.historyWindowDays ?? DEFAULT_HISTORY_WINDOW_DAYS;
  if (!(historyWindowDays > 0)) {
    throw new RangeError(`historyWindowDays must be positive, got ${historyWindowDays}`);
  }
  return {
    client: options.client,
    tableName: options.tableName,
    ttlDays: options.ttlDays,
    now: options.now ?? Date.now,
    sleep: options.sleep ?? ((ms: number) => delay(ms)),
    maxWriteAttempts,
    erasureRetentionDays: erasureRetentionDays(options.ttlDays, historyWindowDays),
    storeUpstream: options.storeUpstream ?? true,
  };
}
