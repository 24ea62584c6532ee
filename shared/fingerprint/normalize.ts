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
 */
import { BlockList, isIP } from 'node:net';
import { ValidationError } from '../domain/errors.js';
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
import { ID_MESSAGES, isId } from '../domain/ids.js';
import { type UpstreamV4Event, withUpstreamV4 } from '../domain/upstream.js';
import {
  clamp,
  compact,
  inRange,
  isDateTime,
  isPlausibleTimestamp,
  isStorableNumber,
  PLAUSIBLE_TIMESTAMP_RULE,
  seenAtFromMs,
  seenAtText,
  storableTag,
} from '../domain/values.js';
import * as z from '../validation/zod.js';

// ---------------------------------------------------------------------------------------------------------
// Lenient schemas
// ---------------------------------------------------------------------------------------------------------

/**
 * Fingerprint's payloads as lenient Zod schemas, built on first use rather than at import: the enrich
 * functions' first call is usually a cached read that never parses a payload, and building these schemas was
 * about 9 ms of their cold start.
 */
function buildSchemas() {
  /** An optional field whose wrong-typed value becomes `undefined` instead of failing the whole event. */
  const lenient = <T extends z.ZodMiniType>(schema: T) => z.catch(z.optional(schema), undefined);

  const optionalString = lenient(z.string());
  const optionalBoolean = lenient(z.boolean());
  const optionalNumber = lenient(z.number());
  const optionalInteger = lenient(z.int());
  /** v3 `tag` and v4 `tags`: any JSON object; arrays and scalars are dropped. */
  const optionalTag = lenient(z.record(z.string(), z.unknown()));

  // v3 ---------------------------------------------------------------------------------------------------------

  const V3NamedCode = z.object({ code: z.string(), name: z.string() });

  /** v3 `DeprecatedGeolocation` (`ipLocation`) and `Geolocation` (`ipInfo.*.geolocation`) share this shape. */
  const V3Geolocation = z.object({
    accuracyRadius: optionalInteger,
    latitude: optionalNumber,
    longitude: optionalNumber,
    postalCode: optionalString,
    timezone: optionalString,
    city: lenient(z.object({ name: z.string() })),
    country: lenient(V3NamedCode),
    continent: lenient(V3NamedCode),
    subdivisions: lenient(z.array(z.object({ isoCode: z.string(), name: z.string() }))),
  });

  const V3BrowserDetails = z.object({
    browserName: optionalString,
    browserMajorVersion: optionalString,
    browserFullVersion: optionalString,
    os: optionalString,
    osVersion: optionalString,
    device: optionalString,
    userAgent: optionalString,
  });

  /** v3 `IdentificationSeenAt`: an unreadable side is unknown, i.e. `null`, as v3 itself reports it. */
  const V3SeenAt = z.object({
    global: z.catch(z.nullable(z.string()), null),
    subscription: z.catch(z.nullable(z.string()), null),
  });

  const V3Confidence = z.object({ score: z.number(), revision: optionalString, comment: optionalString });

  /**
   * The identification fields of a v3 visit, of `products.identification.data` and of the flat v3 webhook.
   * The three required ones are read raw so that a rejection can say what exactly is wrong with them.
   */
  const V3Identification = z.object({
    requestId: z.optional(z.unknown()),
    visitorId: z.optional(z.unknown()),
    timestamp: z.optional(z.unknown()),
    time: optionalString,
    linkedId: optionalString,
    url: optionalString,
    ip: optionalString,
    incognito: optionalBoolean,
    tag: optionalTag,
    confidence: lenient(V3Confidence),
    visitorFound: optionalBoolean,
    firstSeenAt: lenient(V3SeenAt),
    lastSeenAt: lenient(V3SeenAt),
    browserDetails: lenient(V3BrowserDetails),
    ipLocation: lenient(V3Geolocation),
  });

  const V3IpInfoEntry = z.object({ address: z.string(), geolocation: lenient(V3Geolocation) });
  const V3IpInfo = z.object({ v4: lenient(V3IpInfoEntry), v6: lenient(V3IpInfoEntry) });

  const V3BooleanResult = z.object({ result: z.boolean() });
  const v3BooleanSignal = lenient(V3BooleanResult);

  /** The Smart Signals of v3, as the flat webhook carries them; v3 events wrap each in `{data}` or `{error}`. */
  const V3_SIGNAL_SHAPE = {
    bot: lenient(z.object({ result: z.string(), type: optionalString })),
    vpn: v3BooleanSignal,
    proxy: v3BooleanSignal,
    tor: v3BooleanSignal,
    tampering: v3BooleanSignal,
    emulator: v3BooleanSignal,
    rootApps: v3BooleanSignal,
    jailbroken: v3BooleanSignal,
    frida: v3BooleanSignal,
    clonedApp: v3BooleanSignal,
    virtualMachine: v3BooleanSignal,
    privacySettings: v3BooleanSignal,
    developerTools: v3BooleanSignal,
    locationSpoofing: v3BooleanSignal,
    highActivity: v3BooleanSignal,
    ipBlocklist: v3BooleanSignal,
    suspectScore: lenient(z.object({ result: z.int() })),
  };
  const V3SignalValues = z.object(V3_SIGNAL_SHAPE);

  const V3ProductError = z.object({ code: z.string(), message: z.string() });
  /** An error Fingerprint returned in place of a v3 product's data (in an HTTP 200 answer). */

  /** A v3 product: `{data}` when it worked, `{error}` when it did not. */
  const v3Product = <T extends z.ZodMiniType>(data: T) =>
    lenient(z.object({ data: lenient(data), error: lenient(V3ProductError) }));
  const v3BooleanProduct = v3Product(V3BooleanResult);

  const V3Products = z.object({
    identification: v3Product(V3Identification),
    botd: v3Product(z.object({ bot: V3_SIGNAL_SHAPE.bot })),
    ipInfo: v3Product(V3IpInfo),
    incognito: v3BooleanProduct,
    vpn: v3BooleanProduct,
    proxy: v3BooleanProduct,
    tor: v3BooleanProduct,
    tampering: v3BooleanProduct,
    emulator: v3BooleanProduct,
    rootApps: v3BooleanProduct,
    jailbroken: v3BooleanProduct,
    frida: v3BooleanProduct,
    clonedApp: v3BooleanProduct,
    virtualMachine: v3BooleanProduct,
    privacySettings: v3BooleanProduct,
    developerTools: v3BooleanProduct,
    locationSpoofing: v3BooleanProduct,
    highActivity: v3BooleanProduct,
    ipBlocklist: v3BooleanProduct,
    suspectScore: v3Product(z.object({ result: z.int() })),
  });

  const V3EventBody = z.object({ products: lenient(V3Products) });

  const V3Webhook = z.extend(z.extend(V3Identification, V3_SIGNAL_SHAPE), { ipInfo: lenient(V3IpInfo) });

  // v4 ---------------------------------------------------------------------------------------------------------

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

  return {
    V3BrowserDetails,
    V3EventBody,
    V3Geolocation,
    V3Identification,
    V3IpInfo,
    V3ProductError,
    V3Products,
    V3SignalValues,
    V3Webhook,
    V4Event,
    V4Geolocation,
  };
}

