import { isIP } from 'node:net';
import type { Location, NormalizedEvent, SeenAt } from '../domain/event.js';
import { type UpstreamV4Event, upstreamV4Of } from '../domain/upstream.js';
import { compact } from '../domain/values.js';

/**
 * An event in the Server API v4 `Event` shape: Fingerprint's own copy when we have it (the event reached us in v4
 * form and was kept), else rendered from the normalized view. Every copy can be written back as JSON: the
 * normalizer attaches none it could not (`fromV4Payload`), and the store keeps only what it wrote.
 */
export function toV4Event(event: NormalizedEvent, upstream = upstreamV4Of(event)): UpstreamV4Event {
  return upstream ?? renderV4Event(event);
}

/**
 * The v4 `Event` of the official v4 document, rendered from what the normalized view knows: an event that
 * reached us from v3, or whose upstream copy was not kept. Everything v4 has and the normalized view does not
 * keep is left out (docs/storage.md lists it); what is rendered keeps within the document's schema (a code that
 * is not two letters, a bot verdict v4 has no name for, a fractional suspect score are left out rather than
 * answered invalid).
 */
export function renderV4Event(event: NormalizedEvent): UpstreamV4Event {
  const signals = event.signals ?? {};
  const tor = signals.tor;
  return compact({
    event_id: event.requestId,
    timestamp: event.timestamp,
    linked_id: event.linkedId,
    tags: event.tag,
    url: event.url,
    ip_address: event.ip,
    user_agent: event.browser.userAgent || undefined,
    ...deviceFields(event),
    identification: compact({
      visitor_id: event.visitorId,
      // v4 requires it; unknown (an event normalized from a source without it) reads as not found before.
      visitor_found: event.visitorFound ?? false,
      confidence:
        event.confidence === undefined
          ? undefined
          : compact({
              score: event.confidence.score,
              version: event.confidence.revision,
              comment: event.confidence.comment,
            }),
      first_seen_at: seenAtMs(event.firstSeenAt),
      last_seen_at: seenAtMs(event.lastSeenAt),
    }),
    ip_info: ipInfo(event.ip, event.location),
    bot: botResult(signals.bot),
    bot_type: signals.botType,
    vpn: signals.vpn,
    proxy: signals.proxy,
    tampering: signals.tampering,
    incognito: event.incognito ?? signals.incognito,
    emulator: signals.emulator,
    root_apps: signals.rootApps,
    jailbroken: signals.jailbroken,
    frida: signals.frida,
    cloned_app: signals.clonedApp,
    virtual_machine: signals.virtualMachine,
    privacy_settings: signals.privacySettings,
    developer_tools: signals.developerTools,
    location_spoofing: signals.locationSpoofing,
    high_activity_device: signals.highActivity,
    suspect_score: Number.isSafeInteger(signals.suspectScore) ? signals.suspectScore : undefined,
    ip_blocklist: tor === undefined ? undefined : { tor_node: tor },
  });
}

/** A web event's `browser_details`; a mobile event (no browser name) has top-level `os`, `os_version`, `device`. */
function deviceFields(event: NormalizedEvent): Record<string, unknown> {
  const { name, majorVersion, fullVersion, os, osVersion, device } = event.browser;
  if (name !== '') {
    return {
      browser_details: {
        browser_name: name,
        browser_major_version: majorVersion,
        browser_full_version: fullVersion,
        os,
        os_version: osVersion,
        device,
      },
    };
  }
  return compact({ os: os || undefined, os_version: osVersion || undefined, device: device || undefined });
}

/** v4's `first_seen_at`/`last_seen_at` are the v3 `subscription` times, in ms; v3's `global` has no counterpart. */
function seenAtMs(seenAt: SeenAt | undefined): number | undefined {
  if (seenAt?.subscription == null) return undefined;
  const ms = Date.parse(seenAt.subscription);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

function botResult(bot: string | undefined): string | undefined {
  if (bot === 'notDetected') return 'not_detected';
  return bot === 'good' || bot === 'bad' ? bot : undefined;
}

/** `ip_info.v4` or `.v6` with the address and what the normalized location holds of its geolocation. */
function ipInfo(ip: string | undefined, location: Location | undefined): Record<string, unknown> | undefined {
  const version = ip === undefined ? 0 : isIP(ip);
  if (ip === undefined || version === 0) return undefined;
  const geolocation =
    location === undefined
      ? undefined
      : compact({
          accuracy_radius: Number.isSafeInteger(location.accuracyRadius)
            ? location.accuracyRadius
            : undefined,
          latitude: location.latitude,
          longitude: location.longitude,
          postal_code: location.postalCode,
          timezone: location.timezone,
          city_name: location.city,
          ...namedCode('country', location.country),
          ...namedCode('continent', location.continent),
          subdivisions: location.subdivisions?.map(({ isoCode, name }) => ({ iso_code: isoCode, name })),
        });
  const empty = geolocation === undefined || Object.keys(geolocation).length === 0;
  return { [version === 4 ? 'v4' : 'v6']: { address: ip, ...(!empty && { geolocation }) } };
}

/** v4's `<kind>_code` (exactly two letters) and `<kind>_name`. */
function namedCode(
  kind: 'country' | 'continent',
  value: { code: string; name: string } | undefined,
): Record<string, string> {
  if (value === undefined || value.code.length !== 2) return {};
  return { [`${kind}_code`]: value.code, ...(value.name !== '' && { [`${kind}_name`]: value.name }) };
}
