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

/**
 * The Fingerprint Server API as the use cases see it: version-neutral, returning normalized events. Failures
 * are the typed errors of `shared/domain/errors.ts` (`NotFoundError`, `UpstreamRateLimitedError`, …).
 */
export interface FingerprintClient {
  getEvent(requestId: string, options: CallOptions): Promise<NormalizedEvent>;
  /** Events matching the query, newest first, at most `maxEvents`. */
  searchEvents(query: SearchQuery, options: CallOptions): Promise<NormalizedEvent[]>;
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
