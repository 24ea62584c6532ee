import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { StoreThrottledError, ValidationError } from '../domain/errors.js';
import type { NormalizedEvent } from '../domain/event.js';
import { ID_MESSAGES, isId, requireId } from '../domain/ids.js';
import { type UpstreamV4Event, upstreamV4Of, withUpstreamV4 } from '../domain/upstream.js';
import type { CursorPosition, CursorScope } from './cursor.js';
import { decodeCursor, encodeCursor, MAX_CURSOR_BINDING_LENGTH } from './cursor.js';
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
import type { EventIndexName } from './schema.js';
import {
  DEFAULT_HISTORY_WINDOW_DAYS,
  ERASED_AT_ATTRIBUTE,
  ERASURE_KEY_PREFIX,
  EVENT_TABLE_SCHEMA,
  erasureKey,
  erasureRetentionDays,
  expiresAtFor,
  LEASE_KEY_PREFIX,
  LIMITER_KEY_PREFIX,
  TTL_ATTRIBUTE,
  UPSTREAM_ATTRIBUTE,
  UPSTREAM_FORMAT_ATTRIBUTE,
} from './schema.js';
import { decodeUpstreamV4, encodeUpstreamV4, UPSTREAM_FORMAT_V4_BROTLI } from './upstream-codec.js';

export interface DynamoDbEventStoreOptions {
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
   * How long an erasure waits between its two sweeps of the visitor index, which is eventually consistent:
   * an event written just before the erasure record may reach the index only after the first sweep (ADR 7).
   * @default DEFAULT_ERASURE_SETTLE_MS
   */
  erasureSettleMs?: number;
  /**
   * Keep the upstream's own v4 copy of an event (attached with `withUpstreamV4`) on its item, compressed, next
   * to the normalized view (`STORE_UPSTREAM_EVENTS`). Off, items hold the normalized view only.
   * @default true
   */
  storeUpstream?: boolean;
}

/**
 * The wait before an erasure's second sweep. DynamoDB propagates a write to its global secondary indexes
 * "within a fraction of a second" under normal conditions; twice a second leaves room.
 */
export const DEFAULT_ERASURE_SETTLE_MS = 2_000;

type Item = Record<string, unknown>;
type Key = Record<string, AttributeValue>;

/** DynamoDB's limit on the number of requests in one `BatchWriteItem`. */
const BATCH_SIZE = 25;
const DEFAULT_MAX_WRITE_ATTEMPTS = 6;
// With 6 attempts the waits add up to at most 50+100+200+400+800 ms: well inside a Lambda timeout, long
// enough for on-demand capacity to adapt to a burst.
const BASE_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2_000;
// Keys read per Query while erasing a visitor: four batches of deletes, so memory stays bounded however long
// the history, and a function that runs out of time has deleted whole pages (erasure is idempotent anyway).
const ERASE_PAGE_SIZE = 100;
/** DynamoDB's limit on the keys of one `BatchGetItem`. */
const BATCH_GET_SIZE = 100;

const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

const { partitionKey: TABLE_KEY, indexes: INDEXES } = EVENT_TABLE_SCHEMA;
const TIMESTAMP = INDEXES.byVisitor.sortKey.name;

/**
 * History sync records share the table with events, under a key no event has (`history#` and a hash of the
 * filter, so no id is kept in clear) and with no visitorId, linkedId or timestamp, so neither index holds
 * them. `recordType` tells them apart from events, whatever a requestId may look like.
 */
const HISTORY_KEY_PREFIX = 'history#';
const RECORD_TYPE = 'recordType';
const HISTORY_SYNC_RECORD = 'historySync';

function historyKey(filter: HistoryFilter): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([filter.visitorId ?? null, filter.linkedId ?? null]))
    .digest('base64url');
  return `${HISTORY_KEY_PREFIX}${digest}`;
}

