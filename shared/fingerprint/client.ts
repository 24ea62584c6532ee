import { UpstreamBadResponseError, ValidationError } from '../domain/errors.js';
import type { NormalizedEvent } from '../domain/event.js';
import { requireId } from '../domain/ids.js';
import type { Dialect, SearchFilter, SearchPage, SearchWindow } from './dialect.js';
import { DEFAULT_RETRY_POLICY, HttpCore } from './http.js';
import { SpacingRateLimiter, type UpstreamLimiter } from './rate-limiter.js';
import { createUpstreamTransport, type UpstreamFetch } from './transport.js';
import {
  API_VERSIONS,
  type ApiKeyProvider,
  type ApiVersion,
  type CallOptions,
  type FingerprintClient,
  REGIONS,
  type Region,
  type SearchQuery,
  type SearchResult,
  type SkippedEvent,
  TRUNCATIONS,
  type Truncation,
} from './types.js';
import { v3Dialect } from './v3.js';
import { v4Dialect } from './v4.js';

/** The Server API host of each region; v4 paths add `/v4`. */
export const REGION_HOSTS = {
  [REGIONS.us]: 'https://api.fpjs.io',
  [REGIONS.eu]: 'https://eu.api.fpjs.io',
  [REGIONS.ap]: 'https://ap.api.fpjs.io',
} as const satisfies Record<Region, string>;

/** Fingerprint's default rate limit for a workspace. */
export const DEFAULT_MAX_RPS = 5;

/** Fingerprint's default retention: how far back a search reaches when the query gives no `start`. */
export const DEFAULT_HISTORY_DAYS = 30;

const DAY_MS = 86_400_000;

export interface FingerprintClientOptions {
  /** @default 'v4' */
  apiVersion?: ApiVersion;
  /** Selects the host; must be the region of the workspace that owns the key. @default 'us' */
  region?: Region;
  /**
   * Replaces the region's host (local runs, tests, a proxy). With or without the documents' own server path:
   * `https://proxy.example/fp` and `https://proxy.example/fp/v4` both reach `…/fp/v4/events` on v4.
   */
  baseUrl?: string;
  keys: ApiKeyProvider;
  /**
   * Most HTTP attempts this client starts per second, retries included, spaced evenly. Shared by every call
   * made through this client, so create one client per process. `Infinity` disables the limiter.
   * @default 5
   */
  maxRps?: number;
  /**
   * Days a search reaches back when its query gives no `start` (`FINGERPRINT_HISTORY_DAYS`). The Server API
   * would search only the last 7 days.
   * @default 30
   */
  historyDays?: number;
  /**
   * Replaces the in-process limiter built from `maxRps`: the fleet-wide `DynamoDbRateLimiter`, which every
   * instance shares through the event table.
   */
  limiter?: UpstreamLimiter;
  /** Longest wait for one answer; clipped to the time left before the call's deadline. @default 5000 */
  attemptTimeoutMs?: number;
  /** Attempts per request, the first included (plus one after a 403, to pick up a rotated key). @default 4 */
  maxAttempts?: number;
  /** Base of the exponential backoff (full jitter). @default 250 */
  backoffBaseMs?: number;
  /** Largest backoff between two attempts. @default 4000 */
  backoffCapMs?: number;
  /**
   * The HTTP call, shaped like the part of `fetch` the client uses (`globalThis.fetch` fits). @default the AWS
   * SDK's `node:http` handler ({@link createUpstreamTransport}), which the functions have loaded already
   */
  fetch?: UpstreamFetch;
  /** @default a setTimeout-based sleep */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1), for jitter. @default Math.random */
  random?: () => number;
  /** Epoch ms. @default Date.now */
  now?: () => number;
}

/**
 * Creates a client of the Fingerprint Server API (v4 by default, or v3) that validates ids before they reach
 * a URL, retries what can succeed later within the caller's deadline, and answers normalized events or the
 * typed errors of `shared/domain/errors.ts`.
 */
export function createFingerprintClient(options: FingerprintClientOptions): FingerprintClient {
  const dialect = options.apiVersion === API_VERSIONS.v3 ? v3Dialect : v4Dialect;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const historyDays = positiveInteger('historyDays', options.historyDays ?? DEFAULT_HISTORY_DAYS);
  const policy = {
    maxAttempts: positiveInteger('maxAttempts', options.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts),
    attemptTimeoutMs: positive(
      'attemptTimeoutMs',
      options.attemptTimeoutMs ?? DEFAULT_RETRY_POLICY.attemptTimeoutMs,
    ),
    backoffBaseMs: nonNegative('backoffBaseMs', options.backoffBaseMs ?? DEFAULT_RETRY_POLICY.backoffBaseMs),
    backoffCapMs: nonNegative('backoffCapMs', options.backoffCapMs ?? DEFAULT_RETRY_POLICY.backoffCapMs),
  };
  const core = new HttpCore({
    baseUrl: withoutRoutePrefix(options.baseUrl ?? REGION_HOSTS[options.region ?? REGIONS.us], dialect),
    keys: options.keys,
    authHeaders: dialect.authHeaders,
    policy,
    limiter:
      options.limiter ?? new SpacingRateLimiter({ maxRps: options.maxRps ?? DEFAULT_MAX_RPS, now, sleep }),
    fetch: options.fetch ?? createUpstreamTransport(),
    sleep,
    random: options.random ?? Math.random,
    now,
  });
  return {
    getEvent: async (requestId, callOptions) => {
      const event = await core.send(dialect.getEvent(requireId(requestId, 'requestId')), callOptions);
      // An answer for another id would be stored under that id and answered in place of the one asked for.
      if (event.requestId !== requestId) {
        throw new UpstreamBadResponseError(
          `Fingerprint answered the request for event "${requestId}" with event "${event.requestId}" ` +
            '(not retried, nothing stored): a proxy or cache in front of the Server API may mix up answers.',
        );
      }
      return event;
    },
    searchEvents: async (query, callOptions) =>
      searchEvents(core, dialect, validateWindow(query, now() - historyDays * DAY_MS), query, callOptions),
    deleteVisitor: async (visitorId, callOptions) =>
      core.send(dialect.deleteVisitor(requireId(visitorId, 'visitorId')), callOptions),
  };
}

