/**
 * Renders a {@link GeneratedEvent} as the Server API would send it: a v4 Event or a v3 event (`products`,
 * whose identification is the event's v3 visit). Only documented fields are written, with the types and
 * required fields of Fingerprint's OpenAPI schemas; the IP address always has its `ip_info` entry, so the
 * product finds a location for it.
 */
import type { GeneratedEvent, Place } from './catalogue.js';

type Json = Record<string, unknown>;

/** The Smart Signals' SDK: a plausible JS agent version. */
const SDK = { platform: 'js', version: '3.11.10' } as const;

/** v4 `GET /v4/events/{event_id}` body, and one item of `GET /v4/events`. */
export function renderGeneratedV4Event(event: GeneratedEvent): Json {
  const { signals } = event;
  return {
    event_id: event.requestId,
    timestamp: event.timestamp,
    source: 'device',
    ...(event.linkedId !== undefined && { linked_id: event.linkedId }),
    tags: { ...event.tag },
    url: event.url,
    ip_address: event.ip,
    user_agent: event.device.userAgent,
    browser_details: {
      browser_name: event.device.browserName,
      browser_major_version: event.device.browserMajorVersion,
      browser_full_version: event.device.browserFullVersion,
      os: event.device.os,
      os_version: event.device.osVersion,
      device: event.device.device,
    },
    identification: {
      visitor_id: event.visitorId,
      confidence: { score: event.confidence, version: '1.1' },
      visitor_found: event.visitorFound,
      first_seen_at: event.firstSeenAt,
      last_seen_at: event.lastSeenAt,
    },
    sdk: SDK,
    replayed: false,
    bot: signals.bot,
    ...(signals.botType !== undefined && { bot_type: signals.botType }),
    ip_info: {
      v4: { address: event.ipv4, geolocation: v4Geolocation(event.place), ...v4Asn(event.place) },
      v6: { address: event.ipv6, geolocation: v4Geolocation(event.place), ...v4Asn(event.place) },
    },
    ip_blocklist: {
      email_spam: signals.emailSpam,
      attack_source: signals.attackSource,
      tor_node: signals.tor,
    },
    proxy: signals.proxy,
    proxy_confidence: signals.proxy ? 'medium' : 'high',
    vpn: signals.vpn,
    vpn_confidence: signals.vpn ? 'medium' : 'high',
    vpn_origin_timezone: event.place.timezone,
    vpn_origin_country: 'unknown',
    vpn_methods: {
      timezone_mismatch: signals.vpn,
      public_vpn: false,
      auxiliary_mobile: false,
      os_mismatch: false,
      relay: false,
    },
    incognito: signals.incognito,
    tampering: signals.tampering,
    tampering_confidence: 'high',
    root_apps: false,
    emulator: false,
    cloned_app: false,
    jailbroken: false,
    frida: false,
    privacy_settings: signals.privacySettings,
    virtual_machine: signals.virtualMachine,
    location_spoofing: false,
    developer_tools: signals.developerTools,
    high_activity_device: signals.highActivity,
    suspect_score: signals.suspectScore,
  };
}

