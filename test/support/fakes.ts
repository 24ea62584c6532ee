import { NotFoundError, ValidationError } from '../../shared/domain/errors.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { requireId } from '../../shared/domain/ids.js';
import { type UpstreamV4Event, upstreamV4Of } from '../../shared/domain/upstream.js';
import { DEFAULT_HISTORY_DAYS, validateSearch, validateWindow } from '../../shared/fingerprint/client.js';
import {
  type CallOptions,
  type FingerprintClient,
  type SearchQuery,
  type SearchResult,
  TRUNCATIONS,
} from '../../shared/fingerprint/types.js';
import {
  type CursorPosition,
  type CursorScope,
  decodeCursor,
  encodeCursor,
} from '../../shared/store/cursor.js';
// The write rules every store applies (ids, record keys, erasure coverage), shared rather than copied.
import { assertStorable, isErased } from '../../shared/store/dynamodb-event-item.js';
import { requireLimit, searchScopeOf, visitorScopeOf } from '../../shared/store/dynamodb-event-pager.js';
import type {
  ErasureOutcome,
  EventPage,
  EventSearchQuery,
  EventStore,
  HistoryFilter,
  HistorySync,
  LinkedIdQuery,
  PutIfAbsentOutcome,
  StoreOutcome,
  VisitorQuery,
  WebhookEventStore,
} from '../../shared/store/event-store.js';
import { expiresAtFor } from '../../shared/store/schema.js';

/** `EVENT_TTL_DAYS`' default. */
export const FAKE_TTL_DAYS = 90;

export interface FakeEventStoreOptions {
  /** Days an event is served after its timestamp. @default FAKE_TTL_DAYS */
  ttlDays?: number;
  /** The clock (epoch ms) deciding what has expired and when an erasure happens. @default Date.now */
  now?: () => number;
}

/**
 * The event store port and the webhook's for use-case tests, in one store in memory. It keeps the contract of
 * the DynamoDB stores, checked by the one suite both run (`test/contract/event-store-port.ts`): the TTL (an
 * event stops being served `ttlDays` after it happened, and one already past it is not written), erasures and their records, history
 * sync records, and pages with the store's own cursors. A test may still script the pages the history reads
 * answer (`nextPage`); the queries asked are recorded either way.
 */
export class FakeEventStore implements EventStore, WebhookEventStore {
  /**
   * The stored events by requestId, expired ones included (as DynamoDB keeps an item until its TTL deletion
   * runs): reads decide expiry from the event's timestamp, as the DynamoDB store does from `expiresAt`.
   */
  readonly items = new Map<string, NormalizedEvent>();
  readonly visitorQueries: VisitorQuery[] = [];
  readonly linkedIdQueries: LinkedIdQuery[] = [];
  readonly searchQueries: EventSearchQuery[] = [];
  /** Erasure time per erased visitor. */
  readonly erasures = new Map<string, number>();
  /** When set, every history read (`listByVisitor`, `listByLinkedId`, `searchEvents`) answers this page. */
  nextPage: EventPage | undefined;
  /** When set, every write fails with it. */
  failWith: Error | undefined;
  readonly #historySyncs = new Map<string, { sync: HistorySync; expiresAt: number }>();
  readonly #ttlDays: number;
  readonly #now: () => number;

  constructor(options: FakeEventStoreOptions = {}) {
    this.#ttlDays = options.ttlDays ?? FAKE_TTL_DAYS;
    this.#now = options.now ?? Date.now;
  }

  async putEvents(events: readonly NormalizedEvent[]): Promise<number> {
    return (await this.storeEvents(events)).stored;
  }

