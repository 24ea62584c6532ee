/**
 * Rendering of a {@link NormalizedEvent} as the v3 visit of `GET /visitors/{visitorId}`, the one route that
 * answers it: it lives with the query function, apart from the normalization of upstream payloads
 * (`shared/fingerprint/normalize.ts`), so the query function neither bundles nor builds at cold start the
 * schemas that parse them.
 */
import type { BrowserInfo, Location, NormalizedEvent, SeenAt } from '../../shared/domain/event.js';
import { compact } from '../../shared/domain/values.js';
import type { V3BrowserDetails, V3IpLocation, V3Visit } from '../../shared/manifest/api-types.js';

export type { V3BrowserDetails, V3IpLocation, V3Visit };

/**
 * Renders a normalized event as a v3 visit. A v3 visit normalized and rendered back is unchanged except for
 * `components`. Fields the v3 schema requires but the event lacks (typically from v4 or mobile events) get
 * the schema-valid empty value: `incognito: false`, `ip: ""`, `url: ""`, `tag: {}`, `visitorFound: false`,
 * `firstSeenAt`/`lastSeenAt: {global: null, subscription: null}` and `""` for each missing browser detail.
 */
export function toV3Visit(event: NormalizedEvent): V3Visit {
  return compact({
    requestId: event.requestId,
    browserDetails: toV3BrowserDetails(event.browser),
    incognito: event.incognito ?? false,
    ip: event.ip ?? '',
    ipLocation: event.location === undefined ? undefined : toV3IpLocation(event.location),
    linkedId: event.linkedId,
    timestamp: event.timestamp,
    time: event.time,
    url: event.url ?? '',
    tag: { ...event.tag },
    confidence: event.confidence === undefined ? undefined : compact({ ...event.confidence }),
    visitorFound: event.visitorFound ?? false,
    firstSeenAt: { ...(event.firstSeenAt ?? UNKNOWN_SEEN_AT) },
    lastSeenAt: { ...(event.lastSeenAt ?? UNKNOWN_SEEN_AT) },
  });
}

const UNKNOWN_SEEN_AT: SeenAt = { global: null, subscription: null };

function toV3BrowserDetails(browser: BrowserInfo): V3BrowserDetails {
  return {
    browserName: browser.name,
    browserMajorVersion: browser.majorVersion,
    browserFullVersion: browser.fullVersion,
    os: browser.os,
    osVersion: browser.osVersion,
    device: browser.device,
    userAgent: browser.userAgent,
  };
}

function toV3IpLocation(location: Location): V3IpLocation {
  return compact({
    accuracyRadius: location.accuracyRadius,
    latitude: location.latitude,
    longitude: location.longitude,
    postalCode: location.postalCode,
    timezone: location.timezone,
    city: location.city === undefined ? undefined : { name: location.city },
    country: location.country === undefined ? undefined : { ...location.country },
    continent: location.continent === undefined ? undefined : { ...location.continent },
    subdivisions: location.subdivisions?.map((subdivision) => ({ ...subdivision })),
  });
}
