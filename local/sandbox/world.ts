/**
 * The sandbox's made-up world: which events exist, for any well-formed id, at any moment. Everything is
 * derived from the ids and the clock with {@link SeededRandom}, so the same id always yields the same event.
 *
 * - A visitor has a regular series of events: 5 to 250 every 30 days (depending on its id), from a first
 *   visit in 2024 on, each at a fixed time. The world holds those of the last {@link RETENTION_MS}, like the
 *   Server API holds its retention, so a history grows over time and old events drop out; a search sees the
 *   part of them in its `start`/`end` window (the last 7 days by default, as documented).
 * - A linkedId has a series of its own (2 to 40 events every 30 days) shared by one to three visitors.
 * - A requestId `<13-digit ms>.<6 alphanumerics>` is an event at that time, if it lies in the retention window,
 *   of one of a fixed population of visitors; a legacy 20-character requestId gets a time in the window that
 *   stays put for up to 30 days.
 *
 * Events returned by a search are remembered (by address, not content) while the process runs, so looking one
 * up by its requestId afterwards answers that very event rather than a derived one.
 */
import { SeededRandom } from './random.js';

/** How far back the sandbox keeps events: Fingerprint's default retention. */
export const RETENTION_MS = 30 * 24 * 3_600_000;
/** An id a few seconds in the future is clock skew between the caller and the sandbox, not a bad id. */
const CLOCK_SKEW_MS = 60_000;
/** Every visitor's first visit falls in the 30 days after this. */
const SANDBOX_EPOCH_MS = Date.UTC(2024, 0, 1);
/** Visitors a looked-up requestId may belong to. */
const POPULATION_SIZE = 64;
/** Search results remembered for lookups; the oldest are forgotten first. */
const REGISTRY_LIMIT = 100_000;

export interface DeviceProfile {
  browserName: string;
  browserMajorVersion: string;
  browserFullVersion: string;
  os: string;
  osVersion: string;
  device: string;
  userAgent: string;
}

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

