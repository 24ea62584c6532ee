import type { NormalizedEvent } from './event.js';

/**
 * The upstream's own copy of an event, exactly as Fingerprint sent it (the parsed JSON of one v4 `Event`: the
 * body of `GET /v4/events/{event_id}`, one item of a `GET /v4/events` page, or a v4 webhook delivery), kept so
 * that `GET /v4/events/…` can serve it losslessly.
 */
export type UpstreamV4Event = Readonly<Record<string, unknown>>;

/**
 * The upstream copy travels with its normalized event by identity, not as a field: a `NormalizedEvent` is what
 * `POST /enrich` and `GET /events/{requestId}` answer and what the indexes project, and neither may carry it.
 * Whoever normalizes a v4 event attaches its copy here; the store writes it next to the normalized view and
 * attaches it again when it reads the item. A copy of the event object (`{...event}`) does not carry it.
 */
const upstreamEvents = new WeakMap<NormalizedEvent, UpstreamV4Event | (() => UpstreamV4Event | undefined)>();

/**
 * Attaches the v4 event `event` was normalized from; answers `event` itself. `upstream` may be a function that
 * makes the copy when it is first asked for: the store attaches the copy it read that way, so the reads that
 * never look at it (every cached `POST /enrich` and `GET /events/{requestId}`) do not decompress it.
 */
export function withUpstreamV4<E extends NormalizedEvent>(
  event: E,
  upstream: UpstreamV4Event | (() => UpstreamV4Event | undefined),
): E {
  upstreamEvents.set(event, upstream);
  return event;
}

/** The v4 event `event` was normalized from, when it reached us in v4 form (and was kept). */
export function upstreamV4Of(event: NormalizedEvent): UpstreamV4Event | undefined {
  const upstream = upstreamEvents.get(event);
  if (typeof upstream !== 'function') return upstream;
  const made = upstream();
  if (made === undefined) upstreamEvents.delete(event);
  else upstreamEvents.set(event, made);
  return made;
}

/**
 * `JSON.stringify`, or `undefined` for a value it cannot write: nesting deep enough to overflow its recursion (a
 * tag can nest 100,000 levels, which `JSON.parse` reads but `JSON.stringify` cannot write back).
 */
export function writableJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}