/** A history sync record as read back; anything else (never written by this store) is ignored. */
function toHistorySync(item: Item): HistorySync | undefined {
  const { from, newest, depth } = item;
  if (typeof from !== 'number') return undefined;
  return {
    from,
    ...(typeof newest === 'number' && { newest }),
    ...(typeof depth === 'number' && { depth }),
  };
}

export function isThrottling(error: unknown): boolean {
  return error instanceof Error && THROTTLING_ERRORS.has(error.name);
}

/** Full jitter: spreads retries of concurrent writers instead of synchronizing them. */
function backoffMs(attempt: number): number {
  return Math.random() * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (attempt - 1));
}

const RECORD_KEY_PREFIXES = [ERASURE_KEY_PREFIX, HISTORY_KEY_PREFIX, LIMITER_KEY_PREFIX, LEASE_KEY_PREFIX];

/**
 * Whether a requestId is the key of one of the table's own records (an erasure, a history sync record, a seat
 * of the upstream budget, a lease): an event under it would overwrite the record (undoing an erasure), and a
 * read of it would answer the record.
 */
function isRecordKey(requestId: string): boolean {
  return RECORD_KEY_PREFIXES.some((prefix) => requestId.startsWith(prefix));
}

export function assertStorable(event: NormalizedEvent): void {
  for (const kind of ['requestId', 'visitorId'] as const) {
    if (!isId(event[kind])) {
      throw new ValidationError(
        kind,
        `An event's ${kind} breaks the id rule; nothing was stored. ${ID_MESSAGES[kind]}`,
      );
    }
  }
  if (isRecordKey(event.requestId)) {
    throw new ValidationError(
      'requestId',
      `An event's requestId begins like the key of one of this table's own records (${RECORD_KEY_PREFIXES.join(', ')}); nothing was stored.`,
    );
  }
  // An empty linkedId means there is none (see toItem).
  if (event.linkedId !== undefined && event.linkedId !== '' && !isId(event.linkedId)) {
    throw new ValidationError(
      'linkedId',
      `Event ${event.requestId} has a linkedId that breaks the id rule; nothing was stored. ${ID_MESSAGES.linkedId}`,
    );
  }
  if (!Number.isSafeInteger(event.timestamp) || event.timestamp < 0) {
    throw new ValidationError(
      'timestamp',
      `Event ${event.requestId} has a timestamp that is not milliseconds since the epoch; nothing was stored.`,
    );
  }
}

/**
 * The item in DynamoDB's types. A value DynamoDB has no type for (e.g. a non-finite number) is a refusal of
 * this event, named as such, before anything is written.
 */
