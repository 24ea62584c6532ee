/**
 * The API's wire types, as `openapi/openapi.json` documents them. They are declared here rather than imported
 * from the service's code so that the client builds on its own; a test keeps them identical to the types the
 * handlers answer with.
 */

import type { ErrorCode } from './error-codes.js';

export { ERROR_CODES, type ErrorCode } from './error-codes.js';

/** `POST /enrich`: one event by requestId. */
export interface EnrichByRequestId {
  requestId: string;
  /** Ask Fingerprint even if the event is cached. @default false */
  refresh?: boolean;
}

/** `POST /enrich`: a history by visitorId, linkedId or both. */
export type EnrichHistory = (
  | { visitorId: string; linkedId?: string }
  | { visitorId?: string; linkedId: string }
) & {
  /** Events to pull at most, 1–500. @default 100 */
  maxEvents?: number;
};

/**
 * `POST /enrich`: the event a Fingerprint JS agent returned sealed (Sealed Client Results), decrypted and
 * stored by the service with no Server API call.
 */
export interface EnrichSealed {
  /** The agent's `sealedResult`, base64, as is. */
  sealedResult: string;
  /** When given, the sealed event must carry this requestId, else 400 `SealedResultRequestIdMismatch`. */
  requestId?: string;
}

export type EnrichRequest = EnrichByRequestId | EnrichHistory | EnrichSealed;

export interface BrowserInfo {
  name: string;
  majorVersion: string;
  fullVersion: string;
  os: string;
  osVersion: string;
  device: string;
  userAgent: string;
}

export interface NamedCode {
  code: string;
  name: string;
}

export interface Subdivision {
  isoCode: string;
  name: string;
}

export interface Location {
  city?: string;
  country?: NamedCode;
  continent?: NamedCode;
  subdivisions?: Subdivision[];
  latitude?: number;
  longitude?: number;
  postalCode?: string;
  timezone?: string;
  accuracyRadius?: number;
}

/** ISO 8601 times; `null` when unknown. */
export interface SeenAt {
  global: string | null;
  subscription: string | null;
}

export interface Confidence {
  score: number;
  revision?: string;
  comment?: string;
}

export interface Signals {
  bot?: string;
  botType?: string;
  vpn?: boolean;
  proxy?: boolean;
  tor?: boolean;
  tampering?: boolean;
  incognito?: boolean;
  emulator?: boolean;
  rootApps?: boolean;
  jailbroken?: boolean;
  frida?: boolean;
  clonedApp?: boolean;
  virtualMachine?: boolean;
  privacySettings?: boolean;
  developerTools?: boolean;
  locationSpoofing?: boolean;
  highActivity?: boolean;
  ipBlocklisted?: boolean;
  suspectScore?: number;
}

/** One identification event, whatever Server API version or webhook it came from. */
export interface NormalizedEvent {
  requestId: string;
  visitorId: string;
  linkedId?: string;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  /** ISO 8601, UTC. */
  time: string;
  url?: string;
  ip?: string;
  incognito?: boolean;
  tag?: Record<string, unknown>;
  /**
   * `true` when the tag had to be changed to be stored: numbers DynamoDB refuses and nesting deeper than 16
   * levels kept as their text, unpaired surrogates replaced, or the whole tag dropped for exceeding 64 KiB.
   */
  tagAltered?: true;
  confidence?: Confidence;
  visitorFound?: boolean;
  firstSeenAt?: SeenAt;
  lastSeenAt?: SeenAt;
  browser: BrowserInfo;
  location?: Location;
  signals?: Signals;
  source: 'v3' | 'v4' | 'webhook' | 'sealed';
  schemaVersion: 1;
}