  async storeEvents(events: readonly NormalizedEvent[]): Promise<StoreOutcome> {
    if (this.failWith !== undefined) throw this.failWith;
    const pending = new Map<string, NormalizedEvent>();
    for (const event of events) {
      assertStorable(event);
      pending.delete(event.requestId);
      if (!this.#isExpired(event)) pending.set(event.requestId, event);
    }
    const suppressed: string[] = [];
    let stored = 0;
    for (const event of pending.values()) {
      if (isErased(event, this.erasures)) {
        suppressed.push(event.requestId);
        continue;
      }
      this.items.set(event.requestId, event);
      stored += 1;
    }
    return { stored, suppressed };
  }

  /**
   * Like DynamoDB's conditional put, it sees an item past its TTL that was not deleted yet: only a live event
   * can be written, so the stored one is then a duplicate of an expired event or a conflict.
   */
  async putEventIfAbsent(event: NormalizedEvent): Promise<PutIfAbsentOutcome> {
    if (this.failWith !== undefined) throw this.failWith;
    assertStorable(event);
    if (this.#isExpired(event)) return { outcome: 'expired' };
    if (isErased(event, this.erasures)) return { outcome: 'suppressed' };
    const stored = this.items.get(event.requestId);
    if (stored === undefined) {
      this.items.set(event.requestId, event);
      return { outcome: 'stored' };
    }
    const fields = (['visitorId', 'timestamp'] as const).filter((field) => stored[field] !== event[field]);
    return fields.length === 0 ? { outcome: 'duplicate' } : { outcome: 'conflict', fields };
  }

  async getEvent(requestId: string): Promise<NormalizedEvent | undefined> {
    const event = this.items.get(requestId);
    return event === undefined || this.#isExpired(event) ? undefined : event;
  }

  async listByVisitor(query: VisitorQuery): Promise<EventPage> {
    this.visitorQueries.push(query);
    if (this.nextPage !== undefined) return this.nextPage;
    const { visitorId, linkedId, before, limit } = query;
    // The port's rules for a history query, as the DynamoDB store applies them.
    const scope = visitorScopeOf(query);
    let start: CursorPosition | undefined;
    if (query.cursor !== undefined) {
      start = await decodeCursor(query.cursor, scope);
    } else if (query.afterRequestId !== undefined) {
      start = this.#positionOf(query.afterRequestId, visitorId);
    }
    const history = this.#index((event) => event.visitorId === visitorId).filter(
      (event) => before === undefined || event.timestamp < before,
    );
    return this.#page(history, { start, limit, maxScanned: limit, scope, linkedIdFilter: linkedId });
  }

  async listByLinkedId(query: LinkedIdQuery): Promise<EventPage> {
    this.linkedIdQueries.push(query);
    if (this.nextPage !== undefined) return this.nextPage;
    const { linkedId, limit } = query;
    requireId(linkedId, 'linkedId');
    requireLimit(limit);
    const scope: CursorScope = { index: 'byLinkedId', linkedId };
    const start = query.cursor === undefined ? undefined : await decodeCursor(query.cursor, scope);
    const history = this.#index((event) => event.linkedId === linkedId);
    return this.#page(history, { start, limit, maxScanned: limit, scope });
  }

  async searchEvents(query: EventSearchQuery): Promise<EventPage> {
    this.searchQueries.push(query);
    if (this.nextPage !== undefined) return this.nextPage;
    const { visitorId, linkedId, limit, after, before } = query;
    // The port's rules for a search, as the DynamoDB store applies them.
    const scope = searchScopeOf(query);
    const oldestFirst = query.oldestFirst ?? false;
    const start =
      query.cursor === undefined ? undefined : await decodeCursor(query.cursor, scope, query.cursorName);
    const inWindow = (timestamp: number) =>
      (after === undefined || timestamp > after) && (before === undefined || timestamp < before);
    if (start !== undefined && !inWindow(start.timestamp)) return { events: [] };
    const history = this.#index((event) =>
      visitorId !== undefined ? event.visitorId === visitorId : event.linkedId === linkedId,
    ).filter((event) => inWindow(event.timestamp));
    if (oldestFirst) history.reverse();
    return this.#page(history, {
      start,
      limit,
      maxScanned: query.maxScanned,
      scope,
      linkedIdFilter: visitorId !== undefined ? linkedId : undefined,
      oldestFirst,
    });
  }

  async getUpstreamEvents(requestIds: readonly string[]): Promise<Map<string, UpstreamV4Event>> {
    const copies = new Map<string, UpstreamV4Event>();
    for (const requestId of requestIds) {
      const stored = await this.getEvent(requestId);
      const copy = stored === undefined ? undefined : upstreamV4Of(stored);
      if (copy !== undefined) copies.set(requestId, copy);
    }
    return copies;
  }

  async getHistorySync(filter: HistoryFilter): Promise<HistorySync | undefined> {
    const record = this.#historySyncs.get(historyKey(filter));
    return record === undefined || record.expiresAt <= this.#nowSeconds() ? undefined : record.sync;
  }

  /** Kept as long as an event stored now, as the DynamoDB store keeps it. */
  async putHistorySync(filter: HistoryFilter, sync: HistorySync): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    this.#historySyncs.set(historyKey(filter), {
      sync: { ...sync },
      expiresAt: expiresAtFor(this.#now(), this.#ttlDays),
    });
  }

  async deleteVisitor(visitorId: string): Promise<number> {
    if (this.failWith !== undefined) throw this.failWith;
    requireId(visitorId, 'visitorId');
    return this.#sweep(visitorId, Number.POSITIVE_INFINITY);
  }

  async eraseVisitor(visitorId: string): Promise<ErasureOutcome> {
    if (this.failWith !== undefined) throw this.failWith;
    requireId(visitorId, 'visitorId');
    // Never moved back: of two erasures, the later time wins.
    const erasedAt = Math.max(this.#now(), this.erasures.get(visitorId) ?? 0);
    this.erasures.set(visitorId, erasedAt);
    return { erasedAt, deleted: this.#sweep(visitorId, erasedAt) };
  }

  /** Deletes the visitor's events (expired ones included: they are data until the TTL removes them) up to `upTo`. */
  #sweep(visitorId: string, upTo: number): number {
    let deleted = 0;
    for (const [requestId, event] of this.items) {
      if (event.visitorId !== visitorId || event.timestamp > upTo) continue;
      this.items.delete(requestId);
      deleted += 1;
    }
    return deleted;
  }

  #nowSeconds(): number {
    return Math.floor(this.#now() / 1000);
  }

  #isExpired(event: NormalizedEvent): boolean {
    return expiresAtFor(event.timestamp, this.#ttlDays) <= this.#nowSeconds();
  }

  /** An index's partition, newest first, expired events included (as a DynamoDB index holds them). */
  #index(inPartition: (event: NormalizedEvent) => boolean): NormalizedEvent[] {
    return [...this.items.values()].filter(inPartition).sort(compareNewestFirst);
  }

  /** Where a v3 paginationKey sits in the visitor's history; an expired event still marks a position. */
  #positionOf(requestId: string, visitorId: string): CursorPosition {
    const event = this.items.get(requestId);
    if (event === undefined || event.visitorId !== visitorId) {
      throw new ValidationError(
        'paginationKey',
        'The paginationKey is not an event of this visitor: pass back the paginationKey of an earlier response unchanged.',
      );
    }
    return { requestId, timestamp: event.timestamp };
  }

  /**
   * Reads the partition after `start` until `limit` events match or `maxScanned` were read, skipping expired
   * events and those without the linkedId filter; `next` names the last event read when more are left.
   */
  #page(
    history: readonly NormalizedEvent[],
    options: {
      start: CursorPosition | undefined;
      limit: number;
      maxScanned: number;
      scope: CursorScope;
      linkedIdFilter?: string | undefined;
      oldestFirst?: boolean;
    },
  ): EventPage {
    const { start, limit, maxScanned, scope, linkedIdFilter } = options;
    const order = options.oldestFirst === true ? -1 : 1;
    let first = 0;
    if (start !== undefined) {
      first = history.findIndex((event) => order * compareNewestFirst(event, start) > 0);
      if (first === -1) first = history.length;
    }
    const events: NormalizedEvent[] = [];
    let at = first;
    let last: NormalizedEvent | undefined;
    while (at < history.length && events.length < limit && at - first < maxScanned) {
      const event = history[at] as NormalizedEvent;
      last = event;
      at += 1;
      if (!this.#isExpired(event) && (linkedIdFilter === undefined || event.linkedId === linkedIdFilter)) {
        events.push(withoutUpstream(event));
      }
    }
    if (last === undefined || at >= history.length) return { events };
    const position = { requestId: last.requestId, timestamp: last.timestamp };
    return {
      events,
      next: {
        cursor: encodeCursor(scope, position),
        lastRequestId: last.requestId,
        lastTimestamp: last.timestamp,
      },
    };
  }
}