/** v3 `GET /events/{request_id}` body, and one item of `GET /events/search`. */
export function renderGeneratedV3Event(event: GeneratedEvent): Json {
  const { signals } = event;
  const result = (value: boolean) => ({ data: { result: value } });
  return {
    products: {
      identification: {
        // The identification of a v3 event is its visit, plus the visitorId a visit takes from its response.
        data: { visitorId: event.visitorId, ...renderGeneratedV3Visit(event), replayed: false, sdk: SDK },
      },
      botd: {
        data: {
          bot: {
            result: signals.bot === 'not_detected' ? 'notDetected' : signals.bot,
            ...(signals.botType !== undefined && { type: signals.botType }),
          },
          ...(event.linkedId !== undefined && { linkedId: event.linkedId }),
          url: event.url,
          ip: event.ip,
          time: v3Time(event.timestamp),
          userAgent: event.device.userAgent,
          requestId: event.requestId,
        },
      },
      ipInfo: {
        data: {
          v4: { address: event.ipv4, geolocation: v3Geolocation(event.place), ...v3Asn(event.place) },
          v6: { address: event.ipv6, geolocation: v3Geolocation(event.place), ...v3Asn(event.place) },
        },
      },
      ipBlocklist: {
        data: {
          result: signals.emailSpam || signals.attackSource,
          details: { emailSpam: signals.emailSpam, attackSource: signals.attackSource },
        },
      },
      tor: result(signals.tor),
      vpn: {
        data: {
          result: signals.vpn,
          confidence: signals.vpn ? 'medium' : 'high',
          originTimezone: event.place.timezone,
          originCountry: 'unknown',
          methods: {
            timezoneMismatch: signals.vpn,
            publicVPN: false,
            auxiliaryMobile: false,
            osMismatch: false,
            relay: false,
          },
        },
      },
      proxy: { data: { result: signals.proxy, confidence: signals.proxy ? 'medium' : 'high' } },
      incognito: result(signals.incognito),
      tampering: {
        data: {
          result: signals.tampering,
          confidence: 'high',
          anomalyScore: signals.tampering ? 0.92 : 0.05,
          mlScore: signals.tampering ? 0.9 : 0.1,
          antiDetectBrowser: false,
        },
      },
      rootApps: result(false),
      emulator: result(false),
      clonedApp: result(false),
      jailbroken: result(false),
      frida: result(false),
      privacySettings: result(signals.privacySettings),
      virtualMachine: result(signals.virtualMachine),
      locationSpoofing: result(false),
      developerTools: result(signals.developerTools),
      highActivity: result(signals.highActivity),
      suspectScore: { data: { result: signals.suspectScore } },
    },
  };
}

/**
 * A v3 visit (an item of `visits` in the removed v3 `GET /visitors/{visitor_id}`): the identification of a v3
 * event.
 */
export function renderGeneratedV3Visit(event: GeneratedEvent): Json {
  return {
    requestId: event.requestId,
    browserDetails: v3BrowserDetails(event),
    incognito: event.signals.incognito,
    ip: event.ip,
    ipLocation: v3Geolocation(event.place),
    ...(event.linkedId !== undefined && { linkedId: event.linkedId }),
    timestamp: event.timestamp,
    time: v3Time(event.timestamp),
    url: event.url,
    tag: { ...event.tag },
    confidence: { score: event.confidence, revision: 'v1.1' },
    visitorFound: event.visitorFound,
    firstSeenAt: v3SeenAt(event.firstSeenAt),
    lastSeenAt: v3SeenAt(event.lastSeenAt),
  };
}

function v4Geolocation(place: Place): Json {
  return {
    accuracy_radius: place.accuracyRadius,
    latitude: place.latitude,
    longitude: place.longitude,
    postal_code: place.postalCode,
    timezone: place.timezone,
    city_name: place.city,
    country_code: place.countryCode,
    country_name: place.countryName,
    continent_code: place.continentCode,
    continent_name: place.continentName,
    subdivisions: [{ iso_code: place.subdivision.isoCode, name: place.subdivision.name }],
  };
}

function v4Asn(place: Place): Json {
  return {
    asn: place.asn.number,
    asn_name: place.asn.name,
    asn_network: place.asn.network,
    asn_type: place.asn.type,
    datacenter_result: place.asn.type === 'hosting',
    datacenter_name: '',
  };
}

function v3Geolocation(place: Place): Json {
  return {
    accuracyRadius: place.accuracyRadius,
    latitude: place.latitude,
    longitude: place.longitude,
    postalCode: place.postalCode,
    timezone: place.timezone,
    city: { name: place.city },
    country: { code: place.countryCode, name: place.countryName },
    continent: { code: place.continentCode, name: place.continentName },
    subdivisions: [{ ...place.subdivision }],
  };
}

function v3Asn(place: Place): Json {
  return {
    asn: { asn: place.asn.number, name: place.asn.name, network: place.asn.network },
    datacenter: { result: place.asn.type === 'hosting', name: '' },
  };
}

function v3BrowserDetails(event: GeneratedEvent): Json {
  return { ...event.device };
}

function v3SeenAt(timestamp: number): Json {
  const time = new Date(timestamp).toISOString();
  return { global: time, subscription: time };
}

/** v3 writes `time` without milliseconds: `2022-06-16T10:05:53Z`. */
function v3Time(timestamp: number): string {
  return new Date(timestamp).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
