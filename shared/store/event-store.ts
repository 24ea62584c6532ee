import type { NormalizedEvent } from '../domain/event.js';

export interface VisitorQuery {
  visitorId: string;
  /**
   * How many events of the visitor the page reads, newest first, before the linkedId filter and expiry: the
   * v3 `limit` ("scanned before filtering"). It bounds what a page costs however selective the filter; a page
   * holds at most `limit` events, fewer when some are filtered out, with `next` to go on.
   */
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
  /** How many events the page reads, expired ones included; as in {@link VisitorQuery.limit}. */
  limit: number;
  cursor?: string;
}

export interface EventPage {
  /** Newest first, none expired. */
  events: NormalizedEvent[];
  /**
   * Present only when the index holds more events of the query's partition after the last one read (which
   * may have been filtered out: the next page can be empty of matches, and end the paging).
   */
  next?: {
    /** Opaque; pass back as `cursor` to get the next page of the same query. */
    cursor: string;
    /** The last event read, matching or not: the v3 `paginationKey`. */
    lastRequestId: string;
    /** Its timestamp: the v3 `lastTimestamp`. */
    lastTimestamp: number;
  };
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
}