/** One event, version-neutral; `render.ts` turns it into v3 and v4 payloads. */
export interface SandboxEvent {
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

export interface SearchFilter {
  visitorId?: string;
  linkedId?: string;
}

const PROFILES: readonly [DeviceProfile, ...DeviceProfile[]] = [
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

const PLACES: readonly [Place, ...Place[]] = [
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

const PAGES = [
  'https://shop.example.com/',
  'https://shop.example.com/login',
  'https://shop.example.com/cart',
  'https://shop.example.com/checkout',
  'https://shop.example.com/account/settings',
  'https://shop.example.com/products/1042',
] as const;

const REQUEST_ID_NEW = /^(\d{13})\.[A-Za-z0-9]{6}$/;
const REQUEST_ID_LEGACY = /^[A-Za-z0-9]{20}$/;

/** Where an event comes from: enough to generate it again. */
type Address =
  | { family: 'visitor'; key: string; index: number }
  | { family: 'linked'; key: string; index: number };

/** A regular series of events: `index` runs from 0 (the first ever) upwards. */
interface Series {
  origin: number;
  gapMs: number;
}

/** The outcome of a lookup by requestId. */
export type LookupResult =
  | { found: true; event: SandboxEvent }
  | { found: false; reason: 'expired' | 'future' | 'malformed' };

/** The sandbox world. One per server: it holds the lookup memory of served search results. */
export class SandboxWorld {
  readonly #now: () => number;
  readonly #registry = new Map<string, Address>();

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** The world's clock, in epoch ms. */
  now(): number {
    return this.#now();
  }

  /** The event with this requestId, or why there is none. */
  lookup(requestId: string): LookupResult {
    const remembered = this.#registry.get(requestId);
    if (remembered !== undefined) {
      const event = this.#generate(remembered);
      // Forgotten only if it has since left the retention window.
      if (this.#inWindow(event.timestamp)) return { found: true, event };
    }
    const now = this.#now();
    const modern = REQUEST_ID_NEW.exec(requestId);
    let timestamp: number;
    if (modern?.[1] !== undefined) {
      timestamp = Number(modern[1]);
      if (timestamp > now + CLOCK_SKEW_MS) return { found: false, reason: 'future' };
      if (timestamp <= now - RETENTION_MS) return { found: false, reason: 'expired' };
    } else if (REQUEST_ID_LEGACY.test(requestId)) {
      // No time in the id: a fixed offset into the current 30-day period, so it stays put while it can.
      const offset = new SeededRandom(`legacy|${requestId}`).int(RETENTION_MS);
      timestamp = Math.floor(now / RETENTION_MS) * RETENTION_MS + offset;
      if (timestamp > now) timestamp -= RETENTION_MS;
    } else {
      return { found: false, reason: 'malformed' };
    }
    const random = new SeededRandom(`request|${requestId}`);
    const visitorId = populationVisitor(random.int(POPULATION_SIZE));
    const firstSeenAt = Math.min(timestamp, this.#firstVisit(visitorId));
    const lastSeenAt = Math.max(firstSeenAt, timestamp - random.int(3 * 24 * 3_600_000));
    return {
      found: true,
      event: buildEvent({
        requestId,
        visitorId,
        timestamp,
        firstSeenAt,
        lastSeenAt,
        linkedId: random.chance(0.35) ? accountOf(visitorId) : undefined,
        random,
      }),
    };
  }

  /** Whether the visitor has any event in the retention window (every well-formed visitor has). */
  hasVisitor(visitorId: string): boolean {
    return this.#visitorEvents(visitorId).length > 0;
  }

  /** The events matching every given filter, newest first (ties by requestId, descending). */
  search(filter: SearchFilter): SandboxEvent[] {
    const { visitorId, linkedId } = filter;
    let events: SandboxEvent[];
    if (visitorId !== undefined && linkedId !== undefined) {
      events = [
        ...this.#visitorEvents(visitorId).filter((event) => event.linkedId === linkedId),
        ...this.#linkedEvents(linkedId).filter((event) => event.visitorId === visitorId),
      ];
    } else if (visitorId !== undefined) {
      events = this.#visitorEvents(visitorId);
    } else if (linkedId !== undefined) {
      events = this.#linkedEvents(linkedId);
    } else {
      events = [];
    }
    return events.sort(newestFirst);
  }

  /**
   * The visits v3 `/visitors` scans: the visitor's own series and, when a linkedId filter is given, that
   * linkedId's events of this visitor too, so v3 finds what a v4 search with both filters finds. Newest first.
   */
  visitorHistory(visitorId: string, linkedId?: string): SandboxEvent[] {
    const own = this.#visitorEvents(visitorId);
    if (linkedId === undefined) return own.sort(newestFirst);
    const ids = new Set(own.map((event) => event.requestId));
    const linked = this.#linkedEvents(linkedId).filter(
      (event) => event.visitorId === visitorId && !ids.has(event.requestId),
    );
    return [...own, ...linked].sort(newestFirst);
  }

  #inWindow(timestamp: number): boolean {
    const now = this.#now();
    return timestamp > now - RETENTION_MS && timestamp <= now;
  }

  #visitorEvents(visitorId: string): SandboxEvent[] {
    return this.#seriesEvents('visitor', visitorId, visitorSeries(visitorId));
  }

  #linkedEvents(linkedId: string): SandboxEvent[] {
    return this.#seriesEvents('linked', linkedId, linkedSeries(linkedId));
  }

  #seriesEvents(family: Address['family'], key: string, series: Series): SandboxEvent[] {
    const now = this.#now();
    const from = now - RETENTION_MS;
    const first = Math.max(0, Math.floor((from - series.origin) / series.gapMs) - 1);
    const last = Math.floor((now - series.origin) / series.gapMs);
    const events: SandboxEvent[] = [];
    for (let index = first; index <= last; index += 1) {
      const timestamp = seriesTime(family, key, series, index);
      if (timestamp <= from || timestamp > now) continue;
      const address: Address = { family, key, index };
      events.push(this.#generate(address));
      this.#remember(events.at(-1)?.requestId ?? '', address);
    }
    return events;
  }

  #remember(requestId: string, address: Address): void {
    this.#registry.delete(requestId);
    this.#registry.set(requestId, address);
    if (this.#registry.size > REGISTRY_LIMIT) {
      const oldest = this.#registry.keys().next();
      if (oldest.done !== true) this.#registry.delete(oldest.value);
    }
  }

  #firstVisit(visitorId: string): number {
    return seriesTime('visitor', visitorId, visitorSeries(visitorId), 0);
  }

  #generate(address: Address): SandboxEvent {
    const { family, key, index } = address;
    const random = new SeededRandom(`${family}|${key}|${index}`);
    if (family === 'visitor') {
      const series = visitorSeries(key);
      const timestamp = seriesTime(family, key, series, index);
      const linkedRoll = random.next();
      return buildEvent({
        requestId: requestIdAt(timestamp, random),
        visitorId: key,
        timestamp,
        firstSeenAt: seriesTime(family, key, series, 0),
        lastSeenAt: index === 0 ? timestamp : seriesTime(family, key, series, index - 1),
        linkedId:
          linkedRoll < 0.35
            ? accountOf(key)
            : linkedRoll < 0.6
              ? `order-${String(100_000 + random.int(900_000))}`
              : undefined,
        random,
      });
    }
    const series = linkedSeries(key);
    const timestamp = seriesTime(family, key, series, index);
    const visitors = new SeededRandom(`linked-visitors|${key}`).int(3) + 1;
    const visitorId = linkedVisitor(key, random.int(visitors));
    const firstSeenAt = Math.min(timestamp, this.#firstVisit(visitorId));
    return buildEvent({
      requestId: requestIdAt(timestamp, random),
      visitorId,
      timestamp,
      firstSeenAt,
      lastSeenAt: Math.max(firstSeenAt, timestamp - random.int(3 * 24 * 3_600_000)),
      linkedId: key,
      random,
    });
  }
}