export interface EnrichResponse {
  /** Newest first. Skipped events are not in it. */
  events: NormalizedEvent[];
  /**
   * `cache`: a cached requestId, answered with no upstream call; `sealed`: a `sealedResult`, opened with no
   * upstream call.
   */
  source: 'cache' | 'fingerprint' | 'sealed';
  /** How many events this call wrote. */
  stored: number;
  /**
   * Events of a history Fingerprint returned that could not be normalized or stored: how many, and how many
   * per reason (the field at fault in Fingerprint's payload, or `unstorable`).
   */
  skipped: { count: number; reasons: Record<string, number> };
  /**
   * `true` when `events` holds everything Fingerprint has for the query; `false` when events were skipped,
   * `maxEvents` was reached while Fingerprint had more, or paging had to stop early.
   */
  complete: boolean;
  /**
   * How many events Fingerprint returned that were dropped (neither stored nor in `events`) because their
   * visitor was erased at or after the moment they happened.
   */
  suppressed: number;
}

export interface V3BrowserDetails {
  browserName: string;
  browserMajorVersion: string;
  browserFullVersion: string;
  os: string;
  osVersion: string;
  device: string;
  userAgent: string;
}

export interface V3IpLocation {
  accuracyRadius?: number;
  latitude?: number;
  longitude?: number;
  postalCode?: string;
  timezone?: string;
  city?: { name: string };
  country?: NamedCode;
  continent?: NamedCode;
  subdivisions?: Subdivision[];
}

/** A visit of Fingerprint's v3 `GET /visitors/{visitor_id}`. */
export interface V3Visit {
  requestId: string;
  browserDetails: V3BrowserDetails;
  incognito: boolean;
  ip: string;
  ipLocation?: V3IpLocation;
  linkedId?: string;
  timestamp: number;
  time: string;
  url: string;
  tag: Record<string, unknown>;
  confidence?: Confidence;
  visitorFound: boolean;
  firstSeenAt: SeenAt;
  lastSeenAt: SeenAt;
}

/** `GET /visitors/{visitorId}`: the v3 contract, from the cache. */
export interface VisitorHistory {
  visitorId: string;
  /** Newest first. */
  visits: V3Visit[];
  /** Present only when more visits exist: the last visit scanned's timestamp; pass it back as `before`. */
  lastTimestamp?: number;
  /** Present only when more visits exist: the last visit scanned's requestId; pass it back as `paginationKey`. */
  paginationKey?: string;
}

/** What happened at Fingerprint when a visitor was erased; `requested: false` without `upstream: true`. */
export type UpstreamErasure =
  | { requested: false }
  /** `scheduled`: Fingerprint deletes the data asynchronously. `notFound`: it holds nothing about the visitor. */
  | { requested: true; outcome: 'scheduled' | 'notFound' }
  /** The request to Fingerprint failed; the cache is erased all the same, and erasing again is safe. */
  | { requested: true; outcome: 'failed'; error: { code: ErrorCode; message: string } };

/** `DELETE /visitors/{visitorId}`: what was erased. */
export interface VisitorErasure {
  visitorId: string;
  /** Cached events deleted by this call (0 when nothing was cached). */
  deleted: number;
  /**
   * The erasure time in effect (ms since the epoch): the visitor's events up to it are erased and refused by
   * every write from now on; later events are new data. A later erasure moves it forward.
   */
  erasedAt: number;
  upstream: UpstreamErasure;
}

export interface EraseVisitorOptions {
  /** Also ask Fingerprint to delete the visitor's data (the deployment must allow it). @default false */
  upstream?: boolean;
}

export interface VisitorHistoryQuery {
  request_id?: string;
  linked_id?: string;
  /**
   * Visits scanned for the page, 1–500, before the `request_id` / `linked_id` filters (as in v3): a filtered
   * page may hold fewer, with a `paginationKey` to go on. @default 100
   */
  limit?: number;
  /** Only visits strictly older than this ms timestamp. */
  before?: number;
  paginationKey?: string;
}

/** `GET /events`: `visitorId`, `linkedId` or both. */
export type EventListQuery = (
  | { visitorId: string; linkedId?: string }
  | { visitorId?: string; linkedId: string }
) & {
  /**
   * Events read for the page, 1–100, before the `linkedId` filter of a visitor query: a filtered page may hold
   * fewer, with a `nextCursor` to go on. @default 20
   */
  limit?: number;
  cursor?: string;
};

export interface EventList {
  /** Newest first. */
  events: NormalizedEvent[];
  /** Present only when more events exist: pass it back as `cursor`. */
  nextCursor?: string;
}

/** Every error answer's body. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}
