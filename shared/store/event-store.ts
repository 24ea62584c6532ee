import type { NormalizedEvent } from '../domain/event.js';
import type { UpstreamV4Event } from '../domain/upstream.js';

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

/**
 * A search of the cache in the v4 `GET /v4/events` sense: the events of a visitorId (optionally with a
 * linkedId) or of a linkedId, inside an open time window, newest or oldest first. Unlike {@link VisitorQuery},
 * `limit` counts the events answered: pages are read until `limit` events match, or `maxScanned` events were
 * read, or none are left.
 */
export interface EventSearchQuery {
  visitorId?: string;
  linkedId?: string;
  /** How many events the page holds at most. */
  limit: number;
  /** Most events read for one page, matching or not (the bound of a selective linkedId filter). */
  maxScanned: number;
  /** Epoch ms: only events strictly after it. */
  after?: number;
  /** Epoch ms: only events strictly before it. */
  before?: number;
  /** Oldest first (v4 `reverse=true`). @default false */
  oldestFirst?: boolean;
  /** Continue from the `next.cursor` of an earlier page of the same search. */
  cursor?: string;
  /** The caller-facing name of the cursor, named in errors. @default 'cursor' */
  cursorName?: string;
  /**
   * What else the cursor must belong to (up to 128 characters): the caller's own parameters, e.g. the window as
   * it was asked for. A cursor of a search with another binding is refused.
   */
  binding: string;
}

/**
 * What {@link WebhookEventStore.putEventIfAbsent} did with an event:
 * - `stored`: it was new and is now stored;
 * - `duplicate`: an event with this requestId, visitorId and timestamp was already stored and is left as is;
 * - `conflict`: an event with this requestId but another visitorId or timestamp (`fields`) is stored and is
 *   left as is;
 * - `expired`: it is already past its TTL, so it is not stored;
 * - `suppressed`: its visitor was erased at or after the moment it happened (ADR 7), so it is not stored.
 */
export type PutIfAbsentOutcome =
  | { outcome: 'stored' | 'duplicate' | 'expired' | 'suppressed' }
  | { outcome: 'conflict'; fields: readonly ('visitorId' | 'timestamp')[] };

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

/** What became of a batch of events handed to {@link EventStore.storeEvents}. */
export interface StoreOutcome {
  /** Events written and still stored. */
  stored: number;
  /**
   * RequestIds of the events not stored, or removed again at once, because their visitor was erased at or
   * after the event's timestamp (ADR 7).
   */
  suppressed: string[];
}

/** What one erasure of a visitor did. */
export interface ErasureOutcome {
  /**
   * The erasure time in effect (ms since the epoch): events of the visitor with a timestamp up to it are
   * erased and refused from now on. A later erasure of the same visitor moves it forward, never back.
   */
  erasedAt: number;
  /** Stored events deleted by this erasure (both sweeps). */
  deleted: number;
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
  /**
   * Idempotent: an event stored twice is one item. Returns how many events were written and kept. Events of
   * an erased visitor that happened before the erasure are never kept (see {@link storeEvents}).
   */
  putEvents(events: readonly NormalizedEvent[]): Promise<number>;
  /**
   * {@link putEvents} that also says which events were suppressed because their visitor was erased at or after
   * their timestamp. Every write of an event goes through this check, racing erasures included (ADR 7).
   */
  storeEvents(events: readonly NormalizedEvent[]): Promise<StoreOutcome>;
  /**
   * The event, not expired. When the item also keeps the upstream's v4 copy of it, that copy is attached to the
   * answer (`upstreamV4Of`).
   */
  getEvent(requestId: string): Promise<NormalizedEvent | undefined>;
  listByVisitor(query: VisitorQuery): Promise<EventPage>;
  listByLinkedId(query: LinkedIdQuery): Promise<EventPage>;
  /** A page of a v4-style search; see {@link EventSearchQuery}. Answered events carry no upstream copy. */
  searchEvents(query: EventSearchQuery): Promise<EventPage>;
  /**
   * The upstream v4 copies kept of these events, by requestId (the history indexes do not hold them): events
   * without one, and expired events, are absent from the answer.
   */
  getUpstreamEvents(requestIds: readonly string[]): Promise<Map<string, UpstreamV4Event>>;
  /**
   * Deletes every stored event of the visitor, expired ones included (they are data until DynamoDB's TTL
   * removes them). Idempotent: erasing a visitor with nothing stored deletes nothing. Returns how many events
   * were deleted.
   */
  deleteVisitor(visitorId: string): Promise<number>;
  /**
   * Erases a visitor for good: records the erasure (keyed by a hash of the visitorId, kept as long as any copy
   * of an older event could still be stored), then deletes every stored event of the visitor up to the erasure
   * time, twice, the second time once the visitor index has settled. From then on every write of an event of
   * the visitor with a timestamp not after the erasure is suppressed. Erasing a visitor with nothing stored
   * still records the erasure.
   */
  eraseVisitor(visitorId: string): Promise<ErasureOutcome>;
  /** What the cache holds of a history, or `undefined` when it was never fetched (or the record expired). */
  getHistorySync(filter: HistoryFilter): Promise<HistorySync | undefined>;
  /** Records what the cache holds of a history, replacing the previous record. */
  putHistorySync(filter: HistoryFilter, sync: HistorySync): Promise<void>;
}

/**
 * The webhook's store: it stores an event only if it is new, and does nothing else (the webhook neither reads nor
 * erases), so that the webhook function carries no more of the store than that write.
 */
export interface WebhookEventStore {
  /**
   * Stores one event unless an event with its requestId is already stored, atomically (a conditional write,
   * so of two concurrent calls exactly one stores): what is stored is never changed. Says whether the stored
   * event has the same identity (visitorId and timestamp) or another.
   */
  putEventIfAbsent(event: NormalizedEvent): Promise<PutIfAbsentOutcome>;
}

/** One call made once for all concurrent callers of a key (`DynamoDbRequestCoalescer`). */
export interface CoalesceCall<T> {
  /** Epoch ms after which a follower stops waiting; also the end of a leader's lease. */
  deadline: number;
  /** The call itself, made by one caller in the fleet at a time: fetch and store. */
  lead: () => Promise<T>;
  /** A follower's answer once the leader has stored its own; `undefined` when the store does not have it. */
  follow: () => Promise<T | undefined>;
  /** What a caller in the leader's process gets from the leader's answer. @default the answer itself */
  share?: (value: T) => T;
}

/**
 * Makes concurrent fetches of one key a single call, in this process and across instances: a port, so that the
 * use cases do not import its DynamoDB implementation.
 */
export interface RequestCoalescer {
  run<T>(key: string, call: CoalesceCall<T>): Promise<T>;
}
