/**
 * The event table's pages: the v3 visitor history (`limit` scanned before the linkedId filter, by cursor or by
 * v3 paginationKey), the linkedId history and the v4 search (a window, either order, up to `maxScanned` items
 * read), each read through an index newest first by default and answered with a cursor bound to its query.
 */
import {
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { ValidationError } from '../domain/errors.js';
import type { NormalizedEvent } from '../domain/event.js';
import { isId, requireId } from '../domain/ids.js';
import { CURSOR_BINDING_MAX_LENGTH } from '../manifest/limits.js';
import type { CursorPosition, CursorScope } from './cursor.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { isExpired, toEvent } from './dynamodb-event-item.js';
import { INDEXES, type Key, readThrottled, TABLE_KEY, TIMESTAMP } from './dynamodb-table.js';
import type { EventPage, EventSearchQuery, LinkedIdQuery, VisitorQuery } from './event-store.js';
import type { EventIndexName } from './schema.js';

/** The port's rule for a page's `limit` (and a search's `maxScanned`). */
export function requireLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new ValidationError('limit', 'The limit must be a whole number of at least 1.');
  }
}

/**
 * Checks a visitor's history query as the `EventStore` port requires of every store (ids, limit, `before`, a
 * cursor or a paginationKey) and answers the scope its cursors are bound to.
 */
export function visitorScopeOf(query: VisitorQuery): CursorScope {
  const { visitorId, linkedId, before } = query;
  requireId(visitorId, 'visitorId');
  requireLimit(query.limit);
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
  return {
    index: 'byVisitor',
    visitorId,
    ...(linkedId !== undefined && { linkedId }),
    ...(before !== undefined && { before }),
  };
}

/**
 * Checks a search as the `EventStore` port requires of every store (a visitorId or a linkedId, valid ids,
 * limits, timestamps, the binding's length) and answers the scope its cursors are bound to.
 */
export function searchScopeOf(query: EventSearchQuery): CursorScope {
  const { visitorId, linkedId, after, before } = query;
  if (visitorId === undefined && linkedId === undefined) {
    throw new ValidationError('visitorId', 'Search by a visitorId, a linkedId, or both.');
  }
  if (visitorId !== undefined) requireId(visitorId, 'visitorId');
  if (linkedId !== undefined) requireId(linkedId, 'linkedId');
  requireLimit(query.limit);
  requireLimit(query.maxScanned);
  for (const [field, value] of [
    ['after', after],
    ['before', before],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new ValidationError(field, `${field} must be a timestamp in milliseconds since the epoch.`);
    }
  }
  if (query.binding.length > CURSOR_BINDING_MAX_LENGTH) {
    throw new RangeError(`A search's binding is at most ${CURSOR_BINDING_MAX_LENGTH} characters long`);
  }
  return {
    index: 'search',
    ...(visitorId !== undefined && { visitorId }),
    ...(linkedId !== undefined && { linkedId }),
    oldestFirst: query.oldestFirst ?? false,
    binding: query.binding,
  };
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

/** What the pager needs: the table, and the clock that decides which events have expired. */
export interface DynamoDbEventPagerOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Epoch ms. */
  now: () => number;
}

/**
 * The paged reads of the event table, one of the store's parts (the store answers the `EventStore` port's
 * page reads with it). Expiry is enforced on every read, since DynamoDB's TTL deletion lags.
 */
export class DynamoDbEventPager {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #now: () => number;

  constructor(options: DynamoDbEventPagerOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#now = options.now;
  }

  async listByVisitor(query: VisitorQuery): Promise<EventPage> {
    const { visitorId, linkedId, before, limit } = query;
    const scope = visitorScopeOf(query);
    let start: CursorPosition | undefined;
    if (query.cursor !== undefined) {
      start = await decodeCursor(query.cursor, scope);
    } else if (query.afterRequestId !== undefined) {
      start = await this.#positionOf(query.afterRequestId, visitorId);
      // Everything older than `before` already lies after such an event, and DynamoDB refuses a start key
      // outside the key condition.
      if (before !== undefined && start.timestamp >= before) start = undefined;
    }
    const { scanned: _scanned, ...page } = await this.#queryPage({
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
    const start = query.cursor === undefined ? undefined : await decodeCursor(query.cursor, scope);
    const { scanned: _scanned, ...page } = await this.#queryPage({
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
    const scope = searchScopeOf(query);
    const oldestFirst = query.oldestFirst ?? false;
    let start =
      query.cursor === undefined ? undefined : await decodeCursor(query.cursor, scope, query.cursorName);
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
      const page = await this.#queryPage({
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

  /** Where a v3 paginationKey (a requestId of the same visitor) sits in the visitor's history. */
  async #positionOf(requestId: string, visitorId: string): Promise<CursorPosition> {
    const invalid = new ValidationError(
      'paginationKey',
      'The paginationKey is not an event of this visitor: pass back the paginationKey of an earlier response unchanged.',
    );
    if (!isId(requestId)) throw invalid;
    // Expiry is deliberately ignored: an expired event still marks a valid position.
    const output = await readThrottled(() =>
      this.#client.send(
        new GetItemCommand({
          TableName: this.#tableName,
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
  async #queryPage(request: PageRequest): Promise<EventPage & { scanned: number }> {
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
      TableName: this.#tableName,
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
      const output = await readThrottled(() =>
        this.#client.send(
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
          !isExpired(item, this.#now()) &&
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
