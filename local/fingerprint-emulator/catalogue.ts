/**
 * What the generated world draws its events from: device profiles, places (with documentation-range IP
 * addresses, RFC 5737 / RFC 3849) and pages, and the version-neutral shape of a generated event, which
 * `render-generated.ts` turns into v3 and v4 payloads.
 */
import type { V3BrowserDetails } from '../../shared/manifest/api-types.js';

/** A device: the browser details of a v3 visit, as the API serves them (v4 payloads are rendered from it). */
export type DeviceProfile = V3BrowserDetails;

export interface Place {
  city: string;
  countryCode: string;
  countryName: string;
  continentCode: string;
  continentName: string;
  subdivision: { isoCode: string; name: string };
  latitude: number;
  longitude: number;
  postalCode: string;
  timezone: string;
  accuracyRadius: number;
  /** First three octets of the documentation range (RFC 5737) the place's IPv4 addresses come from. */
  ipv4Prefix: string;
  asn: { number: string; name: string; network: string; type: string };
}

/** One generated event, version-neutral; `render-generated.ts` turns it into v3 and v4 payloads. */
export interface GeneratedEvent {
  requestId: string;
  visitorId: string;
  linkedId?: string;
  timestamp: number;
  firstSeenAt: number;
  lastSeenAt: number;
  visitorFound: boolean;
  confidence: number;
  url: string;
  tag: Record<string, string>;
  device: DeviceProfile;
  place: Place;
  /** The address the event came from: one of `ipv4` and `ipv6`. */
  ip: string;
  ipv4: string;
  ipv6: string;
  signals: {
    bot: 'not_detected' | 'good' | 'bad';
    botType?: string;
    vpn: boolean;
    proxy: boolean;
    tor: boolean;
    incognito: boolean;
    tampering: boolean;
    emailSpam: boolean;
    attackSource: boolean;
    developerTools: boolean;
    virtualMachine: boolean;
    privacySettings: boolean;
    highActivity: boolean;
    suspectScore: number;
  };
}

export const PROFILES: readonly [DeviceProfile, ...DeviceProfile[]] = [
  {
    browserName: 'Chrome',
    browserMajorVersion: '131',
    browserFullVersion: '131.0.0',
    os: 'Windows',
    osVersion: '10',
    device: 'Other',
    userAgent:
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  },
  {
    browserName: 'Safari',
    browserMajorVersion: '18',
    browserFullVersion: '18.1.1',
    os: 'Mac OS X',
    osVersion: '10.15.7',
    device: 'Other',
    userAgent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1.1 Safari/605.1.15',
  },
  {
    browserName: 'Firefox',
    browserMajorVersion: '133',
    browserFullVersion: '133.0',
    os: 'Linux',
    osVersion: '',
    device: 'Other',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  },
  {
    browserName: 'Chrome Mobile',
    browserMajorVersion: '131',
    browserFullVersion: '131.0.0',
    os: 'Android',
    osVersion: '14',
    device: 'Samsung SM-S921B',
    userAgent:
      'Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  },
  {
    browserName: 'Mobile Safari',
    browserMajorVersion: '18',
    browserFullVersion: '18.1',
    os: 'iOS',
    osVersion: '18.1',
    device: 'iPhone',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  },
  {
    browserName: 'Edge',
    browserMajorVersion: '131',
    browserFullVersion: '131.0.2903',
    os: 'Windows',
    osVersion: '11',
    device: 'Other',
    userAgent:
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86',
  },
];

export const PLACES: readonly [Place, ...Place[]] = [
  {
    city: 'Prague',
    countryCode: 'CZ',
    countryName: 'Czechia',
    continentCode: 'EU',
    continentName: 'Europe',
    subdivision: { isoCode: '10', name: 'Hlavni mesto Praha' },
    latitude: 50.0805,
    longitude: 14.467,
    postalCode: '130 00',
    timezone: 'Europe/Prague',
    accuracyRadius: 20,
    ipv4Prefix: '192.0.2',
    asn: { number: '64500', name: 'SANDBOX-NET-CZ', network: '192.0.2.0/24', type: 'isp' },
  },
  {
    city: 'Berlin',
    countryCode: 'DE',
    countryName: 'Germany',
    continentCode: 'EU',
    continentName: 'Europe',
    subdivision: { isoCode: 'BE', name: 'Land Berlin' },
    latitude: 52.5244,
    longitude: 13.4105,
    postalCode: '10115',
    timezone: 'Europe/Berlin',
    accuracyRadius: 10,
    ipv4Prefix: '198.51.100',
    asn: { number: '64501', name: 'SANDBOX-NET-DE', network: '198.51.100.0/24', type: 'isp' },
  },
  {
    city: 'Austin',
    countryCode: 'US',
    countryName: 'United States',
    continentCode: 'NA',
    continentName: 'North America',
    subdivision: { isoCode: 'TX', name: 'Texas' },
    latitude: 30.2672,
    longitude: -97.7431,
    postalCode: '78701',
    timezone: 'America/Chicago',
    accuracyRadius: 50,
    ipv4Prefix: '203.0.113',
    asn: { number: '64502', name: 'SANDBOX-NET-US', network: '203.0.113.0/24', type: 'isp' },
  },
  {
    city: 'Sao Paulo',
    countryCode: 'BR',
    countryName: 'Brazil',
    continentCode: 'SA',
    continentName: 'South America',
    subdivision: { isoCode: 'SP', name: 'Sao Paulo' },
    latitude: -23.5475,
    longitude: -46.6361,
    postalCode: '01000-000',
    timezone: 'America/Sao_Paulo',
    accuracyRadius: 100,
    ipv4Prefix: '192.0.2',
    asn: { number: '64503', name: 'SANDBOX-NET-BR', network: '192.0.2.0/24', type: 'isp' },
  },
  {
    city: 'Singapore',
    countryCode: 'SG',
    countryName: 'Singapore',
    continentCode: 'AS',
    continentName: 'Asia',
    subdivision: { isoCode: '01', name: 'Central Singapore' },
    latitude: 1.2897,
    longitude: 103.8501,
    postalCode: '018989',
    timezone: 'Asia/Singapore',
    accuracyRadius: 5,
    ipv4Prefix: '198.51.100',
    asn: { number: '64504', name: 'SANDBOX-NET-SG', network: '198.51.100.0/24', type: 'hosting' },
  },
  {
    city: 'Sydney',
    countryCode: 'AU',
    countryName: 'Australia',
    continentCode: 'OC',
    continentName: 'Oceania',
    subdivision: { isoCode: 'NSW', name: 'New South Wales' },
    latitude: -33.8678,
    longitude: 151.2073,
    postalCode: '2000',
    timezone: 'Australia/Sydney',
    accuracyRadius: 20,
    ipv4Prefix: '203.0.113',
    asn: { number: '64505', name: 'SANDBOX-NET-AU', network: '203.0.113.0/24', type: 'isp' },
  },
];

export const PAGES = [
  'https://shop.example.com/',
  'https://shop.example.com/login',
  'https://shop.example.com/cart',
  'https://shop.example.com/checkout',
  'https://shop.example.com/account/settings',
  'https://shop.example.com/products/1042',
] as const;
