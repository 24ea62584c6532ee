import type { NormalizedEvent } from '../domain/event.js';

export const API_VERSIONS = { v3: 'v3', v4: 'v4' } as const;
export type ApiVersion = (typeof API_VERSIONS)[keyof typeof API_VERSIONS];

export const REGIONS = { us: 'us', eu: 'eu', ap: 'ap' } as const;
export type Region = (typeof REGIONS)[keyof typeof REGIONS];

/** Per-call limits, taken from the Lambda's remaining time by the handler. */
export interface CallOptions {
  /** Epoch ms by which the whole call, retries included, must have finished. */
  deadline: number;
}

export interface SearchQuery {
  visitorId?: string;
  linkedId?: string;
  /** How many events to collect at most, following upstream pagination. */
  maxEvents: number;
  /**
   * Epoch ms: only events that happened after it. Always sent: without it both versions' searches cover only
   * the last 7 days, which silently drops the rest of a history.
   * @default the client's `historyDays` before now
   */
  start?: number;
  /** Epoch ms: only events that happened before it. @default the upstream's now */
  end?: number;
}

/** An event of a history that could not be used, and why: it is neither stored nor answered. */
export interface SkippedEvent {
  /**
   * Why, as a short stable key for counting: the path of the field at fault in Fingerprint's payload (the
   * normalizer's `ValidationError.field`), or `unstorable` for an event the store refused.
   */
  reason: string;
  /** The full explanation, for the WARN log line. */
  message: string;
  /** The event's id when the payload had one, to find it at Fingerprint. */
  eventId?: string;
}

/** Why paging stopped before Fingerprint said there was nothing more. */
export const TRUNCATIONS = {
  /** `maxEvents` was reached while Fingerprint had more. */
  maxEvents: 'maxEvents',
  /** Fingerprint answered a pagination key it had already answered: following it would loop. */
  repeatedPageKey: 'repeatedPageKey',
  /** A page after the first had unusable content: the pages before it are kept. */
  unusablePage: 'unusablePage',
} as const;
export type Truncation = (typeof TRUNCATIONS)[keyof typeof TRUNCATIONS];

export interface SearchResult {
  /** Newest first, at most `maxEvents`. */
  events: NormalizedEvent[];
  /** Events Fingerprint returned that could not be normalized. */
  skipped: SkippedEvent[];
  /** Set when paging stopped early; absent when Fingerprint reported no further page. */
  truncated?: { reason: Truncation; detail: string };
}

/**
 * The Fingerprint Server API as the use cases see it: version-neutral, returning normalized events. Failures
 * are the typed errors of `shared/domain/errors.ts` (`NotFoundError`, `UpstreamRateLimitedError`, …).
 */
export interface FingerprintClient {
  getEvent(requestId: string, options: CallOptions): Promise<NormalizedEvent>;
  /**
   * Events matching the query, newest first, at most `maxEvents`; events that cannot be normalized are
   * skipped and reported, and a pagination loop ends paging with what was fetched.
   */
  searchEvents(query: SearchQuery, options: CallOptions): Promise<SearchResult>;
  /**
   * Asks Fingerprint to delete the visitor's data (its Delete API, available on request). Resolves once
   * Fingerprint has scheduled the deletion, which it carries out asynchronously; `NotFoundError` when it holds
   * nothing about the visitor.
   */
  deleteVisitor(visitorId: string, options: CallOptions): Promise<void>;
}

/** Where the client gets the secret API key; `invalidate` drops a cached key after a 403 (rotation). */
export interface ApiKeyProvider {
  getKey(): Promise<string>;
  invalidate(): void;
}