type Schemas = ReturnType<typeof buildSchemas>;
let built: Schemas | undefined;

function schemas(): Schemas {
  built ??= buildSchemas();
  return built;
}

type V3Geolocation = z.infer<Schemas['V3Geolocation']>;
type V3Identification = z.infer<Schemas['V3Identification']>;
type V3IpInfo = z.infer<Schemas['V3IpInfo']>;
type V3SignalValues = z.infer<Schemas['V3SignalValues']>;
export type V3ProductError = z.infer<Schemas['V3ProductError']>;
type V3Products = z.infer<Schemas['V3Products']>;
type V4Geolocation = z.infer<Schemas['V4Geolocation']>;
type V4Event = z.infer<Schemas['V4Event']>;

// ---------------------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------------------

/**
 * Normalizes one item of `visits` from v3 `GET /visitors/{visitor_id}`.
 *
 * @param visit - the visit as Fingerprint returned it.
 * @param visitorId - the `visitorId` of the response: a visit does not carry its own.
 * @throws {ValidationError} when the visit has no valid `requestId` or `timestamp`, or `visitorId` is invalid.
 */
export function normalizeV3Visit(visit: unknown, visitorId: string): NormalizedEvent {
  const data = parseObject(schemas().V3Identification, visit, 'visit');
  return fromV3Identification(data, {
    prefix: '',
    visitorId,
    visitorIdField: 'visitorId',
    source: EVENT_SOURCES.v3,
  });
}

/**
 * Normalizes a v3 `GET /events/{request_id}` body, or one item of `events` from v3 `GET /events/search` (same
 * shape): `{products: {identification: {data}, botd, ipInfo, vpn, …}}`. Smart Signals that came back as
 * `{error}` are left out.
 *
 * @throws {ValidationError} when `products.identification.data` is absent (Fingerprint returned an error in
 * its place: see {@link readV3IdentificationError}) or lacks a valid requestId, visitorId or timestamp.
 */
