import { setTimeout as delay } from 'node:timers/promises';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { StoreThrottledError, ValidationError } from '../domain/errors.js';
import type { NormalizedEvent } from '../domain/event.js';
import { ID_MESSAGES, isId, requireId } from '../domain/ids.js';
import type { CursorPosition, CursorScope } from './cursor.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { EventPage, EventStore, LinkedIdQuery, VisitorQuery } from './event-store.js';
import type { EventIndexName } from './schema.js';
import { EVENT_TABLE_SCHEMA, expiresAtFor, TTL_ATTRIBUTE } from './schema.js';

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
  /** Waits between write attempts; tests replace it to run without real delays. */
  sleep?: (ms: number) => Promise<void>;
}

type Item = Record<string, unknown>;
type Key = Record<string, AttributeValue>;

/** DynamoDB's limit on the number of requests in one `BatchWriteItem`. */
const BATCH_SIZE = 25;
const DEFAULT_MAX_WRITE_ATTEMPTS = 6;
// With 6 attempts the waits add up to at most 50+100+200+400+800 ms: well inside a Lambda timeout, long
// enough for on-demand capacity to adapt to a burst.
const BASE_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2_000;
// Filters run after Limit, so a selective filter needs larger reads; this caps one Query's Limit.
const MAX_QUERY_LIMIT = 1_000;
// Keys read per Query while erasing a visitor: four batches of deletes, so memory stays bounded however long
// the history, and a function that runs out of time has deleted whole pages (erasure is idempotent anyway).
const ERASE_PAGE_SIZE = 100;

const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

const { partitionKey: TABLE_KEY, indexes: INDEXES } = EVENT_TABLE_SCHEMA;
const TIMESTAMP = INDEXES.byVisitor.sortKey.name;

function isThrottling(error: unknown): boolean {
  return error instanceof Error && THROTTLING_ERRORS.has(error.name);
}

/** Full jitter: spreads retries of concurrent writers instead of synchronizing them. */
function backoffMs(attempt: number): number {
  return Math.random() * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (attempt - 1));
}

