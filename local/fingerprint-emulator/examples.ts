/**
 * Fingerprint's official example payloads, as the emulator answers with them: events seeded by id only are the
 * examples with the seed's ids, linkedId and timestamp written into them, and error answers are the examples'
 * error bodies. The examples are the copies under `test/fixtures/fingerprint` (provenance in its README), read
 * from there so that there is one copy of each. Hand-made bodies (no example exists for them) are marked.
 */
import { readFileSync } from 'node:fs';

type Json = Record<string, unknown>;

/** What the emulator knows of an event it was handed: its ids and time, the rest is the official example's. */
export interface SeededEvent {
  requestId: string;
  visitorId: string;
  linkedId?: string;
  timestamp: number;
}

const exampleText = (path: string): string =>
  readFileSync(new URL(`../../test/fixtures/fingerprint/${path}`, import.meta.url), 'utf8');
const example = (path: string): Json => asObject(JSON.parse(exampleText(path)), path);

const TEMPLATES = {
  v4Event: example('v4/events/get_event_200.json'),
  v3Event: example('v3/get_event_200.json'),
};

/** Error bodies, per version. */
export const ERRORS = {
  v4: {
    400: exampleText('v4/errors/400_request_body_invalid.json'),
    limit: exampleText('v4/errors/400_limit_invalid.json'),
    start: exampleText('v4/errors/400_start_time_invalid.json'),
    end: exampleText('v4/errors/400_end_time_invalid.json'),
    eventIdInvalid: exampleText('v4/errors/400_event_id_invalid.json'),
    visitorIdInvalid: exampleText('v4/errors/400_visitor_id_invalid.json'),
    linkedIdInvalid: exampleText('v4/errors/400_linked_id_invalid.json'),
    paginationKey: exampleText('v4/errors/400_pagination_key_invalid.json'),
    keyRequired: exampleText('v4/errors/403_secret_api_key_required.json'),
    keyNotFound: exampleText('v4/errors/403_secret_api_key_not_found.json'),
    eventNotFound: exampleText('v4/errors/404_event_not_found.json'),
    visitorNotFound: exampleText('v4/errors/404_visitor_not_found.json'),
    409: exampleText('v4/errors/409_state_not_ready.json'),
    429: exampleText('v4/errors/429_too_many_requests.json'),
    500: exampleText('v4/errors/500_internal_server_error.json'),
    504: exampleText('v4/errors/504_search_timeout_exceeded.json'),
  },
  v3: {
    400: exampleText('v3/errors/400_request_body_invalid.json'),
    limit: exampleText('v3/errors/400_limit_invalid.json'),
    start: exampleText('v3/errors/400_start_time_invalid.json'),
    end: exampleText('v3/errors/400_end_time_invalid.json'),
    // Hand-made, in the shape of the other 400s: v3 has no example of a malformed request id.
    eventIdInvalid: JSON.stringify({
      error: { code: 'RequestCannotBeParsed', message: 'invalid request id' },
    }),
    visitorIdInvalid: exampleText('v3/errors/400_visitor_id_invalid.json'),
    linkedIdInvalid: exampleText('v3/errors/400_linked_id_invalid.json'),
    paginationKey: exampleText('v3/errors/400_pagination_key_invalid.json'),
    keyRequired: exampleText('v3/errors/403_token_required.json'),
    keyNotFound: exampleText('v3/errors/403_token_not_found.json'),
    eventNotFound: exampleText('v3/errors/404_request_not_found.json'),
    visitorNotFound: exampleText('v3/errors/404_visitor_not_found.json'),
    409: exampleText('v3/errors/409_state_not_ready.json'),
    429: exampleText('v3/errors/429_too_many_requests.json'),
    // Hand-made: v3 documents per-product `Failed` errors in this shape but has no example of an HTTP 500.
    500: JSON.stringify({ error: { code: 'Failed', message: 'internal server error' } }),
  },
} as const;

/** The official v4 example Event, with the seed's ids, linkedId and timestamp. */
export function renderExampleV4Event(seed: SeededEvent): Json {
  const event = structuredClone(TEMPLATES.v4Event);
  event.event_id = seed.requestId;
  event.timestamp = seed.timestamp;
  setOptional(event, 'linked_id', seed.linkedId);
  asObject(event.identification, 'identification').visitor_id = seed.visitorId;
  return event;
}

/** The official v3 example event (`products`), with the seed's ids, linkedId and timestamp. */
export function renderExampleV3Event(seed: SeededEvent): Json {
  const body = structuredClone(TEMPLATES.v3Event);
  const products = asObject(body.products, 'products');
  const data = asObject(asObject(products.identification, 'identification').data, 'identification.data');
  data.requestId = seed.requestId;
  data.visitorId = seed.visitorId;
  data.timestamp = seed.timestamp;
  data.time = isoSeconds(seed.timestamp);
  setOptional(data, 'linkedId', seed.linkedId);
  const botd = asObject(products.botd, 'botd');
  const botdData = asObject(botd.data, 'botd.data');
  botdData.requestId = seed.requestId;
  botdData.time = isoSeconds(seed.timestamp);
  return body;
}

/** v3 writes `time` without milliseconds: `2022-06-16T10:05:53Z`. */
function isoSeconds(timestamp: number): string {
  return new Date(timestamp).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function setOptional(target: Json, field: string, value: string | undefined): void {
  if (value === undefined) delete target[field];
  else target[field] = value;
}

function asObject(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`example: ${what} is not an object`);
  }
  return value as Json;
}