export function normalizeV3Event(body: unknown): NormalizedEvent {
  return fromV3EventBody(body, EVENT_SOURCES.v3);
}

function fromV3EventBody(body: unknown, source: EventSource): NormalizedEvent {
  const { products } = parseObject(schemas().V3EventBody, body, 'body');
  if (products === undefined) {
    throw new ValidationError(
      'products',
      'products is missing or not an object: a v3 event is {"products": {…}}',
    );
  }
  const prefix = 'products.identification.data.';
  const data = products.identification?.data;
  if (data === undefined) throw missingV3Identification(products.identification?.error);
  return fromV3Identification(data, {
    prefix,
    visitorId: data.visitorId,
    visitorIdField: `${prefix}visitorId`,
    signals: signalsFromV3(unwrapV3Products(products), products.incognito?.data?.result),
    ipInfo: products.ipInfo?.data,
    source,
  });
}

/**
 * The error Fingerprint returned in place of the identification of a v3 event, if any. v3 answers HTTP 200
 * with `products.identification.error` when identification failed upstream, including `429 Too Many Requests`
 * and `TooManyRequests`, which a caller should retry rather than treat as a bad payload.
 */
export function readV3IdentificationError(body: unknown): V3ProductError | undefined {
  const parsed = schemas().V3EventBody.safeParse(body);
  return parsed.success ? parsed.data.products?.identification?.error : undefined;
}

/**
 * Normalizes a v4 Event: the body of `GET /v4/events/{event_id}`, or one item of `events` from
 * `GET /v4/events`.
 *
 * @throws {ValidationError} when `event_id`, `identification.visitor_id` or `timestamp` is missing or invalid.
 * Edge events (`source: "edge"`) have no identification, hence no visitor, and are rejected.
 */
export function normalizeV4Event(body: unknown): NormalizedEvent {
  const event = fromV4Event(parseObject(schemas().V4Event, body, 'body'), EVENT_SOURCES.v4);
  // The body is an object once it parsed: kept with the event, as received (`upstreamV4Of`).
  return withUpstreamV4(event, body as UpstreamV4Event);
}

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
  return withUpstreamV4(
    fromV4Event(parseObject(schemas().V4Event, body, 'body'), EVENT_SOURCES.sealed),
    body as UpstreamV4Event,
  );
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
    return withUpstreamV4(
      fromV4Event(parseObject(schemas().V4Event, body, 'body'), EVENT_SOURCES.webhook),
      body,
    );
  }
  const webhook = parseObject(schemas().V3Webhook, body, 'body');
  return fromV3Identification(webhook, {
    prefix: '',
    visitorId: webhook.visitorId,
    visitorIdField: 'visitorId',
    signals: signalsFromV3(webhook),
    ipInfo: webhook.ipInfo,
    source: EVENT_SOURCES.webhook,
    requestIdHint: 'a v3 webhook carries requestId, a v4 webhook event_id',
  });
}

// ---------------------------------------------------------------------------------------------------------
// v3 mapping
// ---------------------------------------------------------------------------------------------------------

interface V3Context {
  /** Path of the identification fields in the payload, for error messages. */
  prefix: string;
  visitorId: unknown;
  visitorIdField: string;
  signals?: Signals;
  ipInfo?: V3IpInfo;
  source: EventSource;
  requestIdHint?: string;
}

function fromV3Identification(data: V3Identification, context: V3Context): NormalizedEvent {
  const { prefix } = context;
  const requestId = requireId(data.requestId, `${prefix}requestId`, 'requestId', context.requestIdHint);
  const visitorId = requireId(context.visitorId, context.visitorIdField, 'visitorId');
  const timestamp = requireTimestamp(data.timestamp, `${prefix}timestamp`);
  return compact({
    requestId,
    visitorId,
    linkedId: validLinkedId(data.linkedId),
    timestamp,
    time: utcTime(data.time, timestamp),
    url: data.url,
    ip: data.ip,
    incognito: data.incognito,
    ...tagFields(data.tag),
    confidence: confidenceOf(data.confidence),
    visitorFound: data.visitorFound,
    firstSeenAt: seenAtFromV3(data.firstSeenAt),
    lastSeenAt: seenAtFromV3(data.lastSeenAt),
    browser: browserFromV3(data.browserDetails),
    location: locationFromV3(data.ipLocation, data.ip, context.ipInfo),
    signals: context.signals,
    source: context.source,
    schemaVersion: SCHEMA_VERSION,
  });
}

