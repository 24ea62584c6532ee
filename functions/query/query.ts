import type { UpstreamV4Event } from '../../shared/domain/upstream.js';
import type { EventList, VisitorHistory } from '../../shared/manifest/api-types.js';
import { lazily } from '../../shared/runtime/lazy.js';
import type { EventPage, EventStore } from '../../shared/store/event-store.js';

/**
 * The v3 visit and v4 event renderers, loaded by the first call of their routes: the function's most common
 * first call, `GET /events`, answers the normalized view and needs neither (esbuild keeps each in a chunk of
 * its own; docs/performance.md).
 */
const v3Rendering = lazily(() => import('./v3-visit.js'));
const v4Rendering = lazily(() => import('../../shared/fingerprint/v4-event.js'));

export interface QueryDeps {
  store: EventStore;
  /**
   * Whether v4 answers serve the upstream copies kept on the items (`STORE_UPSTREAM_EVENTS`); off, every v4
   * event is rendered from the normalized view, as `GET /v4/events/{event_id}` does, and no copy is read.
   * @default true
   */
  storeUpstream?: boolean;
  /** Epoch ms, for the default window of a v4 search. @default Date.now */
  now?: () => number;
}

export interface VisitorHistoryQuery {
  visitorId: string;
  requestId?: string;
  linkedId?: string;
  limit: number;
  before?: number;
  paginationKey?: string;
}

export type { EventList, VisitorHistory };

/**
 * A visitor's cached history in the v3 `/visitors` contract, newest first, with v3's semantics: `limit` is
 * the number of visits scanned before the `request_id` / `linked_id` filters, so a page costs `limit` reads
 * however selective the filters, and may hold fewer visits (none, even) with a `paginationKey` to go on.
 * `lastTimestamp` and `paginationKey` name the last visit scanned and appear only when more exist.
 */
export async function getVisitorHistory(
  query: VisitorHistoryQuery,
  deps: QueryDeps,
): Promise<VisitorHistory> {
  const page = await deps.store.listByVisitor({
    visitorId: query.visitorId,
    limit: query.limit,
    ...(query.linkedId !== undefined && { linkedId: query.linkedId }),
    ...(query.before !== undefined && { before: query.before }),
    ...(query.paginationKey !== undefined && { afterRequestId: query.paginationKey }),
  });
  const events =
    query.requestId === undefined
      ? page.events
      : page.events.filter((event) => event.requestId === query.requestId);
  const { toV3Visit } = await v3Rendering();
  return {
    visitorId: query.visitorId,
    visits: events.map(toV3Visit),
    ...(page.next !== undefined && {
      lastTimestamp: page.next.lastTimestamp,
      paginationKey: page.next.lastRequestId,
    }),
  };
}

export interface EventListQuery {
  visitorId?: string;
  linkedId?: string;
  limit: number;
  cursor?: string;
}

/**
 * A page of cached events newest first, by visitorId (optionally filtered by linkedId) or by linkedId.
 * The caller guarantees at least one of the two. As on `/visitors`, `limit` counts the events read before
 * the linkedId filter (and expiry), so a page costs at most `limit` reads and may hold fewer events with a
 * `nextCursor` to go on.
 */
export async function listCachedEvents(query: EventListQuery, deps: QueryDeps): Promise<EventList> {
  const { visitorId, linkedId, limit, cursor } = query;
  const common = { limit, ...(cursor !== undefined && { cursor }) };
  let page: EventPage;
  if (visitorId !== undefined) {
    page = await deps.store.listByVisitor({
      visitorId,
      ...common,
      ...(linkedId !== undefined && { linkedId }),
    });
  } else if (linkedId !== undefined) {
    page = await deps.store.listByLinkedId({ linkedId, ...common });
  } else {
    throw new TypeError('listCachedEvents needs a visitorId or a linkedId');
  }
  return { events: page.events, ...(page.next !== undefined && { nextCursor: page.next.cursor }) };
}

export interface V4SearchQuery {
  visitor_id?: string;
  linked_id?: string;
  limit: number;
  pagination_key?: string;
  /** Epoch ms, as the caller gave it. */
  start?: number;
  end?: number;
  reverse: boolean;
}

/** Fingerprint's v4 `EventSearch`. */
export interface V4EventSearch {
  events: UpstreamV4Event[];
  pagination_key?: string;
}

/**
 * Most events of a visitor one page of a visitor_id + linked_id search reads: the filter is applied after the
 * read, so a selective linkedId could otherwise read a whole history for one page. A page cut short by it has
 * fewer than `limit` events and a `pagination_key`, as v4's `limit` is a maximum.
 */
export const V4_SEARCH_MAX_SCANNED = 1000;

const DEFAULT_WINDOW_MS = 7 * 86_400_000;

/**
 * `GET /v4/events` from the cache, with v4's semantics: the events of the window (`start`, default 7 days ago;
 * `end`, default now; both exclusive), newest first or oldest first with `reverse`, `limit` at most per page,
 * and a `pagination_key` while more remain. Each event is Fingerprint's own copy when the cache keeps it (read
 * from the table in one batch: the indexes do not hold them), else rendered from the normalized view.
 */
export async function searchV4Events(query: V4SearchQuery, deps: QueryDeps): Promise<V4EventSearch> {
  const now = (deps.now ?? Date.now)();
  const page = await deps.store.searchEvents({
    ...(query.visitor_id !== undefined && { visitorId: query.visitor_id }),
    ...(query.linked_id !== undefined && { linkedId: query.linked_id }),
    limit: query.limit,
    maxScanned: Math.max(query.limit, V4_SEARCH_MAX_SCANNED),
    after: query.start ?? now - DEFAULT_WINDOW_MS,
    // "Defaults to now": an event of this very millisecond is in.
    before: query.end ?? now + 1,
    oldestFirst: query.reverse,
    ...(query.pagination_key !== undefined && { cursor: query.pagination_key }),
    cursorName: 'pagination_key',
    // A key continues the window as it was asked for; a defaulted bound follows the clock.
    binding: JSON.stringify([query.start ?? null, query.end ?? null]),
  });
  const copies =
    (deps.storeUpstream ?? true) && page.events.length > 0
      ? await deps.store.getUpstreamEvents(page.events.map((event) => event.requestId))
      : new Map<string, UpstreamV4Event>();
  const { renderV4Event } = await v4Rendering();
  return {
    events: page.events.map((event) => copies.get(event.requestId) ?? renderV4Event(event)),
    ...(page.next !== undefined && { pagination_key: page.next.cursor }),
  };
}
