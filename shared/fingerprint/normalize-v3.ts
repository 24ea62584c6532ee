/**
 * Normalization of Fingerprint's v3 payloads: a visit of `GET /visitors/{visitor_id}`, the events of
 * `GET /events/{request_id}` and `GET /events/search`, and the flat legacy webhook (its entry point is
 * `normalize.ts`). The schemas read only what {@link NormalizedEvent} keeps; see `normalize.ts` for the rules.
 */
import { ValidationError } from '../domain/errors.js';
import {
  type BrowserInfo,
  EVENT_SOURCES,
  type EventSource,
  type Location,
  type NormalizedEvent,
  SCHEMA_VERSION,
  type SeenAt,
  type Signals,
} from '../domain/event.js';
import { compact, inRange, seenAtText } from '../domain/values.js';
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

/** Fingerprint's v3 payloads as lenient Zod schemas (see {@link builtOnFirstUse}). */
function buildV3Schemas() {
  const { optionalString, optionalBoolean, optionalNumber, optionalInteger, optionalTag } = lenientScalars();

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
  };
}

type Schemas = ReturnType<typeof buildV3Schemas>;
const schemas = builtOnFirstUse(buildV3Schemas);

type V3Geolocation = z.infer<Schemas['V3Geolocation']>;
type V3Identification = z.infer<Schemas['V3Identification']>;
type V3IpInfo = z.infer<Schemas['V3IpInfo']>;
type V3SignalValues = z.infer<Schemas['V3SignalValues']>;
export type V3ProductError = z.infer<Schemas['V3ProductError']>;
type V3Products = z.infer<Schemas['V3Products']>;

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

export function fromV3EventBody(body: unknown, source: EventSource): NormalizedEvent {
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
 * Normalizes a flat legacy v3 webhook (`normalizeWebhook` tells it from a v4 one).
 *
 * @throws {ValidationError} when the payload lacks a valid `requestId`, `visitorId` or `timestamp`.
 */
export function fromV3Webhook(body: unknown, source: EventSource): NormalizedEvent {
  const webhook = parseObject(schemas().V3Webhook, body, 'body');
  return fromV3Identification(webhook, {
    prefix: '',
    visitorId: webhook.visitorId,
    visitorIdField: 'visitorId',
    signals: signalsFromV3(webhook),
    ipInfo: webhook.ipInfo,
    source,
    requestIdHint: 'a v3 webhook carries requestId, a v4 webhook event_id',
  });
}

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

/** A v3 seen-at side that is not a plausible date-time is unknown, as v3 itself reports unknown ones. */
function seenAtFromV3(seenAt: SeenAt | undefined): SeenAt | undefined {
  if (seenAt === undefined) return undefined;
  return { global: seenAtText(seenAt.global), subscription: seenAtText(seenAt.subscription) };
}