function assertStorable(event: NormalizedEvent): void {
  for (const kind of ['requestId', 'visitorId'] as const) {
    if (!isId(event[kind])) {
      throw new ValidationError(
        kind,
        `An event's ${kind} breaks the id rule; nothing was stored. ${ID_MESSAGES[kind]}`,
      );
    }
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

function toItem(event: NormalizedEvent, expiresAt: number): Item {
  // DynamoDB refuses an empty string as an index key; an empty linkedId means there is none.
  const { linkedId, ...rest } = event;
  return { ...rest, ...(linkedId !== '' && { linkedId }), [TTL_ATTRIBUTE]: expiresAt };
}

function toEvent(item: Item): NormalizedEvent {
  const { [TTL_ATTRIBUTE]: _expiresAt, ...event } = item;
  // Items are written only by putEvents, from a NormalizedEvent plus the TTL attribute removed above.
  return event as unknown as NormalizedEvent;
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
  before?: number;
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
  }

  /**
   * Writes events in batches of 25, retrying unprocessed items and throttling with backoff. Within one call
   * the last event with a given requestId wins, as if they were written one after another. Events already
   * past their TTL are skipped.
   *
   * @returns How many events were written.
   * @throws ValidationError when an event's ids or timestamp are malformed (before anything is written).
   * @throws StoreThrottledError when a batch is still not fully written after `maxWriteAttempts`; its message
   *   says how many events were not written.
   */
  async putEvents(events: readonly NormalizedEvent[]): Promise<number> {
    const nowSeconds = this.nowSeconds();
    const items = new Map<string, Item>();
    for (const event of events) {
      assertStorable(event);
      items.delete(event.requestId);
      const expiresAt = expiresAtFor(event.timestamp, this.ttlDays);
      if (expiresAt > nowSeconds) items.set(event.requestId, toItem(event, expiresAt));
    }
    const requests = [...items.values()].map(
      // `undefined` (an absent optional field) has no DynamoDB type: dropped at every depth.
      (item): WriteRequest => ({ PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) } }),
    );
    return this.writeAll(
      requests,
      (notWritten, written) =>
        `DynamoDB kept throttling writes: ${notWritten} of ${requests.length} events were not written ` +
        `after ${this.maxWriteAttempts} attempts (${written} were). Retry later.`,
    );
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
    const index = INDEXES.byVisitor;
    let startKey: Key | undefined;
    let deleted = 0;
    do {
      const output = await this.read(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: index.indexName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': index.partitionKey.name, '#key': TABLE_KEY.name },
            ExpressionAttributeValues: { ':pk': { S: visitorId } },
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
    // Nothing that fails the id rules is ever stored, and DynamoDB rejects some such keys outright.
    if (!isId(requestId)) return undefined;
    const output = await this.read(() =>
      this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: { [TABLE_KEY.name]: { S: requestId } } }),
      ),
    );
    const item = output.Item === undefined ? undefined : unmarshall(output.Item);
    if (item === undefined || this.isExpired(item)) return undefined;
    return toEvent(item);
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
    return this.queryPage({
      index: 'byVisitor',
      partitionValue: visitorId,
      limit,
      ...(before !== undefined && { before }),
      ...(linkedId !== undefined && { linkedIdFilter: linkedId }),
      ...(start !== undefined && { start }),
      scope,
    });
  }

  async listByLinkedId(query: LinkedIdQuery): Promise<EventPage> {
    const { linkedId, limit } = query;
    requireId(linkedId, 'linkedId');
    requireLimit(limit);
    const scope: CursorScope = { index: 'byLinkedId', linkedId };
    const start = query.cursor === undefined ? undefined : decodeCursor(query.cursor, scope);
    return this.queryPage({
      index: 'byLinkedId',
      partitionValue: linkedId,
      limit,
      ...(start !== undefined && { start }),
      scope,
    });
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
   * Reads the index newest first until `limit` matching events plus one are found (the extra one proves a
   * next page exists) or the partition is exhausted. Limit applies before the filter, hence the loop.
   */
  private async queryPage(request: PageRequest): Promise<EventPage> {
    const index = INDEXES[request.index];
    const names: Record<string, string> = {
      '#pk': index.partitionKey.name,
      '#ts': TIMESTAMP,
      '#expiresAt': TTL_ATTRIBUTE,
    };
    const values: Record<string, unknown> = { ':pk': request.partitionValue, ':now': this.nowSeconds() };
    let keyCondition = '#pk = :pk';
    let filter = '#expiresAt > :now';
    if (request.before !== undefined) {
      keyCondition += ' AND #ts < :before';
      values[':before'] = request.before;
    } else {
      // Unused names are an error in DynamoDB.
      delete names['#ts'];
    }
    if (request.linkedIdFilter !== undefined) {
      filter += ' AND #linkedId = :linkedId';
      names['#linkedId'] = INDEXES.byLinkedId.partitionKey.name;
      values[':linkedId'] = request.linkedIdFilter;
    }
    const base: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: index.indexName,
      KeyConditionExpression: keyCondition,
      FilterExpression: filter,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: marshall(values),
      ScanIndexForward: false,
    };

    const wanted = request.limit + 1;
    const matches: Item[] = [];
    // The table key is part of a GSI's start key, so events sharing a timestamp still have distinct positions.
    let startKey: Key | undefined =
      request.start === undefined
        ? undefined
        : marshall({
            [TABLE_KEY.name]: request.start.requestId,
            [index.partitionKey.name]: request.partitionValue,
            [TIMESTAMP]: request.start.timestamp,
          });
    let pageLimit = Math.min(wanted, MAX_QUERY_LIMIT);
    do {
      const output = await this.read(() =>
        this.client.send(
          new QueryCommand({
            ...base,
            Limit: pageLimit,
            ...(startKey !== undefined && { ExclusiveStartKey: startKey }),
          }),
        ),
      );
      matches.push(...(output.Items ?? []).map((item) => unmarshall(item)));
      startKey = output.LastEvaluatedKey;
      // Read more per round trip when the filter turned out to be selective.
      pageLimit = Math.min(Math.max(wanted - matches.length, pageLimit * 2), MAX_QUERY_LIMIT);
    } while (matches.length < wanted && startKey !== undefined);

    const events = matches.slice(0, request.limit).map(toEvent);
    const last = events.at(-1);
    if (matches.length <= request.limit || last === undefined) return { events };
    return {
      events,
      next: {
        cursor: encodeCursor(request.scope, { requestId: last.requestId, timestamp: last.timestamp }),
        lastRequestId: last.requestId,
        lastTimestamp: last.timestamp,
      },
    };
  }
}
