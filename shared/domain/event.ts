/**
 * The version-neutral event the product stores and serves. Every upstream shape (Server API v3 visit, v3
 * event, v4 event, webhook payload) is normalized into this one, and the v3 visit shape is rendered from it.
 */

/** Bumped when the stored shape changes in a way readers must know about. */
export const SCHEMA_VERSION = 1;

/** Where a stored event came from: the Server API (v3, v4), a webhook delivery, or a sealed client result. */
export const EVENT_SOURCES = { v3: 'v3', v4: 'v4', webhook: 'webhook', sealed: 'sealed' } as const;
export type EventSource = (typeof EVENT_SOURCES)[keyof typeof EVENT_SOURCES];

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

/** When the visitor was first or last seen, as v3 reports it: ISO 8601 strings, null when unknown. */
export interface SeenAt {
  global: string | null;
  subscription: string | null;
}

export interface Confidence {
  score: number;
  /** v3 `revision`, v4 `version`: the method that computed the score. */
  revision?: string;
  comment?: string;
}

/**
 * Smart signals reduced to their verdicts. Each is optional: an event carries only the signals its
 * subscription has.
 */
export interface Signals {
  /** `notDetected`, `good` or `bad` (v3 BotD result / v4 `bot`). */
  bot?: string;
  /** The kind of bot when one is detected, e.g. `selenium`. */
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
  /** As stored: see `storableTag` in `values.ts` for what DynamoDB cannot hold and becomes text. */
  tag?: Record<string, unknown>;
  /**
   * `true` when the tag had to be changed to be stored (numbers or deep nesting kept as text, unpaired
   * surrogates replaced) or was dropped for its size; absent otherwise.
   */
  tagAltered?: true;
  confidence?: Confidence;
  visitorFound?: boolean;
  firstSeenAt?: SeenAt;
  lastSeenAt?: SeenAt;
  browser: BrowserInfo;
  location?: Location;
  signals?: Signals;
  source: EventSource;
  schemaVersion: typeof SCHEMA_VERSION;
}
