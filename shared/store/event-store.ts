import type { NormalizedEvent } from '../domain/event.js';

export interface VisitorQuery {
  visitorId: string;
  limit: number;
  /** Only events carrying this linkedId. */
  linkedId?: string;
  /** Only events strictly older than this timestamp (ms): the v3 `before` parameter. */
  before?: number;
  /** Continue after this requestId of the same visitor: the v3 `paginationKey`. */
  afterRequestId?: string;
  /** Continue from an opaque cursor returned by an earlier page of the same query. */
  cursor?: string;
}

export interface LinkedIdQuery {
  linkedId: string;
  limit: number;
  cursor?: string;
}

export interface EventPage {
  /** Newest first, none expired. */
  events: NormalizedEvent[];
  /** Present only when more matching events exist after this page. */
  next?: {
    /** Opaque; pass back as `cursor` to get the next page of the same query. */
    cursor: string;
    lastRequestId: string;
    lastTimestamp: number;
  };
}

/** Which history: a visitorId, a linkedId, or both. At least one is set. */
export interface HistoryFilter {
  visitorId?: string;
  linkedId?: string;
}

/**
 * What the cache is known to hold of one history, written after each fetch from the Server API. Without it
 * the cache proves nothing: events also arrive one by one (a requestId, a webhook, read-through), so a cached
 * newest event does not mean the older ones are cached.
 */
export interface HistorySync {
  /** Epoch ms: the start of the window of the last full fetch. Every event after it was fetched and stored. */
  from: number;
  /** Epoch ms: the newest event's timestamp fetched so far; absent while the history is empty. */
  newest?: number;
  /**
   * Set when the full fetch stopped at `maxEvents` before reaching `from`: only the newest `depth` events
   * (and any newer ones fetched since) are known to be cached.
   */
  depth?: number;
}

/**
 * The cache of normalized events. Reads never return an expired event, even before DynamoDB's lazy TTL
 * deletion removes it. Failures: `ValidationError` for a malformed cursor or paginationKey, and
 * `StoreThrottledError` when DynamoDB keeps throttling.
 */
export interface EventStore {
  /** Idempotent: an event stored twice is one item. Returns how many events were written. */
  putEvents(events: readonly NormalizedEvent[]): Promise<number>;
  getEvent(requestId: string): Promise<NormalizedEvent | undefined>;
  listByVisitor(query: VisitorQuery): Promise<EventPage>;
  listByLinkedId(query: LinkedIdQuery): Promise<EventPage>;
  /**
   * Deletes every stored event of the visitor, expired ones included (they are data until DynamoDB's TTL
   * removes them). Idempotent: erasing a visitor with nothing stored deletes nothing. Returns how many events
   * were deleted.
   */
  deleteVisitor(visitorId: string): Promise<number>;
  /** What the cache holds of a history, or `undefined` when it was never fetched (or the record expired). */
  getHistorySync(filter: HistoryFilter): Promise<HistorySync | undefined>;
  /** Records what the cache holds of a history, replacing the previous record. */
  putHistorySync(filter: HistoryFilter, sync: HistorySync): Promise<void>;
}