function historyKey(filter: HistoryFilter): string {
  return JSON.stringify([filter.visitorId ?? null, filter.linkedId ?? null]);
}

/** Newest first; equal timestamps by requestId, so that every event has its own position. */
function compareNewestFirst(
  a: NormalizedEvent | CursorPosition,
  b: NormalizedEvent | CursorPosition,
): number {
  if (a.timestamp !== b.timestamp) return b.timestamp - a.timestamp;
  return a.requestId === b.requestId ? 0 : a.requestId < b.requestId ? -1 : 1;
}

/** A copy of the event without its upstream copy: history reads come from indexes that do not hold it. */
function withoutUpstream(event: NormalizedEvent): NormalizedEvent {
  return { ...event };
}

const DAY_MS = 86_400_000;

/**
 * A Fingerprint client port that answers from a list of events, or fails with a given error. It keeps the
 * contract of the HTTP client, checked by the one suite both run (`test/contract/fingerprint-client-port.ts`):
 * ids validated, `NotFoundError` for what it does not know, searches newest first inside their window (the
 * last `historyDays` by default), cut at `maxEvents` and said so.
 */
export class FakeFingerprintClient implements FingerprintClient {
  readonly calls: Array<{
    operation: 'getEvent' | 'searchEvents' | 'deleteVisitor';
    argument: string | SearchQuery;
  }> = [];
  failWith: Error | undefined;
  readonly #historyDays: number;
  readonly #now: () => number;

