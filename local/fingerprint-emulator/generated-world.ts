/**
 * The sandbox's generated world (what `npm start` serves): which events exist, for any well-formed id, at any
 * moment. Everything is derived from the ids and the clock with {@link SeededRandom}, so the same id always
 * yields the same event.
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
import { type GeneratedEvent, PAGES, PLACES, PROFILES } from './catalogue.js';
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

export interface SearchFilter {
  visitorId?: string;
  linkedId?: string;
}

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
  | { found: true; event: GeneratedEvent }
  | { found: false; reason: 'expired' | 'future' | 'malformed' };

/** The sandbox world. One per server: it holds the lookup memory of served search results. */
export class GeneratedWorld {
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
  search(filter: SearchFilter): GeneratedEvent[] {
    const { visitorId, linkedId } = filter;
    let events: GeneratedEvent[];
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

  #inWindow(timestamp: number): boolean {
    const now = this.#now();
    return timestamp > now - RETENTION_MS && timestamp <= now;
  }

  #visitorEvents(visitorId: string): GeneratedEvent[] {
    return this.#seriesEvents('visitor', visitorId, visitorSeries(visitorId));
  }

  #linkedEvents(linkedId: string): GeneratedEvent[] {
    return this.#seriesEvents('linked', linkedId, linkedSeries(linkedId));
  }

  #seriesEvents(family: Address['family'], key: string, series: Series): GeneratedEvent[] {
    const now = this.#now();
    const from = now - RETENTION_MS;
    const first = Math.max(0, Math.floor((from - series.origin) / series.gapMs) - 1);
    const last = Math.floor((now - series.origin) / series.gapMs);
    const events: GeneratedEvent[] = [];
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

  #generate(address: Address): GeneratedEvent {
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

function newestFirst(a: GeneratedEvent, b: GeneratedEvent): number {
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

function buildEvent(seed: EventSeed): GeneratedEvent {
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
