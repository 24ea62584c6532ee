import { UpstreamBadResponseError, ValidationError } from '../domain/errors.js';
import type { NormalizedEvent } from '../domain/event.js';
import { isLinkedId, isRequestId, isVisitorId, LINKED_ID_MAX_LENGTH } from '../domain/ids.js';
import type { Dialect, SearchFilter } from './dialect.js';
import { DEFAULT_RETRY_POLICY, HttpCore } from './http.js';
import { SpacingRateLimiter, type UpstreamLimiter } from './rate-limiter.js';
import {
  API_VERSIONS,
  type ApiKeyProvider,
  type ApiVersion,
  type CallOptions,
  type FingerprintClient,
  REGIONS,
  type Region,
  type SearchQuery,
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

export interface FingerprintClientOptions {
  /** @default 'v4' */
  apiVersion?: ApiVersion;
  /** Selects the host; must be the region of the workspace that owns the key. @default 'us' */
  region?: Region;
  /** Replaces the region's host (local runs, tests, a proxy); v4 paths still get `/v4`. */
  baseUrl?: string;
  keys: ApiKeyProvider;
  /**
   * Most HTTP attempts this client starts per second, retries included, spaced evenly. Shared by every call
   * made through this client, so create one client per process. `Infinity` disables the limiter.
   * @default 5
   */
  maxRps?: number;
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
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
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
    baseUrl: options.baseUrl ?? REGION_HOSTS[options.region ?? REGIONS.us],
    keys: options.keys,
    authHeaders: dialect.authHeaders,
    policy,
    limiter:
      options.limiter ?? new SpacingRateLimiter({ maxRps: options.maxRps ?? DEFAULT_MAX_RPS, now, sleep }),
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    sleep,
    random: options.random ?? Math.random,
    now,
  });
  return {
    getEvent: async (requestId, callOptions) => {
      if (!isRequestId(requestId)) {
        throw new ValidationError(
          'requestId',
          'requestId must be <13-digit ms>.<6 letters or digits>, or 20 letters or digits, as the JS agent returns it.',
        );
      }
      return core.send(dialect.getEvent(requestId), callOptions);
    },
    searchEvents: (query, callOptions) => searchEvents(core, dialect, query, callOptions),
    deleteVisitor: async (visitorId, callOptions) => {
      if (!isVisitorId(visitorId)) {
        throw new ValidationError(
          'visitorId',
          'visitorId must be letters and digits only (20 characters in practice).',
        );
      }
      return core.send(dialect.deleteVisitor(visitorId), callOptions);
    },
  };
}

async function searchEvents(
  core: HttpCore,
  dialect: Dialect,
  query: SearchQuery,
  options: CallOptions,
): Promise<NormalizedEvent[]> {
  const filter = validateSearch(query);
  const events: NormalizedEvent[] = [];
  const seenEvents = new Set<string>();
  const seenKeys = new Set<string>();
  let pageKey: string | undefined;
  do {
    const page = await core.send(
      dialect.searchPage(filter, query.maxEvents - events.length, pageKey),
      options,
    );
    for (const event of page.events) {
      if (events.length >= query.maxEvents) break;
      // Timestamp-based v3 keys can repeat the boundary event on the next page.
      if (seenEvents.has(event.requestId)) continue;
      seenEvents.add(event.requestId);
      events.push(event);
    }
    pageKey = page.nextPageKey;
    if (pageKey !== undefined) {
      if (seenKeys.has(pageKey)) {
        throw new UpstreamBadResponseError(
          'Fingerprint returned the same pagination key twice; stopped paging.',
        );
      }
      seenKeys.add(pageKey);
    }
  } while (pageKey !== undefined && events.length < query.maxEvents);
  return events.sort((a, b) => b.timestamp - a.timestamp);
}

function validateSearch(query: SearchQuery): SearchFilter {
  const { visitorId, linkedId, maxEvents } = query;
  if (visitorId === undefined && linkedId === undefined) {
    throw new ValidationError('visitorId', 'Provide a visitorId, a linkedId, or both.');
  }
  if (visitorId !== undefined && !isVisitorId(visitorId)) {
    throw new ValidationError(
      'visitorId',
      'visitorId must be letters and digits only (20 characters in practice).',
    );
  }
  if (linkedId !== undefined && !isLinkedId(linkedId)) {
    throw new ValidationError(
      'linkedId',
      `linkedId must be 1 to ${LINKED_ID_MAX_LENGTH} characters without control characters.`,
    );
  }
  if (!Number.isInteger(maxEvents) || maxEvents < 1) {
    throw new ValidationError('maxEvents', 'maxEvents must be a positive integer.');
  }
  return { ...(visitorId !== undefined && { visitorId }), ...(linkedId !== undefined && { linkedId }) };
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
