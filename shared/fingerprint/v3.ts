import type { NormalizedEvent } from '../domain/event.js';
import { PAGE_SIZES } from '../manifest/limits.js';
import * as z from '../validation/zod.js';
import {
  type Dialect,
  EmbeddedUpstreamError,
  field,
  normalizeEach,
  type SearchFilter,
  type SearchPage,
  type SearchWindow,
  UPSTREAM_METHODS,
  type UpstreamRequest,
} from './dialect.js';
import { normalizeV3Event, readV3IdentificationError } from './normalize-v3.js';
import { API_VERSIONS } from './types.js';

/** The most events asked for per `GET /events/search` page (`PAGE_SIZES.v3Search`, which says why). */
const V3_SEARCH_MAX_PAGE_SIZE = PAGE_SIZES.v3Search.max;

/** Documented as a string; a number (the key of `/events/search` is a timestamp) is accepted too. */
const pageKeySchema = z.optional(z.union([z.string(), z.pipe(z.number(), z.transform(String))]));

const searchBodySchema = z.object({
  events: z.array(z.unknown()),
  paginationKey: pageKeySchema,
});

/**
 * Server API v3 (deprecated): `Auth-API-Key` header; every history (visitorId, linkedId or both) from
 * `/events/search` with a `start`. `GET /visitors/{visitor_id}` is not used: Fingerprint removed it on
 * 2026-10-31 (ADR 0009).
 */
export const v3Dialect: Dialect = {
  version: API_VERSIONS.v3,
  routePrefix: '',

  authHeaders: (key) => ({ 'Auth-API-Key': key }),

  getEvent: (requestId) => ({
    route: 'GET /events/{request_id}',
    path: `/events/${encodeURIComponent(requestId)}`,
    parse: parseV3Event,
  }),

  searchPage: (filter, window, remaining, pageKey) => searchRequest(filter, window, remaining, pageKey),

  // 200 "The visitor ID is scheduled for deletion", with no content; 404 `VisitorNotFound`.
  deleteVisitor: (visitorId) => ({
    method: UPSTREAM_METHODS.delete,
    route: 'DELETE /visitors/{visitor_id}',
    path: `/visitors/${encodeURIComponent(visitorId)}`,
    discardBody: true,
    parse: () => undefined,
  }),
};

function searchRequest(
  filter: SearchFilter,
  window: SearchWindow,
  remaining: number,
  pageKey: string | undefined,
): UpstreamRequest<SearchPage> {
  const query = new URLSearchParams();
  if (filter.visitorId !== undefined) query.set('visitor_id', filter.visitorId);
  if (filter.linkedId !== undefined) query.set('linked_id', filter.linkedId);
  // Unix ms, the only form v3 documents. Without `start` the search covers the last 7 days only.
  query.set('start', String(window.start));
  if (window.end !== undefined) query.set('end', String(window.end));
  query.set('limit', String(Math.min(remaining, V3_SEARCH_MAX_PAGE_SIZE)));
  if (pageKey !== undefined) query.set('pagination_key', pageKey);
  return {
    route: 'GET /events/search',
    path: '/events/search',
    query,
    parse: (body) => {
      const page = searchBodySchema.parse(body);
      return {
        // An event of a page whose identification is an error is skipped like any event without one (the
        // reason is `products.identification.data`, the message quotes the error): retrying the whole page
        // for it would cost up to 100 events' worth of calls and may never succeed.
        ...normalizeEach(page.events, normalizeV3Event, v3EventId),
        ...(page.paginationKey && { nextPageKey: page.paginationKey }),
      };
    },
  };
}

/**
 * A v3 event, unless Fingerprint put an error where its identification should be (HTTP 200 all the same):
 * then the call is retried like the status the error stands for. Only when the identification data is truly
 * absent: data that is present but invalid is the fault, whatever error sits next to it, and asking again
 * would get the same invalid data.
 */
function parseV3Event(body: unknown): NormalizedEvent {
  try {
    return normalizeV3Event(body);
  } catch (failure) {
    // Only an event that cannot be normalized is looked at again.
    const identification = field(field(body, 'products'), 'identification');
    const data = field(identification, 'data');
    if (data !== undefined && data !== null) throw failure;
    const error = readV3IdentificationError(body);
    if (error === undefined) throw failure;
    const rateLimited = /too ?many ?requests|429/i.test(error.code);
    throw new EmbeddedUpstreamError(
      rateLimited ? 'rateLimited' : 'unavailable',
      `${error.code}: ${error.message}`,
    );
  }
}

function v3EventId(event: unknown): unknown {
  return field(field(field(field(event, 'products'), 'identification'), 'data'), 'requestId');
}
