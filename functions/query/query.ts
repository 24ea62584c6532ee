import type { NormalizedEvent } from '../../shared/domain/event.js';
import { toV3Visit, type V3Visit } from '../../shared/domain/v3-visit.js';
import type { EventPage, EventStore } from '../../shared/store/event-store.js';

export interface QueryDeps {
  store: EventStore;
}

export interface VisitorHistoryQuery {
  visitorId: string;
  requestId?: string;
  linkedId?: string;
  limit: number;
  before?: number;
  paginationKey?: string;
}

/** The Server API v3 `GET /visitors/{visitorId}` answer. */
export interface VisitorHistory {
  visitorId: string;
  visits: V3Visit[];
  lastTimestamp?: number;
  paginationKey?: string;
}

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

export interface EventList {
  events: NormalizedEvent[];
  nextCursor?: string;
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
