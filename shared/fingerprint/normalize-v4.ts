/**
 * Normalization of Fingerprint's v4 Event: the body of `GET /v4/events/{event_id}`, an item of a
 * `GET /v4/events` page, a v4 webhook delivery or a sealed v4 result (their entry points are in
 * `normalize.ts`). The schema reads only what {@link NormalizedEvent} keeps; see `normalize.ts` for the rules.
 */
import {
  type BrowserInfo,
  type Confidence,
  EVENT_SOURCES,
  type EventSource,
  type Location,
  type NamedCode,
  type NormalizedEvent,
  SCHEMA_VERSION,
  type SeenAt,
  type Signals,
} from '../domain/event.js';
import { type UpstreamV4Event, withUpstreamV4, writableJson } from '../domain/upstream.js';
import { compact, inRange, seenAtFromMs } from '../domain/values.js';
import * as z from '../validation/zod.js';
import {
  builtOnFirstUse,
  confidenceOf,
  coordinate,
  geolocationOfIp,
  lenient,
  lenientScalars,
  nonEmpty,
  parseObject,
  requireId,
  requireTimestamp,
  tagFields,
  utcTime,
  validLinkedId,
} from './normalize-common.js';

/** Fingerprint's v4 Event as a lenient Zod schema (see {@link builtOnFirstUse}). */
function buildV4Schemas() {
  const { optionalString, optionalBoolean, optionalNumber, optionalInteger, optionalTag } = lenientScalars();

  const V4Geolocation = z.object({
    accuracy_radius: optionalInteger,
    latitude: optionalNumber,
    longitude: optionalNumber,
    postal_code: optionalString,
    timezone: optionalString,
    city_name: optionalString,
    country_code: optionalString,
    country_name: optionalString,
    continent_code: optionalString,
    continent_name: optionalString,
    subdivisions: lenient(z.array(z.object({ iso_code: z.string(), name: z.string() }))),
  });

  const V4IpInfoEntry = z.object({ address: z.string(), geolocation: lenient(V4Geolocation) });

  const V4Event = z.object({
    event_id: z.optional(z.unknown()),
    timestamp: z.optional(z.unknown()),
    identification: lenient(
      z.object({
        visitor_id: z.optional(z.unknown()),
        confidence: lenient(
          z.object({ score: z.number(), version: optionalString, comment: optionalString }),
        ),
        visitor_found: optionalBoolean,
        first_seen_at: optionalInteger,
        last_seen_at: optionalInteger,
      }),
    ),
    linked_id: optionalString,
    tags: optionalTag,
    url: optionalString,
    ip_address: optionalString,
    user_agent: optionalString,
    device: optionalString,
    os: optionalString,
    os_version: optionalString,
    browser_details: lenient(
      z.object({
        browser_name: optionalString,
        browser_major_version: optionalString,
        browser_full_version: optionalString,
        os: optionalString,
        os_version: optionalString,
        device: optionalString,
      }),
    ),
    ip_info: lenient(z.object({ v4: lenient(V4IpInfoEntry), v6: lenient(V4IpInfoEntry) })),
    bot: optionalString,
    bot_type: optionalString,
    vpn: optionalBoolean,
    proxy: optionalBoolean,
    incognito: optionalBoolean,
    tampering: optionalBoolean,
    emulator: optionalBoolean,
    root_apps: optionalBoolean,
    jailbroken: optionalBoolean,
    frida: optionalBoolean,
    cloned_app: optionalBoolean,
    virtual_machine: optionalBoolean,
    privacy_settings: optionalBoolean,
    developer_tools: optionalBoolean,
    location_spoofing: optionalBoolean,
    high_activity_device: optionalBoolean,
    ip_blocklist: lenient(
      z.object({ email_spam: optionalBoolean, attack_source: optionalBoolean, tor_node: optionalBoolean }),
    ),
    suspect_score: optionalInteger,
  });

  return { V4Event, V4Geolocation };
}

type Schemas = ReturnType<typeof buildV4Schemas>;
const schemas = builtOnFirstUse(buildV4Schemas);

type V4Geolocation = z.infer<Schemas['V4Geolocation']>;
type V4Event = z.infer<Schemas['V4Event']>;

/**
 * Normalizes a v4 Event: the body of `GET /v4/events/{event_id}`, or one item of `events` from
 * `GET /v4/events`.
 *
 * @throws {ValidationError} when `event_id`, `identification.visitor_id` or `timestamp` is missing or invalid.
 * Edge events (`source: "edge"`) have no identification, hence no visitor, and are rejected.
 */
export function normalizeV4Event(body: unknown): NormalizedEvent {
  return fromV4Payload(body, EVENT_SOURCES.v4);
}

/**
 * Normalizes a v4 Event that reached us from `source`. The body is an object once it parsed: it is kept with
 * the event, as received (`upstreamV4Of`), since it is the event the Server API answers; unless JSON cannot
 * write it back (a tag nested deeper than `JSON.stringify` recurses), in which case neither the store nor the
 * v4 routes could use it, and the normalized view answers for it, now and later alike. Checked here, once per
 * event taken in, rather than on every v4 answer.
 */
