/**
 * The version-neutral event the product stores and serves. Every upstream shape (Server API v3 visit, v3
 * event, v4 event, webhook payload) is normalized into this one, and the v3 visit shape is rendered from it.
 * Its type is the API's `NormalizedEvent`, declared once with its words in `openapi/source/events.ts` and
 * generated into `shared/manifest/api-types.ts` (`npm run openapi`); the values below are the code's, and the
 * document's enums are built from them.
 */

/** Bumped when the stored shape changes in a way readers must know about. */
export const SCHEMA_VERSION = 1;

/** Where a stored event came from: the Server API (v3, v4), a webhook delivery, or a sealed client result. */
export const EVENT_SOURCES = { v3: 'v3', v4: 'v4', webhook: 'webhook', sealed: 'sealed' } as const;
export type EventSource = (typeof EVENT_SOURCES)[keyof typeof EVENT_SOURCES];

export type {
  BrowserInfo,
  Confidence,
  Location,
  NamedCode,
  NormalizedEvent,
  SeenAt,
  Signals,
  Subdivision,
} from '../manifest/api-types.js';
