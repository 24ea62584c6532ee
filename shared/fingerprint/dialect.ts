import { ValidationError } from '../domain/errors.js';
import type { NormalizedEvent } from '../domain/event.js';
import type { ApiVersion, SkippedEvent } from './types.js';
import type { UpstreamErrorBody } from './upstream-errors.js';

/**
 * Thrown by a `parse` function when a 200 body carries an upstream failure instead of data: v3 answers
 * `products.identification.error` (e.g. `429 Too Many Requests`) with HTTP 200. Retried like the HTTP status
 * it stands for.
 */
export class EmbeddedUpstreamError extends Error {
  constructor(
    readonly kind: 'rateLimited' | 'unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'EmbeddedUpstreamError';
  }
}

/** The HTTP methods the client sends: reads, and the deletion of a visitor's data. */
export const UPSTREAM_METHODS = { get: 'GET', delete: 'DELETE' } as const;
export type UpstreamMethod = (typeof UPSTREAM_METHODS)[keyof typeof UPSTREAM_METHODS];

/** One request to the Server API, and how to read its answer. */
export interface UpstreamRequest<T> {
  /**
   * Every method the client sends is idempotent, so a failed attempt is retried whatever the method.
   * @default 'GET'
   */
  method?: UpstreamMethod;
  /** Path with every id already URL-encoded, e.g. `/v4/events/1708102555327.NLOjmg`. */
  path: string;
  query?: URLSearchParams;
  /** The route template (`GET /v4/events/{event_id}`): error messages name it, so ids stay out of them. */
  route: string;
  /**
   * Turns a 2xx JSON body into the result; throwing marks the body as unusable, which is never retried
   * (asking again gets the same answer), except for an {@link EmbeddedUpstreamError}. With `discardBody` it is
   * called with `undefined`.
   */
  parse: (body: unknown) => T;
  /**
   * The answer carries no data (a deletion answers 200 with no content): any 2xx succeeds, whatever its body.
   * @default false
   */
  discardBody?: boolean;
  /** The result of a 404 that means "nothing matches" rather than "no such thing"; `undefined` to throw. */
  onNotFound?: (body: UpstreamErrorBody) => T | undefined;
}

/** A search filter whose ids have been validated. At least one of them is set. */
export interface SearchFilter {
  visitorId?: string;
  linkedId?: string;
}

/** The time range of a search, in epoch ms; validated (`start` < `end`). */
export interface SearchWindow {
  start: number;
  end?: number;
}

export interface SearchPage {
  events: NormalizedEvent[];
  /** Events of the page that could not be normalized, in page order. */
  skipped: SkippedEvent[];
  /** Present when the upstream has more results; passed back as is to get them. */
  nextPageKey?: string;
}

/**
 * Normalizes every event of a search page, skipping (not failing on) those that cannot be normalized: one bad
 * event must not sink a whole history. The normalizer's `ValidationError.field` is the reason. Anything else
 * it throws is a bug, not bad data, and fails the page.
 */
export function normalizeEach(
  raw: readonly unknown[],
  normalize: (event: unknown) => NormalizedEvent,
  idOf: (event: unknown) => unknown,
): Pick<SearchPage, 'events' | 'skipped'> {
  const events: NormalizedEvent[] = [];
  const skipped: SkippedEvent[] = [];
  for (const item of raw) {
    try {
      events.push(normalize(item));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const id = idOf(item);
      skipped.push({
        reason: error.field,
        message: error.message,
        // Only to find the event in Fingerprint's dashboard from a log line; capped, as it is upstream text.
        ...(typeof id === 'string' && id !== '' && { eventId: id.slice(0, 100) }),
      });
    }
  }
  return { events, skipped };
}

/** `value[key]` when `value` is an object, else `undefined`: reads a raw payload without trusting it. */
export function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** How one Server API version names its routes, parameters, header and response fields. */
export interface Dialect {
  readonly version: ApiVersion;
  /**
   * The path every route of the version starts with (`/v4`), which the official documents put in their server
   * URL: a base URL that already ends with it must not get it twice.
   */
  readonly routePrefix: string;
  authHeaders(key: string): Record<string, string>;
  getEvent(requestId: string): UpstreamRequest<NormalizedEvent>;
  /** Asks Fingerprint to delete everything it holds about a visitor; `visitorId` is already validated. */
  deleteVisitor(visitorId: string): UpstreamRequest<void>;
  /**
   * The request for the next page; `remaining` is how many more events the caller wants (at least 1). Every
   * page of one search is sent with the same `window`.
   */
  searchPage(
    filter: SearchFilter,
    window: SearchWindow,
    remaining: number,
    pageKey: string | undefined,
  ): UpstreamRequest<SearchPage>;
}