function missingV3Identification(error: V3ProductError | undefined): ValidationError {
  const field = 'products.identification.data';
  const reason =
    error === undefined
      ? 'the event has no identification'
      : `Fingerprint returned identification error "${error.code}" (${error.message}) instead`;
  return new ValidationError(
    field,
    `${field} is missing: ${reason}, so there is no visitor to store it under`,
    {
      cause: error,
    },
  );
}

function browserFromV3(details: z.infer<Schemas['V3BrowserDetails']> | undefined): BrowserInfo {
  return {
    name: details?.browserName ?? '',
    majorVersion: details?.browserMajorVersion ?? '',
    fullVersion: details?.browserFullVersion ?? '',
    os: details?.os ?? '',
    osVersion: details?.osVersion ?? '',
    device: details?.device ?? '',
    userAgent: details?.userAgent ?? '',
  };
}

/**
 * The deprecated `ipLocation` wins when present: it describes the event's IP by definition, and keeping it
 * is what makes a v3 visit render back unchanged. Otherwise the `ipInfo` entry of the event's IP is used.
 */
function locationFromV3(
  ipLocation: V3Geolocation | undefined,
  ip: string | undefined,
  ipInfo: V3IpInfo | undefined,
): Location | undefined {
  const geolocation = ipLocation ?? geolocationOfIp(ip, [ipInfo?.v4, ipInfo?.v6]);
  if (geolocation === undefined) return undefined;
  return nonEmpty(
    compact({
      city: geolocation.city?.name,
      country: geolocation.country,
      continent: geolocation.continent,
      subdivisions: geolocation.subdivisions,
      latitude: coordinate(geolocation.latitude, 90),
      longitude: coordinate(geolocation.longitude, 180),
      postalCode: geolocation.postalCode,
      timezone: geolocation.timezone,
      accuracyRadius: inRange(geolocation.accuracyRadius, 0, Number.MAX_SAFE_INTEGER),
    }),
  );
}

function unwrapV3Products(products: V3Products): V3SignalValues {
  return {
    bot: products.botd?.data?.bot,
    vpn: products.vpn?.data,
    proxy: products.proxy?.data,
    tor: products.tor?.data,
    tampering: products.tampering?.data,
    emulator: products.emulator?.data,
    rootApps: products.rootApps?.data,
    jailbroken: products.jailbroken?.data,
    frida: products.frida?.data,
    clonedApp: products.clonedApp?.data,
    virtualMachine: products.virtualMachine?.data,
    privacySettings: products.privacySettings?.data,
    developerTools: products.developerTools?.data,
    locationSpoofing: products.locationSpoofing?.data,
    highActivity: products.highActivity?.data,
    ipBlocklist: products.ipBlocklist?.data,
    suspectScore: products.suspectScore?.data,
  };
}

/**
 * @param incognito - the Incognito Smart Signal (`products.incognito`). The flat v3 webhook has no such
 * signal: its `incognito` is the identification flag, kept as the event's `incognito`.
 */