function marshalled(requestId: string, item: Item): Record<string, AttributeValue> {
  try {
    // `undefined` (an absent optional field) has no DynamoDB type: dropped at every depth.
    return marshall(item, { removeUndefinedValues: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 200) : 'unknown';
    throw new ValidationError(
      'event',
      `Event ${requestId} holds a value DynamoDB cannot store (${reason}); nothing was stored.`,
      { cause: error },
    );
  }
}

/**
 * The item of an event: its normalized view, the TTL, and (with `storeUpstream`) the upstream's v4 copy of it
 * when it has one, compressed. A copy too large to keep is left out: the item must fit whatever it holds.
 */
export function toItem(event: NormalizedEvent, expiresAt: number, storeUpstream = true): Item {
  // DynamoDB refuses an empty string as an index key; an empty linkedId means there is none.
  const { linkedId, ...rest } = event;
  const upstream = storeUpstream ? upstreamV4Of(event) : undefined;
  const encoded = upstream === undefined ? undefined : encodeUpstreamV4(upstream);
  return {
    ...rest,
    ...(linkedId !== '' && { linkedId }),
    [TTL_ATTRIBUTE]: expiresAt,
    ...(encoded !== undefined && {
      [UPSTREAM_ATTRIBUTE]: encoded,
      [UPSTREAM_FORMAT_ATTRIBUTE]: UPSTREAM_FORMAT_V4_BROTLI,
    }),
  };
}

function toEvent(item: Item): NormalizedEvent {
  const {
    [TTL_ATTRIBUTE]: _expiresAt,
    [UPSTREAM_ATTRIBUTE]: upstream,
    [UPSTREAM_FORMAT_ATTRIBUTE]: format,
    ...fields
  } = item;
  // Items are written only by putEvents and DynamoDbWebhookEventStore.putEventIfAbsent, from a NormalizedEvent
  // plus the attributes removed above.
  const event = fields as unknown as NormalizedEvent;
  // Decompressed only when asked for (`upstreamV4Of`): most reads of an event never look at its copy.
  return upstream === undefined ? event : withUpstreamV4(event, () => decodeUpstreamV4(format, upstream));
}

function visitorsOf(events: Iterable<NormalizedEvent>): string[] {
  return [...new Set([...events].map((event) => event.visitorId))];
}

/** Whether an erasure covers the event: its visitor was erased at or after the moment it happened. */
export function isErased(event: NormalizedEvent, erasures: ReadonlyMap<string, number>): boolean {
  const erasedAt = erasures.get(event.visitorId);
  return erasedAt !== undefined && event.timestamp <= erasedAt;
}

function requireLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new ValidationError('limit', 'The limit must be a whole number of at least 1.');
  }
}

/** One index query: which partition, which filters, where to start. */
interface PageRequest {
  index: EventIndexName;
  partitionValue: string;
  limit: number;
  /** Only events strictly older than this timestamp. */
  before?: number;
  /** Only events strictly newer than this timestamp. */
  after?: number;
  /** Read the index oldest first. @default false */
  oldestFirst?: boolean;
  linkedIdFilter?: string;
  start?: CursorPosition;
  scope: CursorScope;
}

/**
 * {@link EventStore} on one DynamoDB table keyed by requestId, with the `byVisitor` and `byLinkedId` indexes
 * of {@link EVENT_TABLE_SCHEMA}. Expiry is enforced on every read, since DynamoDB's TTL deletion lags.
 */