function visitorSeries(visitorId: string): Series {
  const random = new SeededRandom(`visitor-series|${visitorId}`);
  const perRetention = 5 + random.int(246);
  const gapMs = Math.floor(RETENTION_MS / perRetention);
  return { origin: SANDBOX_EPOCH_MS + random.int(gapMs), gapMs };
}

function linkedSeries(linkedId: string): Series {
  const random = new SeededRandom(`linked-series|${linkedId}`);
  const perRetention = 2 + random.int(39);
  const gapMs = Math.floor(RETENTION_MS / perRetention);
  return { origin: SANDBOX_EPOCH_MS + random.int(gapMs), gapMs };
}

/** Jitter of up to half a gap keeps the series strictly increasing while it looks irregular. */
function seriesTime(family: Address['family'], key: string, series: Series, index: number): number {
  const jitter = new SeededRandom(`time|${family}|${key}|${index}`).int(Math.floor(series.gapMs / 2));
  return series.origin + index * series.gapMs + jitter;
}

function requestIdAt(timestamp: number, random: SeededRandom): string {
  return `${String(timestamp).padStart(13, '0')}.${random.alphanumeric(6)}`;
}

function populationVisitor(index: number): string {
  return new SeededRandom(`population|${index}`).alphanumeric(20);
}

function linkedVisitor(linkedId: string, index: number): string {
  return new SeededRandom(`linked-visitor|${linkedId}|${index}`).alphanumeric(20);
}

/** A visitor's own account id, the linkedId a third of its events carry. */
function accountOf(visitorId: string): string {
  return `account-${new SeededRandom(`account|${visitorId}`).hex(8)}`;
}

function newestFirst(a: SandboxEvent, b: SandboxEvent): number {
  if (a.timestamp !== b.timestamp) return b.timestamp - a.timestamp;
  return a.requestId === b.requestId ? 0 : a.requestId < b.requestId ? 1 : -1;
}

interface EventSeed {
  requestId: string;
  visitorId: string;
  timestamp: number;
  firstSeenAt: number;
  lastSeenAt: number;
  linkedId: string | undefined;
  /** Draws the per-event details; the visitor's device, place and address come from its id. */
  random: SeededRandom;
}

function buildEvent(seed: EventSeed): SandboxEvent {
  const { random } = seed;
  const home = new SeededRandom(`home|${seed.visitorId}`);
  const device = home.pick(PROFILES);
  const place = home.pick(PLACES);
  const host = 1 + home.int(254);
  const ipv4 = `${place.ipv4Prefix}.${host}`;
  const ipv6 = `2001:db8:${home.hex(4)}:${home.hex(4)}::${host.toString(16)}`;
  const usesIpv6 = home.chance(0.15);
  const botRoll = random.next();
  const bot = botRoll < 0.04 ? 'bad' : botRoll < 0.07 ? 'good' : 'not_detected';
  return {
    requestId: seed.requestId,
    visitorId: seed.visitorId,
    ...(seed.linkedId !== undefined && { linkedId: seed.linkedId }),
    timestamp: seed.timestamp,
    firstSeenAt: seed.firstSeenAt,
    lastSeenAt: seed.lastSeenAt,
    visitorFound: seed.timestamp > seed.firstSeenAt,
    confidence: Math.round((0.9 + random.next() * 0.1) * 100) / 100,
    url: PAGES[random.int(PAGES.length)] ?? PAGES[0],
    tag: random.chance(0.3) ? { campaign: random.pick(['spring-sale', 'newsletter', 'retargeting']) } : {},
    device,
    place,
    ip: usesIpv6 ? ipv6 : ipv4,
    ipv4,
    ipv6,
    signals: {
      bot,
      ...(bot === 'bad' && { botType: random.pick(['selenium', 'puppeteer', 'headlessChrome']) }),
      ...(bot === 'good' && { botType: 'googlebot' }),
      vpn: random.chance(0.08),
      proxy: random.chance(0.05),
      tor: random.chance(0.01),
      incognito: random.chance(0.15),
      tampering: random.chance(0.03),
      emailSpam: random.chance(0.02),
      attackSource: random.chance(0.01),
      developerTools: random.chance(0.05),
      virtualMachine: random.chance(0.02),
      privacySettings: random.chance(0.04),
      highActivity: random.chance(0.03),
      suspectScore: random.int(30),
    },
  };
}