function signalsFromV3(values: V3SignalValues, incognito?: boolean): Signals | undefined {
  return nonEmpty(
    compact({
      bot: values.bot?.result,
      botType: values.bot?.type,
      vpn: values.vpn?.result,
      proxy: values.proxy?.result,
      tor: values.tor?.result,
      tampering: values.tampering?.result,
      incognito,
      emulator: values.emulator?.result,
      rootApps: values.rootApps?.result,
      jailbroken: values.jailbroken?.result,
      frida: values.frida?.result,
      clonedApp: values.clonedApp?.result,
      virtualMachine: values.virtualMachine?.result,
      privacySettings: values.privacySettings?.result,
      developerTools: values.developerTools?.result,
      locationSpoofing: values.locationSpoofing?.result,
      highActivity: values.highActivity?.result,
      ipBlocklisted: values.ipBlocklist?.result,
      suspectScore: inRange(values.suspectScore?.result, 0, Number.MAX_SAFE_INTEGER),
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------
// v4 mapping
// ---------------------------------------------------------------------------------------------------------

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

/** The score is a probability: one outside [0, 1] is clamped, and one too small to store is 0. */
function confidenceOf(confidence: Confidence | undefined): Confidence | undefined {
  if (confidence === undefined) return undefined;
  const score = clamp(confidence.score, 0, 1);
  return compact({ ...confidence, score: isStorableNumber(score) ? score : 0 });
}

/** A v3 seen-at side that is not a plausible date-time is unknown, as v3 itself reports unknown ones. */
function seenAtFromV3(seenAt: SeenAt | undefined): SeenAt | undefined {
  if (seenAt === undefined) return undefined;
  return { global: seenAtText(seenAt.global), subscription: seenAtText(seenAt.subscription) };
}

/** The tag as stored, and the flag saying it had to be changed (absent when it did not). */
function tagFields(tag: Record<string, unknown> | undefined): Pick<NormalizedEvent, 'tag' | 'tagAltered'> {
  const storable = storableTag(tag);
  return { tag: storable.tag, tagAltered: storable.altered ? true : undefined };
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

// ---------------------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseObject<T extends z.ZodMiniType>(schema: T, value: unknown, field: string): z.infer<T> {
  // The schemas never fail on a field, so a failure here means the payload is not an object at all.
  const parsed = isObject(value) ? schema.safeParse(value) : undefined;
  if (parsed?.success !== true) {
    throw new ValidationError(field, `${field} must be a JSON object, got ${describeType(value)}`, {
      cause: parsed?.error,
    });
  }
  return parsed.data;
}

const ID_NOUNS = { requestId: 'request id', visitorId: 'visitor id' } as const;

/** Ids become table keys: a string that breaks the one id rule (see `ids.ts`) is refused, not stored. */
function requireId(value: unknown, field: string, kind: keyof typeof ID_NOUNS, hint?: string): string {
  const noun = ID_NOUNS[kind];
  if (value === undefined || value === null || value === '') {
    const reason = hint ?? `every event needs its ${noun}`;
    throw new ValidationError(field, `${field} is missing: ${reason}`);
  }
  if (typeof value !== 'string') {
    throw new ValidationError(field, `${field} must be a string (the ${noun}), got ${describeType(value)}`);
  }
  if (!isId(value)) throw new ValidationError(field, `${field} is not a valid ${noun}. ${ID_MESSAGES[kind]}`);
  return value;
}

function requireTimestamp(value: unknown, field: string): number {
  if (value === undefined || value === null) {
    throw new ValidationError(
      field,
      `${field} is missing: every event needs its time in ms since the Unix epoch`,
    );
  }
  if (typeof value !== 'number' || !isPlausibleTimestamp(value)) {
    const got = typeof value === 'number' ? String(value) : describeType(value);
    // Stored, an implausible time would defeat the TTL: the event would expire at once or live for ages.
    throw new ValidationError(
      field,
      `${field} must be a whole number of milliseconds ${PLAUSIBLE_TIMESTAMP_RULE}, got ${got}`,
    );
  }
  return value;
}

/** A linkedId becomes a table key too; one that breaks the id rules is dropped like any malformed field. */
function validLinkedId(value: string | undefined): string | undefined {
  return value !== undefined && isId(value) ? value : undefined;
}

/**
 * The payload's own `time` is kept verbatim when it is already UTC, so a v3 visit renders back exactly as
 * Fingerprint sent it; another offset is converted to UTC; a missing or unreadable one is derived from the
 * timestamp.
 */
function utcTime(time: string | undefined, timestamp: number): string {
  if (time !== undefined && isDateTime(time) && isPlausibleTimestamp(Date.parse(time))) {
    return time.endsWith('Z') ? time : new Date(time).toISOString();
  }
  return new Date(timestamp).toISOString();
}

/**
 * The geolocation of the `ipInfo` entry whose address is the event's IP. The entries are separate v4 and v6
 * lookups; only the one for the event's own address describes where the event came from.
 */
function geolocationOfIp<G>(
  ip: string | undefined,
  entries: ReadonlyArray<{ address: string; geolocation?: G | undefined } | undefined>,
): G | undefined {
  if (ip === undefined) return undefined;
  return entries.find((entry) => entry !== undefined && sameIp(entry.address, ip))?.geolocation;
}

/** IPv6 has several spellings of one address (`::` compression, case), so those are compared by value. */
function sameIp(a: string, b: string): boolean {
  if (a === b) return true;
  // Only IPv6 addresses hold a colon. Checking that first spares most events `isIP`, whose first call compiles
  // Node's address patterns: about 15 ms of CPU on an instance's first uncached event.
  if (!a.includes(':') || !b.includes(':')) return false;
  if (isIP(a) !== 6 || isIP(b) !== 6) return false;
  const list = new BlockList();
  list.addAddress(a, 'ipv6');
  return list.check(b, 'ipv6');
}

/** A latitude (±90) or longitude (±180) out of range is omitted; one too small to store is 0. */
function coordinate(value: number | undefined, bound: number): number | undefined {
  const valid = inRange(value, -bound, bound);
  return valid === undefined || isStorableNumber(valid) ? valid : 0;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

function nonEmpty<T extends object>(value: T): T | undefined {
  return Object.keys(value).length > 0 ? value : undefined;
}
