import type { DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { NormalizedEvent } from '../domain/event.js';
import { isId, requireId } from '../domain/ids.js';
import type { UpstreamV4Event } from '../domain/upstream.js';
import type { DynamoDbErasures } from './dynamodb-erasures.js';
import {
  assertStorable,
  HISTORY_SYNC_RECORD,
  historyKey,
  isErased,
  isExpired,
  isRecordKey,
  marshalled,
  RECORD_TYPE,
  toEvent,
  toHistorySync,
  toItem,
  visitorsOf,
} from './dynamodb-event-item.js';
import type {
  DynamoDbEventStoreParts,
  DynamoDbEventStorePartsOptions,
} from './dynamodb-event-store-parts.js';
import { type DynamoDbStoreOptions, storeSettingsOf } from './dynamodb-store-options.js';
import { readThrottled, TABLE_KEY } from './dynamodb-table.js';
import type {
  ErasureOutcome,
  EventPage,
  EventSearchQuery,
  EventStore,
  HistoryFilter,
  HistorySync,
  LinkedIdQuery,
  StoreOutcome,
  VisitorQuery,
} from './event-store.js';
import {
  EVENT_TABLE_SCHEMA,
  expiresAtFor,
  TTL_ATTRIBUTE,
  UPSTREAM_ATTRIBUTE,
  UPSTREAM_FORMAT_ATTRIBUTE,
} from './schema.js';
import { decodeUpstreamV4 } from './upstream-codec.js';

/** The module of the store's parts beyond a single-item read (`./dynamodb-event-store-parts.ts`). */
export type DynamoDbEventStorePartsModule = typeof import('./dynamodb-event-store-parts.js');

/*
 * The event store's parts, each a collaborator the store composes: the item mapping and the checks before any
 * write (dynamodb-event-item.ts), the batch writer and reader with their retries (dynamodb-batches.ts), the
 * pager of the indexes (dynamodb-event-pager.ts) and erasure records and sweeps (dynamodb-erasures.ts). This
 * class builds them from its options and implements the EventStore with them: its writes, the page reads
 * (the pager's), reads of one item, and history sync records. A read of one item needs only the item mapping
 * and the table's names (dynamodb-table.ts); the other parts come in one module (dynamodb-event-store-parts.ts)
 * that a function whose first call is such a read loads on first use (the `parts` option).
 */

/** The options of both stores on the table (`dynamodb-store-options.ts`), and the event store's own. */
export interface DynamoDbEventStoreOptions extends DynamoDbStoreOptions {
  /**
   * How long an erasure waits between its two sweeps of the visitor index, which is eventually consistent:
   * an event written just before the erasure record may reach the index only after the first sweep (ADR 7).
   * @default DEFAULT_ERASURE_SETTLE_MS
   */
  erasureSettleMs?: number;
  /**
   * The store's parts beyond a single-item read (the pager, the batch calls, the erasures): their module,
   * imported statically by a function whose first call needs them (a history page), or a loader
   * that imports it on first use, for a function whose first call is a cached read (one `GetItem`) and needs
   * none of them: `lazily(() => import('.../dynamodb-event-store-parts.js'))`. A loader's `import()` is the
   * function's, not this module's: written here, it would split the parts into a chunk of their own in every
   * bundle, and the functions that load them at init would carry the glue of a chunk they never read
   * (docs/performance.md, "What changed", 19).
   */
  parts: DynamoDbEventStorePartsModule | (() => Promise<DynamoDbEventStorePartsModule>);
}

/**
 * The wait before an erasure's second sweep. DynamoDB propagates a write to its global secondary indexes
 * "within a fraction of a second" under normal conditions; twice a second leaves room.
 */
export const DEFAULT_ERASURE_SETTLE_MS = 2_000;

/**
 * {@link EventStore} on one DynamoDB table keyed by requestId, with the `byVisitor` and `byLinkedId` indexes
 * of {@link EVENT_TABLE_SCHEMA}. Expiry is enforced on every read, since DynamoDB's TTL deletion lags.
 */
export class DynamoDbEventStore implements EventStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #ttlDays: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #erasureSettleMs: number;
  readonly #partsModule: DynamoDbEventStorePartsModule | (() => Promise<DynamoDbEventStorePartsModule>);
  readonly #partsOptions: DynamoDbEventStorePartsOptions;
  #parts: DynamoDbEventStoreParts | undefined;
  /** Whether items keep the upstream's v4 copy of their event (`STORE_UPSTREAM_EVENTS`). */
  readonly #storeUpstream: boolean;

  constructor(options: DynamoDbEventStoreOptions) {
    const settings = storeSettingsOf(options);
    const settleMs = options.erasureSettleMs ?? DEFAULT_ERASURE_SETTLE_MS;
    if (!(settleMs >= 0)) throw new RangeError(`erasureSettleMs must not be negative, got ${settleMs}`);
    this.#client = settings.client;
    this.#tableName = settings.tableName;
    this.#ttlDays = settings.ttlDays;
    this.#now = settings.now;
    this.#sleep = settings.sleep;
    this.#erasureSettleMs = settleMs;
    this.#storeUpstream = settings.storeUpstream;
    this.#partsModule = options.parts;
    this.#partsOptions = settings;
  }

  /** The parts beyond a single-item read, built on first use (and their module loaded then, if not given). */
  async #partsBuilt(): Promise<DynamoDbEventStoreParts> {
    if (this.#parts !== undefined) return this.#parts;
    const module = this.#partsModule;
    const { buildStoreParts } = typeof module === 'function' ? await module() : module;
    this.#parts ??= buildStoreParts(this.#partsOptions);
    return this.#parts;
  }

  /** Erasure records and sweeps. */
  async #erasures(): Promise<DynamoDbErasures> {
    return (await this.#partsBuilt()).erasures;
  }

  async listByVisitor(query: VisitorQuery): Promise<EventPage> {
    return (await this.#partsBuilt()).pager.listByVisitor(query);
  }

  async listByLinkedId(query: LinkedIdQuery): Promise<EventPage> {
    return (await this.#partsBuilt()).pager.listByLinkedId(query);
  }

  async searchEvents(query: EventSearchQuery): Promise<EventPage> {
    return (await this.#partsBuilt()).pager.searchEvents(query);
  }

  /**
   * {@link storeEvents}, answering only how many events were written and kept.
   *
   * @throws ValidationError when an event's ids or timestamp are malformed (before anything is written).
   * @throws StoreThrottledError when DynamoDB keeps throttling.
   */
  async putEvents(events: readonly NormalizedEvent[]): Promise<number> {
    return (await this.storeEvents(events)).stored;
  }

  /**
   * Writes events in batches of 25, retrying unprocessed items and throttling with backoff. Within one call
   * the last event with a given requestId wins, as if they were written one after another. Events already
   * past their TTL are skipped.
   *
   * Events of an erased visitor with a timestamp not after the erasure are suppressed, by write-then-check
   * (ADR 7): the visitors' erasure records are read (strongly consistent) before the write, and again after
   * it; an event the second read finds covered is deleted again at once. An erasure racing this call
   * therefore either is seen by the second read or was recorded after the write, and then its own sweeps
   * find the event.
   *
   * @throws ValidationError when an event's ids or timestamp are malformed, or it holds a value DynamoDB has no
   *   type for (before anything is written).
   * @throws StoreThrottledError when a batch is still not fully written (or undone) after `maxWriteAttempts`;
   *   its message says how many events were not written.
   */
  async storeEvents(events: readonly NormalizedEvent[]): Promise<StoreOutcome> {
    const nowSeconds = Math.floor(this.#now() / 1000);
    const pending = new Map<string, NormalizedEvent>();
    for (const event of events) {
      assertStorable(event);
      pending.delete(event.requestId);
      if (expiresAtFor(event.timestamp, this.#ttlDays) > nowSeconds) pending.set(event.requestId, event);
    }
    const suppressed: string[] = [];
    if (pending.size === 0) return { stored: 0, suppressed };

    const { batches, erasures } = await this.#partsBuilt();
    const erasedBefore = await erasures.erasuresOf(visitorsOf(pending.values()));
    for (const [requestId, event] of pending) {
      if (isErased(event, erasedBefore)) {
        pending.delete(requestId);
        suppressed.push(requestId);
      }
    }
    const requests = [...pending.values()].map(
      (event): WriteRequest => ({
        PutRequest: {
          Item: marshalled(
            event.requestId,
            toItem(event, expiresAtFor(event.timestamp, this.#ttlDays), this.#storeUpstream),
          ),
        },
      }),
    );
    if (requests.length === 0) return { stored: 0, suppressed };
    const written = await batches.writeAll(
      requests,
      (notWritten, done) =>
        `DynamoDB kept throttling writes: ${notWritten} of ${requests.length} events were not written ` +
        `after ${batches.maxWriteAttempts} attempts (${done} were). Retry later.`,
    );

    // The check after the write: an erasure recorded while we wrote is seen here, whatever the index says.
    const erasedAfter = await erasures.erasuresOf(visitorsOf(pending.values()));
    const undo = [...pending.values()].filter((event) => isErased(event, erasedAfter));
    if (undo.length > 0) {
      await batches.writeAll(
        undo.map(
          (event): WriteRequest => ({
            DeleteRequest: { Key: { [TABLE_KEY.name]: { S: event.requestId } } },
          }),
        ),
        (notDeleted) =>
          `DynamoDB kept throttling deletes: ${notDeleted} events of an erased visitor, written while it was ` +
          'being erased, were not deleted again. Erase the visitor again to remove them.',
      );
      suppressed.push(...undo.map((event) => event.requestId));
    }
    return { stored: written - undo.length, suppressed };
  }

  /**
   * Records the erasure, then sweeps the visitor's events up to the erasure time twice, `erasureSettleMs`
   * apart (ADR 7). The record comes first, so that every writer that has not yet checked sees it; the second
   * sweep catches an event written before the record that the eventually consistent index did not yet show
   * to the first one.
   *
   * @throws ValidationError when `visitorId` is malformed.
   * @throws StoreThrottledError when DynamoDB keeps throttling; what was recorded and deleted by then stays so,
   *   and erasing again is safe.
   */
  async eraseVisitor(visitorId: string): Promise<ErasureOutcome> {
    requireId(visitorId, 'visitorId');
    const erasures = await this.#erasures();
    const erasedAt = await erasures.recordErasure(visitorId);
    let deleted = await erasures.sweepVisitor(visitorId, erasedAt);
    await this.#sleep(this.#erasureSettleMs);
    deleted += await erasures.sweepVisitor(visitorId, erasedAt);
    return { erasedAt, deleted };
  }

  /**
   * Deletes the visitor's events page by page: a Query of the `byVisitor` index for their keys (no expiry
   * filter: an expired item is still data until DynamoDB's TTL removes it), then `BatchWriteItem` deletes with
   * the same retries as writes. The index is eventually consistent, so an event stored a moment before may
   * be missed; calling again deletes it.
   *
   * @returns How many events were deleted.
   * @throws ValidationError when `visitorId` is malformed.
   * @throws StoreThrottledError when DynamoDB keeps throttling; what was deleted by then stays deleted.
   */
  async deleteVisitor(visitorId: string): Promise<number> {
    requireId(visitorId, 'visitorId');
    return (await this.#erasures()).sweepVisitor(visitorId);
  }

  async getEvent(requestId: string): Promise<NormalizedEvent | undefined> {
    // Nothing that fails the id rules is ever stored (DynamoDB rejects some such keys outright), and the
    // store's own records are no events.
    if (!isId(requestId) || isRecordKey(requestId)) return undefined;
    const output = await readThrottled(() =>
      this.#client.send(
        new GetItemCommand({ TableName: this.#tableName, Key: { [TABLE_KEY.name]: { S: requestId } } }),
      ),
    );
    const item = output.Item === undefined ? undefined : unmarshall(output.Item);
    if (item === undefined || isExpired(item, this.#now()) || item[RECORD_TYPE] !== undefined)
      return undefined;
    return toEvent(item);
  }

  async getHistorySync(filter: HistoryFilter): Promise<HistorySync | undefined> {
    const output = await readThrottled(() =>
      this.#client.send(
        new GetItemCommand({
          TableName: this.#tableName,
          Key: { [TABLE_KEY.name]: { S: historyKey(filter) } },
        }),
      ),
    );
    const item = output.Item === undefined ? undefined : unmarshall(output.Item);
    if (item === undefined || isExpired(item, this.#now()) || item[RECORD_TYPE] !== HISTORY_SYNC_RECORD) {
      return undefined;
    }
    return toHistorySync(item);
  }

  /**
   * Kept as long as an event stored now: by the time it expires, every event it vouches for has expired too.
   */
  async putHistorySync(filter: HistoryFilter, sync: HistorySync): Promise<void> {
    const item = {
      [TABLE_KEY.name]: historyKey(filter),
      [RECORD_TYPE]: HISTORY_SYNC_RECORD,
      ...sync,
      [TTL_ATTRIBUTE]: expiresAtFor(this.#now(), this.#ttlDays),
    };
    // A batch of one rather than PutItem: the same retries as events, and no second command in the bundle.
    const { batches } = await this.#partsBuilt();
    await batches.writeAll(
      [{ PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) } }],
      () => 'DynamoDB kept throttling writes: the history sync record was not written. Retry later.',
    );
  }

  async getUpstreamEvents(requestIds: readonly string[]): Promise<Map<string, UpstreamV4Event>> {
    const ids = [...new Set(requestIds)].filter((id) => isId(id) && !isRecordKey(id));
    const { batches } = await this.#partsBuilt();
    const items = await batches.batchGet(ids, {
      projection: '#key, #upstream, #format, #expiresAt',
      names: {
        '#key': TABLE_KEY.name,
        '#upstream': UPSTREAM_ATTRIBUTE,
        '#format': UPSTREAM_FORMAT_ATTRIBUTE,
        '#expiresAt': TTL_ATTRIBUTE,
      },
    });
    const copies = new Map<string, UpstreamV4Event>();
    const now = this.#now();
    for (const item of items) {
      // An expired event's copy is as expired as the event (SPEC: reads never return an expired item), even
      // when the event expired between the page read and this one. The batch read answers raw attribute values.
      const expiresAt = item[TTL_ATTRIBUTE]?.N;
      if (isExpired({ [TTL_ATTRIBUTE]: expiresAt === undefined ? undefined : Number(expiresAt) }, now))
        continue;
      const requestId = item[TABLE_KEY.name]?.S;
      const copy = decodeUpstreamV4(item[UPSTREAM_FORMAT_ATTRIBUTE]?.S, item[UPSTREAM_ATTRIBUTE]?.B);
      if (requestId !== undefined && copy !== undefined) copies.set(requestId, copy);
    }
    return copies;
  }
}
