import type { NormalizedEvent } from '../../shared/domain/event.js';
import type { CallOptions, FingerprintClient } from '../../shared/fingerprint/types.js';
import type { EventStore, HistoryFilter, HistorySync } from '../../shared/store/event-store.js';
import type { EnrichInput } from './input.js';

export interface EnrichDeps {
  store: EventStore;
  fingerprint: FingerprintClient;
  /**
   * Days a history reaches back (`FINGERPRINT_HISTORY_DAYS`, capped by {@link historyDaysFor}).
   * @default 30, Fingerprint's default retention
   */
  historyDays?: number;
  /** Epoch ms. @default Date.now */
  now?: () => number;
}

const DAY_MS = 86_400_000;
const DEFAULT_HISTORY_DAYS = 30;

/**
 * How far before the newest cached event an incremental refresh starts (ADR 0007). Fingerprint indexes an
 * event for search shortly after it happens, so an event can turn up in a search after a newer one has; ten
 * minutes covers that delay many times over and costs a re-read of a few events.
 */
export const HISTORY_OVERLAP_MS = 10 * 60_000;

/** A history never reaches past the events' TTL: older events would expire on arrival and not be stored. */
export function historyDaysFor(settings: { historyDays: number; eventTtlDays: number }): number {
  return Math.min(settings.historyDays, settings.eventTtlDays);
}

/** Where an answer came from: the cache, or the Server API (`source` of `POST /enrich`, `X-Event-Source`). */
export const ANSWER_SOURCES = { cache: 'cache', fingerprint: 'fingerprint' } as const;
export type AnswerSource = (typeof ANSWER_SOURCES)[keyof typeof ANSWER_SOURCES];

export interface EnrichResult {
  events: NormalizedEvent[];
  source: AnswerSource;
  /** How many events this call wrote to the store. */
  stored: number;
}

/**
 * Resolves events through the Fingerprint Server API and stores them. A requestId already in the cache (and
 * not expired) is answered from it with no upstream call, unless `refresh` asks for a fresh copy. Histories
 * always call the upstream (the only place that knows whether new events arrived), but a history already
 * fetched is only asked for what is newer than its newest event; see {@link enrichHistory}.
 */
export async function enrich(
  input: EnrichInput,
  deps: EnrichDeps,
  options: CallOptions,
): Promise<EnrichResult> {
  if (input.kind === 'request') {
    if (!input.refresh) {
      const cached = await deps.store.getEvent(input.requestId);
      if (cached !== undefined) return { events: [cached], source: ANSWER_SOURCES.cache, stored: 0 };
    }
    const event = await deps.fingerprint.getEvent(input.requestId, options);
    const stored = await deps.store.putEvents([event]);
    return { events: [event], source: ANSWER_SOURCES.fingerprint, stored };
  }
  return enrichHistory(input, deps, options);
}

/**
 * A history covers the last `historyDays`. The first time, or with `refresh`, the whole window is fetched.
 * After that, when the cache is known to hold the history (its {@link HistorySync} record), only events after
 * the newest one fetched, less {@link HISTORY_OVERLAP_MS}, are asked for, and the answer merges them with the
 * cached history: the newest `maxEvents` events of the window either way.
 */
async function enrichHistory(
  input: Extract<EnrichInput, { kind: 'search' }>,
  deps: EnrichDeps,
  options: CallOptions,
): Promise<EnrichResult> {
  const { visitorId, linkedId, maxEvents } = input;
  const filter: HistoryFilter = {
    ...(visitorId !== undefined && { visitorId }),
    ...(linkedId !== undefined && { linkedId }),
  };
  const windowStart = (deps.now ?? Date.now)() - (deps.historyDays ?? DEFAULT_HISTORY_DAYS) * DAY_MS;
  const sync = input.refresh ? undefined : await deps.store.getHistorySync(filter);
  if (sync === undefined || !coversWindow(sync, windowStart, maxEvents)) {
    const events = await deps.fingerprint.searchEvents({ ...filter, maxEvents, start: windowStart }, options);
    const stored = await deps.store.putEvents(events);
    await deps.store.putHistorySync(filter, {
      from: windowStart,
      ...(events[0] !== undefined && { newest: events[0].timestamp }),
      // Cut at maxEvents: older events of the window may exist that were not fetched.
      ...(events.length >= maxEvents && { depth: maxEvents }),
    });
    return { events, source: ANSWER_SOURCES.fingerprint, stored };
  }

  const start = Math.max(windowStart, (sync.newest ?? windowStart) - HISTORY_OVERLAP_MS);
  const fresh = await deps.fingerprint.searchEvents({ ...filter, maxEvents, start }, options);
  const stored = await deps.store.putEvents(fresh);
  const cached = await readCachedHistory(deps.store, filter, maxEvents);
  const newest = Math.max(sync.newest ?? 0, fresh[0]?.timestamp ?? 0);
  await deps.store.putHistorySync(filter, {
    from: sync.from,
    ...(newest > 0 && { newest }),
    // So many new events that some between them and the cached ones may not have been fetched: only the
    // newest `maxEvents` are known to be cached now.
    ...(fresh.length >= maxEvents ? { depth: maxEvents } : sync.depth !== undefined && { depth: sync.depth }),
  });
  return {
    events: mergeNewestFirst(fresh, cached, windowStart, maxEvents),
    source: ANSWER_SOURCES.fingerprint,
    stored,
  };
}

/**
 * Whether the cache holds every event of the window that an answer of `maxEvents` needs: the last full fetch
 * reached back at least as far (a longer `FINGERPRINT_HISTORY_DAYS` since calls for a new one) and was not
 * cut shorter than `maxEvents`.
 */
function coversWindow(sync: HistorySync, windowStart: number, maxEvents: number): boolean {
  return sync.from <= windowStart && (sync.depth === undefined || sync.depth >= maxEvents);
}

function readCachedHistory(store: EventStore, filter: HistoryFilter, limit: number) {
  return filter.visitorId !== undefined
    ? store.listByVisitor({
        visitorId: filter.visitorId,
        limit,
        ...(filter.linkedId !== undefined && { linkedId: filter.linkedId }),
      })
    : store.listByLinkedId({ linkedId: filter.linkedId ?? '', limit });
}

/**
 * The fetched events and the cached page, newest first, without duplicates (the fetched copy wins: the
 * index may not show a write of a moment ago yet, and it is the fresher one), within the window.
 */
function mergeNewestFirst(
  fresh: readonly NormalizedEvent[],
  cached: { events: readonly NormalizedEvent[] },
  windowStart: number,
  maxEvents: number,
): NormalizedEvent[] {
  const byId = new Map<string, NormalizedEvent>();
  for (const event of cached.events) byId.set(event.requestId, event);
  for (const event of fresh) byId.set(event.requestId, event);
  return [...byId.values()]
    .filter((event) => event.timestamp > windowStart)
    .sort((a, b) => b.timestamp - a.timestamp || (a.requestId < b.requestId ? 1 : -1))
    .slice(0, maxEvents);
}