export class DynamoDbEventStore implements EventStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly ttlDays: number;
  private readonly now: () => number;
  private readonly maxWriteAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly erasureRetentionDays: number;
  private readonly erasureSettleMs: number;
  /** Whether items keep the upstream's v4 copy of their event (`STORE_UPSTREAM_EVENTS`). */
  protected readonly storeUpstream: boolean;

  constructor(options: DynamoDbEventStoreOptions) {
    if (!(options.ttlDays > 0)) throw new RangeError(`ttlDays must be positive, got ${options.ttlDays}`);
    const maxWriteAttempts = options.maxWriteAttempts ?? DEFAULT_MAX_WRITE_ATTEMPTS;
    if (!Number.isSafeInteger(maxWriteAttempts) || maxWriteAttempts < 1) {
      throw new RangeError(`maxWriteAttempts must be a whole number of at least 1, got ${maxWriteAttempts}`);
    }
    this.client = options.client;
    this.tableName = options.tableName;
    this.ttlDays = options.ttlDays;
    this.now = options.now ?? Date.now;
    this.maxWriteAttempts = maxWriteAttempts;
    this.sleep = options.sleep ?? ((ms) => delay(ms));
    const historyWindowDays = options.historyWindowDays ?? DEFAULT_HISTORY_WINDOW_DAYS;
    if (!(historyWindowDays > 0)) {
      throw new RangeError(`historyWindowDays must be positive, got ${historyWindowDays}`);
    }
    this.erasureRetentionDays = erasureRetentionDays(options.ttlDays, historyWindowDays);
    const settleMs = options.erasureSettleMs ?? DEFAULT_ERASURE_SETTLE_MS;
    if (!(settleMs >= 0)) throw new RangeError(`erasureSettleMs must not be negative, got ${settleMs}`);
    this.erasureSettleMs = settleMs;
    this.storeUpstream = options.storeUpstream ?? true;
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
    const nowSeconds = this.nowSeconds();
    const pending = new Map<string, NormalizedEvent>();
    for (const event of events) {
      assertStorable(event);
      pending.delete(event.requestId);
      if (expiresAtFor(event.timestamp, this.ttlDays) > nowSeconds) pending.set(event.requestId, event);
    }
    const suppressed: string[] = [];
    if (pending.size === 0) return { stored: 0, suppressed };

    const erasedBefore = await this.erasuresOf(visitorsOf(pending.values()));
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
            toItem(event, expiresAtFor(event.timestamp, this.ttlDays), this.storeUpstream),
          ),
        },
      }),
    );
    if (requests.length === 0) return { stored: 0, suppressed };
    const written = await this.writeAll(
      requests,
      (notWritten, done) =>
        `DynamoDB kept throttling writes: ${notWritten} of ${requests.length} events were not written ` +
        `after ${this.maxWriteAttempts} attempts (${done} were). Retry later.`,
    );

    // The check after the write: an erasure recorded while we wrote is seen here, whatever the index says.
    const erasedAfter = await this.erasuresOf(visitorsOf(pending.values()));
    const undo = [...pending.values()].filter((event) => isErased(event, erasedAfter));
    if (undo.length > 0) {
      await this.writeAll(
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
   * Records the erasure, then sweeps the visitor's events up to the erasure time twice, {@link erasureSettleMs}
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
    const erasedAt = await this.recordErasure(visitorId);
    let deleted = await this.sweepVisitor(visitorId, erasedAt);
    await this.sleep(this.erasureSettleMs);
    deleted += await this.sweepVisitor(visitorId, erasedAt);
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
    return this.sweepVisitor(visitorId);
  }

  /** Deletes the visitor's events, those with a timestamp up to `upTo` when given, page by page. */
  private async sweepVisitor(visitorId: string, upTo?: number): Promise<number> {
    const index = INDEXES.byVisitor;
    let startKey: Key | undefined;
    let deleted = 0;
    do {
      const output = await this.read(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
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
      deleted += await this.writeAll(
        requests,
        (notDeleted, pageDeleted) =>
          `DynamoDB kept throttling deletes: ${notDeleted} events of visitor ${visitorId} were not deleted ` +
          `after ${this.maxWriteAttempts} attempts (${done + pageDeleted} were). Retry later: erasure is idempotent.`,
      );
      startKey = output.LastEvaluatedKey;
    } while (startKey !== undefined);
    return deleted;
  }

  async getEvent(requestId: string): Promise<NormalizedEvent | undefined> {
    // Nothing that fails the id rules is ever stored (DynamoDB rejects some such keys outright), and the
    // store's own records are no events.
    if (!isId(requestId) || isRecordKey(requestId)) return undefined;
    const output = await this.read(() =>
      this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: { [TABLE_KEY.name]: { S: requestId } } }),
      ),
    );
    const item = output.Item === undefined ? undefined : unmarshall(output.Item);
    if (item === undefined || this.isExpired(item) || item[RECORD_TYPE] !== undefined) return undefined;
    return toEvent(item);
  }

  async getHistorySync(filter: HistoryFilter): Promise<HistorySync | undefined> {
    const output = await this.read(() =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { [TABLE_KEY.name]: { S: historyKey(filter) } },
        }),
      ),
    );
    const item = output.Item === undefined ? undefined : unmarshall(output.Item);
    if (item === undefined || this.isExpired(item) || item[RECORD_TYPE] !== HISTORY_SYNC_RECORD) {
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
      [TTL_ATTRIBUTE]: expiresAtFor(this.now(), this.ttlDays),
    };
    // A batch of one rather than PutItem: the same retries as events, and no second command in the bundle.
    await this.writeAll(
      [{ PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) } }],
      () => 'DynamoDB kept throttling writes: the history sync record was not written. Retry later.',
    );
  }

  async listByVisitor(query: VisitorQuery): Promise<EventPage> {
    const { visitorId, linkedId, before, limit } = query;
    requireId(visitorId, 'visitorId');
    requireLimit(limit);
    if (linkedId !== undefined) requireId(linkedId, 'linkedId');
    if (before !== undefined && (!Number.isSafeInteger(before) || before < 0)) {
      throw new ValidationError(
        'before',
        'The before parameter must be a timestamp in milliseconds since the epoch.',
      );
    }
    if (query.cursor !== undefined && query.afterRequestId !== undefined) {
      throw new ValidationError('cursor', 'Pass either a cursor or a paginationKey, not both.');
    }
    const scope: CursorScope = {
      index: 'byVisitor',
      visitorId,
      ...(linkedId !== undefined && { linkedId }),
      ...(before !== undefined && { before }),
    };
    let start: CursorPosition | undefined;
    if (query.cursor !== undefined) {
      start = decodeCursor(query.cursor, scope);
    } else if (query.afterRequestId !== undefined) {
      start = await this.positionOf(query.afterRequestId, visitorId);
      // Everything older than `before` already lies after such an event, and DynamoDB refuses a start key
      // outside the key condition.
      if (before !== undefined && start.timestamp >= before) start = undefined;
    }
    const { scanned: _scanned, ...page } = await this.queryPage({
      index: 'byVisitor',
      partitionValue: visitorId,
      limit,
      ...(before !== undefined && { before }),
      ...(linkedId !== undefined && { linkedIdFilter: linkedId }),
      ...(start !== undefined && { start }),
      scope,
    });
    return page;
  }

  async listByLinkedId(query: LinkedIdQuery): Promise<EventPage> {
    const { linkedId, limit } = query;
    requireId(linkedId, 'linkedId');
    requireLimit(limit);
    const scope: CursorScope = { index: 'byLinkedId', linkedId };
    const start = query.cursor === undefined ? undefined : decodeCursor(query.cursor, scope);
    const { scanned: _scanned, ...page } = await this.queryPage({
      index: 'byLinkedId',
      partitionValue: linkedId,
      limit,
      ...(start !== undefined && { start }),
      scope,
    });
    return page;
  }

  /**
   * Reads pages of the index until `limit` events match, `maxScanned` were read, or the history ends: the last
   * page read says where the next one starts, so a page cut short by `maxScanned` still has `next`.
   */
  async searchEvents(query: EventSearchQuery): Promise<EventPage> {
    const { visitorId, linkedId, limit, after, before } = query;
    if (visitorId === undefined && linkedId === undefined) {
      throw new ValidationError('visitorId', 'Search by a visitorId, a linkedId, or both.');
    }
    if (visitorId !== undefined) requireId(visitorId, 'visitorId');
    if (linkedId !== undefined) requireId(linkedId, 'linkedId');
    requireLimit(limit);
    requireLimit(query.maxScanned);
    for (const [field, value] of [
      ['after', after],
      ['before', before],
    ] as const) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
        throw new ValidationError(field, `${field} must be a timestamp in milliseconds since the epoch.`);
      }
    }
    if (query.binding.length > MAX_CURSOR_BINDING_LENGTH) {
      throw new RangeError(`A search's binding is at most ${MAX_CURSOR_BINDING_LENGTH} characters long`);
    }
    const oldestFirst = query.oldestFirst ?? false;
    const scope: CursorScope = {
      index: 'search',
      ...(visitorId !== undefined && { visitorId }),
      ...(linkedId !== undefined && { linkedId }),
      oldestFirst,
      binding: query.binding,
    };
    let start = query.cursor === undefined ? undefined : decodeCursor(query.cursor, scope, query.cursorName);
    // An empty window, or a position outside it (a window that moved since the cursor was made): nothing left.
    // DynamoDB refuses both as a query.
    const low = after === undefined ? undefined : after + 1;
    const high = before === undefined ? undefined : before - 1;
    if (low !== undefined && high !== undefined && low > high) return { events: [] };
    if (start !== undefined && !((low ?? 0) <= start.timestamp && start.timestamp <= (high ?? Infinity))) {
      return { events: [] };
    }
    const events: NormalizedEvent[] = [];
    let scanned = 0;
    for (;;) {
      const page = await this.queryPage({
        index: visitorId !== undefined ? 'byVisitor' : 'byLinkedId',
        partitionValue: visitorId ?? linkedId ?? '',
        // Never more than the events still wanted: a page ends right after the last event it answers.
        limit: Math.min(limit - events.length, query.maxScanned - scanned),
        ...(before !== undefined && { before }),
        ...(after !== undefined && { after }),
        oldestFirst,
        ...(visitorId !== undefined && linkedId !== undefined && { linkedIdFilter: linkedId }),
        ...(start !== undefined && { start }),
        scope,
      });
      events.push(...page.events);
      scanned += page.scanned;
      if (page.next === undefined || events.length >= limit || scanned >= query.maxScanned) {
        return { events, ...(page.next !== undefined && { next: page.next }) };
      }
      start = { requestId: page.next.lastRequestId, timestamp: page.next.lastTimestamp };
    }
  }

  async getUpstreamEvents(requestIds: readonly string[]): Promise<Map<string, UpstreamV4Event>> {
    const ids = [...new Set(requestIds)].filter((id) => isId(id) && !isRecordKey(id));
    const items = await this.batchGet(ids, {
      projection: '#key, #upstream, #format, #expiresAt',
      names: {
        '#key': TABLE_KEY.name,
        '#upstream': UPSTREAM_ATTRIBUTE,
        '#format': UPSTREAM_FORMAT_ATTRIBUTE,
        '#expiresAt': TTL_ATTRIBUTE,
      },
    });
    const copies = new Map<string, UpstreamV4Event>();
    for (const item of items) {
      // An expired event's copy is as expired as the event (SPEC: reads never return an expired item), even
      // when the event expired between the page read and this one.
      const expiresAt = item[TTL_ATTRIBUTE]?.N;
      if (this.isExpired({ [TTL_ATTRIBUTE]: expiresAt === undefined ? undefined : Number(expiresAt) }))
        continue;
      const requestId = item[TABLE_KEY.name]?.S;
      const copy = decodeUpstreamV4(item[UPSTREAM_FORMAT_ATTRIBUTE]?.S, item[UPSTREAM_ATTRIBUTE]?.B);
      if (requestId !== undefined && copy !== undefined) copies.set(requestId, copy);
    }
    return copies;
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  private isExpired(item: Item): boolean {
    const expiresAt = item[TTL_ATTRIBUTE];
    return typeof expiresAt !== 'number' || expiresAt <= this.nowSeconds();
  }

  /**
   * Sends write requests (puts or deletes) in batches of 25, retrying unprocessed items and throttling.
   * Returns how many were written; throws a {@link StoreThrottledError} with `describe(notWritten, written)`
   * when a batch is still not fully written after `maxWriteAttempts`.
   */
  private async writeAll(
    requests: readonly WriteRequest[],
    describe: (notWritten: number, written: number) => string,
  ): Promise<number> {
    let written = 0;
    for (let start = 0; start < requests.length; start += BATCH_SIZE) {
      const batch = requests.slice(start, start + BATCH_SIZE);
      const failure = await this.writeBatch(batch);
      if (failure !== undefined) {
        const notWritten = requests.length - written - (batch.length - failure.left);
        throw new StoreThrottledError(describe(notWritten, requests.length - notWritten), {
          cause: failure.cause,
        });
      }
      written += batch.length;
    }
    return written;
  }

  /** Writes one batch; answers what is still unwritten when the attempts run out. */
  private async writeBatch(requests: WriteRequest[]): Promise<{ left: number; cause: unknown } | undefined> {
    let pending: WriteRequest[] = requests;
    let cause: unknown;
    for (let attempt = 1; ; attempt++) {
      try {
        const output = await this.client.send(
          new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        pending = output.UnprocessedItems?.[this.tableName] ?? [];
        cause = undefined;
      } catch (error) {
        if (!isThrottling(error)) throw error;
        cause = error;
      }
      if (pending.length === 0) return undefined;
      if (attempt >= this.maxWriteAttempts) return { left: pending.length, cause };
      await this.sleep(backoffMs(attempt));
    }
  }

  /**
   * Writes the visitor's erasure record, or moves its erasure time forward; never back, so of two racing
   * erasures the later time wins. Answers the erasure time in effect.
   */
  private async recordErasure(visitorId: string): Promise<number> {
    const erasedAt = this.now();
    const key = erasureKey(visitorId);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({
            [TABLE_KEY.name]: key,
            [ERASED_AT_ATTRIBUTE]: erasedAt,
            [TTL_ATTRIBUTE]: expiresAtFor(erasedAt, this.erasureRetentionDays),
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
  protected async erasuresOf(visitorIds: readonly string[]): Promise<Map<string, number>> {
    const byKey = new Map(visitorIds.map((visitorId) => [erasureKey(visitorId), visitorId]));
    const items = await this.batchGet([...byKey.keys()], {
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

  /**
   * The items of these table keys that exist, with the attributes `projection` names, in batches of
   * {@link BATCH_GET_SIZE}, retrying unprocessed keys with backoff. Throttling that outlasts the retries is a
   * {@link StoreThrottledError}: not knowing (whether a visitor is erased, above all) is no answer, and nothing
   * may be written on a guess.
   */
  private async batchGet(
    keys: readonly string[],
    options: { consistent?: boolean; projection: string; names: Record<string, string> },
  ): Promise<Key[]> {
    const items: Key[] = [];
    for (let start = 0; start < keys.length; start += BATCH_GET_SIZE) {
      let pending: Key[] = keys
        .slice(start, start + BATCH_GET_SIZE)
        .map((key) => ({ [TABLE_KEY.name]: { S: key } }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        const output = await this.read(() =>
          this.client.send(
            new BatchGetItemCommand({
              RequestItems: {
                [this.tableName]: {
                  Keys: pending,
                  ...(options.consistent === true && { ConsistentRead: true }),
                  ProjectionExpression: options.projection,
                  ExpressionAttributeNames: options.names,
                },
              },
            }),
          ),
        );
        items.push(...(output.Responses?.[this.tableName] ?? []));
        pending = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        if (pending.length === 0) break;
        if (attempt >= this.maxWriteAttempts) {
          throw new StoreThrottledError('DynamoDB is throttling reads. Retry later.');
        }
        await this.sleep(backoffMs(attempt));
      }
    }
    return items;
  }

  /** Turns throttling that outlasted the SDK's retries into the domain error callers know how to answer. */
  private async read<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isThrottling(error)) {
        throw new StoreThrottledError('DynamoDB is throttling reads. Retry later.', { cause: error });
      }
      throw error;
    }
  }

  /** Where a v3 paginationKey (a requestId of the same visitor) sits in the visitor's history. */
  private async positionOf(requestId: string, visitorId: string): Promise<CursorPosition> {
    const invalid = new ValidationError(
      'paginationKey',
      'The paginationKey is not an event of this visitor: pass back the paginationKey of an earlier response unchanged.',
    );
    if (!isId(requestId)) throw invalid;
    // Expiry is deliberately ignored: an expired event still marks a valid position.
    const output = await this.read(() =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { [TABLE_KEY.name]: { S: requestId } },
          ProjectionExpression: '#visitorId, #timestamp',
          ExpressionAttributeNames: {
            '#visitorId': INDEXES.byVisitor.partitionKey.name,
            '#timestamp': TIMESTAMP,
          },
        }),
      ),
    );
    const item = output.Item === undefined ? undefined : unmarshall(output.Item);
    if (item === undefined || item.visitorId !== visitorId || typeof item.timestamp !== 'number')
      throw invalid;
    return { requestId, timestamp: item.timestamp };
  }

  /**
   * Reads `limit` items of the index newest first (plus one, which only tells whether more exist) and keeps
   * those that are live and carry the linkedId filter. The filter runs here, after the read, so `limit` is
   * what the page costs however selective the filter: the v3 semantics of `limit`, "scanned before
   * filtering". The next page starts after the last item read, matching or not, so it may be empty of
   * matches while `next` is present. (The filter runs in code rather than as a FilterExpression because the
   * extra item must be told apart from the page: a FilterExpression would hide which item was the last read.)
   */
  private async queryPage(request: PageRequest): Promise<EventPage & { scanned: number }> {
    const index = INDEXES[request.index];
    const names: Record<string, string> = { '#pk': index.partitionKey.name };
    const values: Record<string, unknown> = { ':pk': request.partitionValue };
    let keyCondition = '#pk = :pk';
    // Unused names are an error in DynamoDB: #ts only when the condition uses it.
    if (request.before !== undefined && request.after !== undefined) {
      // BETWEEN is inclusive; timestamps are whole milliseconds.
      keyCondition += ' AND #ts BETWEEN :low AND :high';
      names['#ts'] = TIMESTAMP;
      values[':low'] = request.after + 1;
      values[':high'] = request.before - 1;
    } else if (request.before !== undefined) {
      keyCondition += ' AND #ts < :before';
      names['#ts'] = TIMESTAMP;
      values[':before'] = request.before;
    } else if (request.after !== undefined) {
      keyCondition += ' AND #ts > :after';
      names['#ts'] = TIMESTAMP;
      values[':after'] = request.after;
    }
    const base: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: index.indexName,
      KeyConditionExpression: keyCondition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: marshall(values),
      ScanIndexForward: request.oldestFirst === true,
    };

    const events: NormalizedEvent[] = [];
    let read = 0;
    let last: CursorPosition | undefined;
    let more = false;
    // The table key is part of a GSI's start key, so events sharing a timestamp still have distinct positions.
    let startKey: Key | undefined =
      request.start === undefined
        ? undefined
        : marshall({
            [TABLE_KEY.name]: request.start.requestId,
            [index.partitionKey.name]: request.partitionValue,
            [TIMESTAMP]: request.start.timestamp,
          });
    do {
      // A response stops at 1 MB, so a page may take several reads; none reads past `limit` + 1 items.
      const output = await this.read(() =>
        this.client.send(
          new QueryCommand({
            ...base,
            Limit: request.limit + 1 - read,
            ...(startKey !== undefined && { ExclusiveStartKey: startKey }),
          }),
        ),
      );
      for (const raw of output.Items ?? []) {
        if (read === request.limit) {
          more = true;
          break;
        }
        read += 1;
        const item = unmarshall(raw);
        last = { requestId: String(item[TABLE_KEY.name]), timestamp: Number(item[TIMESTAMP]) };
        if (
          !this.isExpired(item) &&
          (request.linkedIdFilter === undefined || item.linkedId === request.linkedIdFilter)
        ) {
          events.push(toEvent(item));
        }
      }
      startKey = output.LastEvaluatedKey;
    } while (!more && startKey !== undefined);

    if (!more || last === undefined) return { events, scanned: read };
    return {
      events,
      scanned: read,
      next: {
        cursor: encodeCursor(request.scope, last),
        lastRequestId: last.requestId,
        lastTimestamp: last.timestamp,
      },
    };
  }
}