export function fromV4Payload(body: unknown, source: EventSource): NormalizedEvent {
  const event = fromV4Event(parseObject(schemas().V4Event, body, 'body'), source);
  return writableJson(body) === undefined ? event : withUpstreamV4(event, body as UpstreamV4Event);
}

function fromV4Event(event: V4Event, source: EventSource): NormalizedEvent {
  const { identification } = event;
  const requestId = requireId(event.event_id, 'event_id', 'requestId');
  const visitorId = requireId(
    identification?.visitor_id,
    'identification.visitor_id',
    'visitorId',
    identification === undefined ? 'the event has no identification (edge events never have one)' : undefined,
  );
  const timestamp = requireTimestamp(event.timestamp, 'timestamp');
  return compact({
    requestId,
    visitorId,
    linkedId: validLinkedId(event.linked_id),
    timestamp,
    // v4 has no `time`: it is derived from the timestamp.
    time: utcTime(undefined, timestamp),
    url: event.url,
    ip: event.ip_address,
    incognito: event.incognito,
    ...tagFields(event.tags),
    confidence: confidenceFromV4(identification?.confidence),
    visitorFound: identification?.visitor_found,
    firstSeenAt: seenAtFromV4(identification?.first_seen_at),
    lastSeenAt: seenAtFromV4(identification?.last_seen_at),
    browser: browserFromV4(event),
    location: locationFromV4(geolocationOfIp(event.ip_address, [event.ip_info?.v4, event.ip_info?.v6])),
    signals: signalsFromV4(event),
    source,
    schemaVersion: SCHEMA_VERSION,
  });
}

function confidenceFromV4(
  confidence: { score: number; version?: string | undefined; comment?: string | undefined } | undefined,
): Confidence | undefined {
  if (confidence === undefined) return undefined;
  return confidenceOf({ score: confidence.score, revision: confidence.version, comment: confidence.comment });
}

/**
 * v4 `first_seen_at`/`last_seen_at` are the v3 `subscription` timestamps: v4 describes them as when "this
 * visitor ID" was seen in the workspace's data, and has no cross-application (`global`) counterpart, so
 * `global` is `null` (unknown).
 */
function seenAtFromV4(milliseconds: number | undefined): SeenAt | undefined {
  if (milliseconds === undefined) return undefined;
  return { global: null, subscription: seenAtFromMs(milliseconds) };
}

/** Mobile events have no `browser_details`: their os, version and device are top-level fields. */
function browserFromV4(event: V4Event): BrowserInfo {
  const details = event.browser_details;
  return {
    name: details?.browser_name ?? '',
    majorVersion: details?.browser_major_version ?? '',
    fullVersion: details?.browser_full_version ?? '',
    os: details?.os ?? event.os ?? '',
    osVersion: details?.os_version ?? event.os_version ?? '',
    device: details?.device ?? event.device ?? '',
    userAgent: event.user_agent ?? '',
  };
}

function locationFromV4(geolocation: V4Geolocation | undefined): Location | undefined {
  if (geolocation === undefined) return undefined;
  return nonEmpty(
    compact({
      city: geolocation.city_name,
      country: namedCode(geolocation.country_code, geolocation.country_name),
      continent: namedCode(geolocation.continent_code, geolocation.continent_name),
      subdivisions: geolocation.subdivisions?.map(({ iso_code, name }) => ({ isoCode: iso_code, name })),
      latitude: coordinate(geolocation.latitude, 90),
      longitude: coordinate(geolocation.longitude, 180),
      postalCode: geolocation.postal_code,
      timezone: geolocation.timezone,
      accuracyRadius: inRange(geolocation.accuracy_radius, 0, Number.MAX_SAFE_INTEGER),
    }),
  );
}

/** v4 splits code and name; a code without its name is still worth keeping. */
function namedCode(code: string | undefined, name: string | undefined): NamedCode | undefined {
  return code === undefined ? undefined : { code, name: name ?? '' };
}

/**
 * v4 flattened the v3 products: Tor moved into `ip_blocklist.tor_node`, the blocklist lost its `result`
 * (its v3 meaning, "any of the lists", is email spam or attack source), and `bot` is snake_case.
 */
function signalsFromV4(event: V4Event): Signals | undefined {
  const blocklist = event.ip_blocklist;
  const ipBlocklisted =
    blocklist?.email_spam === undefined && blocklist?.attack_source === undefined
      ? undefined
      : blocklist.email_spam === true || blocklist.attack_source === true;
  return nonEmpty(
    compact({
      bot: event.bot === 'not_detected' ? 'notDetected' : event.bot,
      botType: event.bot_type,
      vpn: event.vpn,
      proxy: event.proxy,
      tor: blocklist?.tor_node,
      tampering: event.tampering,
      incognito: event.incognito,
      emulator: event.emulator,
      rootApps: event.root_apps,
      jailbroken: event.jailbroken,
      frida: event.frida,
      clonedApp: event.cloned_app,
      virtualMachine: event.virtual_machine,
      privacySettings: event.privacy_settings,
      developerTools: event.developer_tools,
      locationSpoofing: event.location_spoofing,
      highActivity: event.high_activity_device,
      ipBlocklisted,
      suspectScore: inRange(event.suspect_score, 0, Number.MAX_SAFE_INTEGER),
    }),
  );
}