  constructor(
    readonly events: NormalizedEvent[] = [],
    options: { historyDays?: number; now?: () => number } = {},
  ) {
    this.#historyDays = options.historyDays ?? DEFAULT_HISTORY_DAYS;
    this.#now = options.now ?? Date.now;
  }

  async getEvent(requestId: string, _options: CallOptions): Promise<NormalizedEvent> {
    this.calls.push({ operation: 'getEvent', argument: requestId });
    if (this.failWith !== undefined) throw this.failWith;
    requireId(requestId, 'requestId');
    const event = this.events.find((candidate) => candidate.requestId === requestId);
    if (event === undefined) throw new NotFoundError(`FakeFingerprintClient has no event ${requestId}.`);
    return event;
  }

  /** Added to every search answer as is, to test how callers handle a partial history. */
  partial: Omit<SearchResult, 'events'> = { skipped: [] };

  async searchEvents(query: SearchQuery, _options: CallOptions): Promise<SearchResult> {
    this.calls.push({ operation: 'searchEvents', argument: query });
    if (this.failWith !== undefined) throw this.failWith;
    const { visitorId, linkedId } = validateSearch(query);
    const { start, end } = validateWindow(query, this.#now() - this.#historyDays * DAY_MS);
    const matching = this.events
      .filter((event) => visitorId === undefined || event.visitorId === visitorId)
      .filter((event) => linkedId === undefined || event.linkedId === linkedId)
      .filter((event) => event.timestamp > start && (end === undefined || event.timestamp < end))
      .sort((a, b) => b.timestamp - a.timestamp);
    const events = matching.slice(0, query.maxEvents);
    const truncated =
      matching.length > events.length
        ? {
            reason: TRUNCATIONS.maxEvents,
            detail: `maxEvents (${query.maxEvents}) reached while Fingerprint had more`,
          }
        : undefined;
    return { events, ...(truncated !== undefined && { truncated }), ...this.partial };
  }

  /** Succeeds (Fingerprint scheduled the deletion) for a visitor it knows, unless `failWith` is set. */
  async deleteVisitor(visitorId: string, _options: CallOptions): Promise<void> {
    this.calls.push({ operation: 'deleteVisitor', argument: visitorId });
    if (this.failWith !== undefined) throw this.failWith;
    requireId(visitorId, 'visitorId');
    if (!this.events.some((event) => event.visitorId === visitorId)) {
      throw new NotFoundError(`FakeFingerprintClient knows no visitor ${visitorId}.`);
    }
  }
}
