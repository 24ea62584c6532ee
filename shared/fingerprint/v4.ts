import { UpstreamRejectedError } from '../domain/errors.js';
import { PAGE_SIZES } from '../manifest/limits.js';
import * as z from '../validation/zod.js';
import {
  type Dialect,
  field,
  normalizeEach,
  type SearchFilter,
  type SearchPage,
  type SearchWindow,
  UPSTREAM_METHODS,
  type UpstreamRequest,
} from './dialect.js';
import { normalizeV4Event } from './normalize-v4.js';
import { API_VERSIONS } from './types.js';

/** `limit` of `GET /v4/events` is documented as 1–100. */
const V4_MAX_PAGE_SIZE = PAGE_SIZES.v4Search.max;

const searchBodySchema = z.object({
  events: z.array(z.unknown()),
  pagination_key: z.optional(z.string()),
});

/** Server API v4: `/v4` routes, snake_case parameters, `Authorization: Bearer`. */
export const v4Dialect: Dialect = {
  version: API_VERSIONS.v4,
  routePrefix: '/v4',

  authHeaders: (key) => ({ Authorization: `Bearer ${key}` }),

  getEvent: (requestId) => ({
    route: 'GET /v4/events/{event_id}',
    path: `/v4/events/${encodeURIComponent(requestId)}`,
    parse: (body) => {
      if (isEdgeAnalysis(body)) {
        throw new UpstreamRejectedError(
          `Event ${requestId} has no identification (an Edge analysis, not a device event): there is no visitor to store.`,
        );
      }
      return normalizeV4Event(body);
    },
  }),

  searchPage: (filter, window, remaining, pageKey) => searchRequest(filter, window, remaining, pageKey),

  // 200 "The visitor ID is scheduled for deletion", with no content; 404 `visitor_not_found`.
  deleteVisitor: (visitorId) => ({
    method: UPSTREAM_METHODS.delete,
    route: 'DELETE /v4/visitors/{visitor_id}',
    path: `/v4/visitors/${encodeURIComponent(visitorId)}`,
    discardBody: true,
    parse: () => undefined,
  }),
};

/**
 * Edge analyses (`source: "edge"`) are events with an `event_id` but no `identification`, hence no visitorId:
 * they cannot be stored as visitor history, so search pages skip them instead of failing the whole page. A
 * body with neither is malformed, which the normalizer reports.
 */
function isEdgeAnalysis(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'event_id' in event && !('identification' in event);
}

function searchRequest(
  filter: SearchFilter,
  window: SearchWindow,
  remaining: number,
  pageKey: string | undefined,
): UpstreamRequest<SearchPage> {
  const query = new URLSearchParams();
  if (filter.visitorId !== undefined) query.set('visitor_id', filter.visitorId);
  if (filter.linkedId !== undefined) query.set('linked_id', filter.linkedId);
  // RFC3339, the documented form (unix ms is accepted "for backward compatibility"). Without `start` the
  // search covers the last 7 days only.
  query.set('start', new Date(window.start).toISOString());
  if (window.end !== undefined) query.set('end', new Date(window.end).toISOString());
  query.set('limit', String(Math.min(remaining, V4_MAX_PAGE_SIZE)));
  if (pageKey !== undefined) query.set('pagination_key', pageKey);
  return {
    route: 'GET /v4/events',
    path: '/v4/events',
    query,
    parse: (body) => {
      const page = searchBodySchema.parse(body);
      const devices = page.events.filter((event) => !isEdgeAnalysis(event));
      return {
        ...normalizeEach(devices, normalizeV4Event, (event) => field(event, 'event_id')),
        ...(page.pagination_key && { nextPageKey: page.pagination_key }),
      };
    },
    // v4 answers 404 for a visitor it has never seen, where v3 answers an empty history: both become [].
    onNotFound: (body) => (body.code === 'visitor_not_found' ? { events: [], skipped: [] } : undefined),
  };
}