/**
 * Follows pagination until Fingerprint has no more, `maxEvents` is reached, or paging cannot go on: a repeated
 * pagination key (following it would loop) or a later page with unusable content ends paging with what was
 * fetched, reported as `truncated`. A first page that fails, and any failure that may pass (429, 5xx,
 * timeouts), still throws: there is nothing to keep, or the caller should try again.
 */
async function searchEvents(
  core: HttpCore,
  dialect: Dialect,
  window: SearchWindow,
  query: SearchQuery,
  options: CallOptions,
): Promise<SearchResult> {
  const filter = validateSearch(query);
  const events: NormalizedEvent[] = [];
  const skipped: SkippedEvent[] = [];
  const seenEvents = new Set<string>();
  const seenKeys = new Set<string>();
  let truncated: SearchResult['truncated'];
  const stop = (reason: Truncation, detail: string) => {
    truncated = { reason, detail };
  };
  let pageKey: string | undefined;
  let pages = 0;
  do {
    let page: SearchPage;
    try {
      page = await core.send(
        dialect.searchPage(filter, window, query.maxEvents - events.length, pageKey),
        options,
      );
    } catch (error) {
      if (pages === 0 || !(error instanceof UpstreamBadResponseError)) throw error;
      stop(TRUNCATIONS.unusablePage, `page ${pages + 1}: ${error.message}`);
      break;
    }
    pages += 1;
    skipped.push(...page.skipped);
    let left = 0;
    for (const event of page.events) {
      // Timestamp-based v3 keys can repeat the boundary event on the next page.
      if (seenEvents.has(event.requestId)) continue;
      if (events.length >= query.maxEvents) {
        left += 1;
        continue;
      }
      seenEvents.add(event.requestId);
      events.push(event);
    }
    pageKey = page.nextPageKey;
    if (events.length >= query.maxEvents && (left > 0 || pageKey !== undefined)) {
      stop(TRUNCATIONS.maxEvents, `maxEvents (${query.maxEvents}) reached while Fingerprint had more`);
      break;
    }
    if (pageKey !== undefined) {
      if (seenKeys.has(pageKey)) {
        stop(
          TRUNCATIONS.repeatedPageKey,
          `Fingerprint answered pagination key "${pageKey.slice(0, 100)}" twice`,
        );
        break;
      }
      seenKeys.add(pageKey);
    }
  } while (pageKey !== undefined);
  return {
    events: events.sort((a, b) => b.timestamp - a.timestamp),
    skipped,
    ...(truncated !== undefined && { truncated }),
  };
}

/**
 * The base URL without the route prefix the dialect's paths start with: the official v4 documents give
 * `https://api.fpjs.io/v4` as their server, and a base URL copied from there must not become `/v4/v4/…`.
 */
function withoutRoutePrefix(baseUrl: string, dialect: Dialect): string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  const prefix = dialect.routePrefix;
  return prefix !== '' && trimmed.endsWith(prefix) ? trimmed.slice(0, -prefix.length) : trimmed;
}

/** The filters of a search, or the `ValidationError` naming what is wrong with them. */
export function validateSearch(query: SearchQuery): SearchFilter {
  const { visitorId, linkedId, maxEvents } = query;
  if (visitorId === undefined && linkedId === undefined) {
    throw new ValidationError('visitorId', 'Provide a visitorId, a linkedId, or both.');
  }
  if (visitorId !== undefined) requireId(visitorId, 'visitorId');
  if (linkedId !== undefined) requireId(linkedId, 'linkedId');
  if (!Number.isInteger(maxEvents) || maxEvents < 1) {
    throw new ValidationError('maxEvents', 'maxEvents must be a positive integer.');
  }
  return { ...(visitorId !== undefined && { visitorId }), ...(linkedId !== undefined && { linkedId }) };
}

/** The window of a search (`start` defaulting to `defaultStart`), or the `ValidationError` naming its bad end. */
export function validateWindow(query: SearchQuery, defaultStart: number): SearchWindow {
  const { start = defaultStart, end } = query;
  if (!Number.isSafeInteger(start) || start < 0) {
    throw new ValidationError('start', 'start must be a timestamp in milliseconds since the epoch.');
  }
  if (end !== undefined && (!Number.isSafeInteger(end) || end <= start)) {
    throw new ValidationError('end', 'end must be a timestamp in milliseconds since the epoch, after start.');
  }
  return { start, ...(end !== undefined && { end }) };
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new RangeError(`${name} must be a positive number`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0)) throw new RangeError(`${name} must be zero or more`);
  return value;
}
