/**
 * Normalization of Fingerprint Server API payloads (v3 visits, v3 events, v4 events, v3 and v4 webhooks) into
 * the one {@link NormalizedEvent} shape. Rendering that shape back into the v3 visit of
 * `GET /visitors/{visitorId}` lives with the query function (`functions/query/v3-visit.ts`).
 *
 * Every payload is parsed leniently: unknown fields are ignored, a wrong-typed optional field is dropped
 * rather than failing the event, and only the fields of {@link NormalizedEvent} are kept, so a stored item
 * stays small and never holds raw device attributes. Only a missing or malformed requestId (v4 `event_id`),
 * visitorId or timestamp (including one outside the plausible window of `values.ts`) rejects the event, with
 * a {@link ValidationError} naming its path in the payload. Values that would break the API's own contract
 * are clamped, omitted or kept as text, field by field, as `values.ts` describes.
 *
 * This file holds the entry points that tell the versions apart (sealed results, webhooks) and re-exports the
 * per-version ones: `normalize-v3.ts`, `normalize-v4.ts`, and what both share in `normalize-common.ts`.
 */
import { EVENT_SOURCES, type NormalizedEvent } from '../domain/event.js';
import { isObject } from './normalize-common.js';
import { fromV3EventBody, fromV3Webhook } from './normalize-v3.js';
import { fromV4Payload } from './normalize-v4.js';

export {
  normalizeV3Event,
  normalizeV3Visit,
  readV3IdentificationError,
  type V3ProductError,
} from './normalize-v3.js';
export { normalizeV4Event } from './normalize-v4.js';

/**
 * Normalizes the plaintext of a sealed client result: what the Server API of the workspace's version answers
 * for the event, a v3 events response (`{"products": …}`) or a v4 Event. A payload with `products` is read as
 * v3, anything else as v4 (whose errors then name `event_id` and `identification.visitor_id`).
 *
 * @throws {ValidationError} as {@link normalizeV3Event} and {@link normalizeV4Event} do.
 */
export function normalizeSealedEvent(body: unknown): NormalizedEvent {
  if (isObject(body) && 'products' in body) return fromV3EventBody(body, EVENT_SOURCES.sealed);
  // A sealed v4 Event is the one the Server API would answer: kept with the event, as received (`upstreamV4Of`).
  return fromV4Payload(body, EVENT_SOURCES.sealed);
}

/**
 * Normalizes a webhook payload, either the v4 Event object (v4 webhooks) or the flat legacy v3 webhook. A
 * payload with `event_id` or `identification` is v4; anything else is read as v3.
 *
 * @throws {ValidationError} when the payload lacks a valid request id (`event_id` / `requestId`), visitor id
 * (`identification.visitor_id` / `visitorId`) or `timestamp`.
 */
export function normalizeWebhook(body: unknown): NormalizedEvent {
  if (isObject(body) && ('event_id' in body || 'identification' in body)) {
    // A v4 webhook delivers the v4 Event itself: kept with the event, as received (`upstreamV4Of`).
    return fromV4Payload(body, EVENT_SOURCES.webhook);
  }
  return fromV3Webhook(body, EVENT_SOURCES.webhook);
}
