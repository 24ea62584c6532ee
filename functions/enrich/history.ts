/**
 * Enrichment of a history (a visitorId and/or a linkedId): the window of `historyDays`, fetched whole the first
 * time and incrementally after (ADR 0009), stored event by event so that one the store refuses is skipped
 * rather than failing the others.
 */
import type { NormalizedEvent } from '../../shared/domain/event.js';
import type { CallOptions, SearchResult, SkippedEvent } from '../../shared/fingerprint/types.js';
import { TRUNCATIONS } from '../../shared/fingerprint/types.js';
import type { Logger } from '../../shared/observability/logger.js';
import type { EventStore, HistoryFilter, HistorySync } from '../../shared/store/event-store.js';
import type { EnrichDeps, EnrichInput } from './enrich.js';
import { DEFAULT_HISTORY_DAYS, HISTORY_OVERLAP_MS } from './history-window.js';
import { ANSWER_SOURCES, type EnrichResult, isRefusal, summarize, UNSTORABLE } from './result.js';

const DAY_MS = 86_400_000;

/** Samples of skipped events in the WARN line: enough to find the fault, bounded whatever the history. */
const MAX_LOGGED_SKIPS = 20;

/**
 * A history covers the last `historyDays`. The first time, or with `refresh`, the whole window is fetched.
 * After that, when the cache is known to hold the history (its {@link HistorySync} record), only events after
 * the newest one fetched, less {@link HISTORY_OVERLAP_MS}, are asked for, and the answer merges them with the
 * cached history: the newest `maxEvents` events of the window either way. A fetch whose paging stopped early
 * (a repeated pagination key, an unusable page) leaves the record as it was, so the next call asks again for
 * what is missing.
 */
export async function enrichHistory(
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
  const incremental = sync !== undefined && coversWindow(sync, windowStart, maxEvents);
  const start = incremental
    ? Math.max(windowStart, (sync.newest ?? windowStart) - HISTORY_OVERLAP_MS)
    : windowStart;
  const found = await deps.fingerprint.searchEvents({ ...filter, maxEvents, start }, options);
  const { events: fresh, stored, suppressed, refused } = await storeEach(deps.store, found.events);
  const skipped = [...found.skipped, ...refused];
  if (deps.logger !== undefined) logIncomplete(deps.logger, found, skipped);

  const reachedMax = found.truncated?.reason === TRUNCATIONS.maxEvents || found.events.length >= maxEvents;
  const pagedToTheEnd = found.truncated === undefined || reachedMax;
  if (pagedToTheEnd) {
    const newest = Math.max(incremental ? (sync.newest ?? 0) : 0, found.events[0]?.timestamp ?? 0);
    await deps.store.putHistorySync(filter, {
      from: incremental ? sync.from : windowStart,
      ...(newest > 0 && { newest }),
      // Cut at maxEvents: older events of the window may exist that were not fetched, and only the newest
      // `maxEvents` are known to be cached now.
      ...(reachedMax
        ? { depth: maxEvents }
        : incremental && sync.depth !== undefined && { depth: sync.depth }),
    });
  }
  return {
    events: incremental
      ? mergeNewestFirst(
          fresh,
          await readCachedHistory(deps.store, filter, maxEvents),
          windowStart,
          maxEvents,
        )
      : fresh,
    source: ANSWER_SOURCES.fingerprint,
    stored,
    suppressed,
    skipped: summarize(skipped),
    complete: skipped.length === 0 && found.truncated === undefined,
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

/**
 * The newest `limit` cached events of the history. A page's `limit` bounds the events it reads, before the
 * linkedId filter of a visitor-and-linkedId history, so pages are followed until `limit` events match or the
 * visitor's events run out.
 */
async function readCachedHistory(
  store: EventStore,
  filter: HistoryFilter,
  limit: number,
): Promise<NormalizedEvent[]> {
  const events: NormalizedEvent[] = [];
  let cursor: string | undefined;
  do {
    const page =
      filter.visitorId !== undefined
        ? await store.listByVisitor({
            visitorId: filter.visitorId,
            limit,
            ...(filter.linkedId !== undefined && { linkedId: filter.linkedId }),
            ...(cursor !== undefined && { cursor }),
          })
        : await store.listByLinkedId({
            linkedId: filter.linkedId ?? '',
            limit,
            ...(cursor !== undefined && { cursor }),
          });
    events.push(...page.events);
    cursor = page.next?.cursor;
  } while (cursor !== undefined && events.length < limit);
  return events.slice(0, limit);
}

/**
 * The fetched events and the cached ones, newest first, without duplicates (the fetched copy wins: the index
 * may not show a write of a moment ago yet, and it is the fresher one), within the window.
 */
function mergeNewestFirst(
  fresh: readonly NormalizedEvent[],
  cached: readonly NormalizedEvent[],
  windowStart: number,
  maxEvents: number,
): NormalizedEvent[] {
  const byId = new Map<string, NormalizedEvent>();
  for (const event of cached) byId.set(event.requestId, event);
  for (const event of fresh) byId.set(event.requestId, event);
  return [...byId.values()]
    .filter((event) => event.timestamp > windowStart)
    .sort((a, b) => b.timestamp - a.timestamp || (a.requestId < b.requestId ? 1 : -1))
    .slice(0, maxEvents);
}

/**
 * Stores a history, skipping the events the store refuses instead of losing the others. The store refuses
 * a call as a whole (it checks every event before writing, and DynamoDB refuses a batch of 25 as a whole), so
 * a refused call is split, in batches first and then in halves, until each refused event stands alone. Writes
 * are idempotent, so a batch written before its call was refused costs a rewrite, nothing more. Other
 * failures (throttling) fail the history, which the caller retries. Events of an erased visitor are dropped
 * from the answer and counted as `suppressed`.
 */
async function storeEach(
  store: EventStore,
  events: readonly NormalizedEvent[],
): Promise<{ events: NormalizedEvent[]; stored: number; suppressed: number; refused: SkippedEvent[] }> {
  const droppedIds = new Set<string>();
  const suppressedIds = new Set<string>();
  const refused: SkippedEvent[] = [];
  let stored = 0;
  const put = async (part: readonly NormalizedEvent[]): Promise<void> => {
    try {
      const outcome = await store.storeEvents(part);
      stored += outcome.stored;
      for (const requestId of outcome.suppressed) {
        suppressedIds.add(requestId);
        droppedIds.add(requestId);
      }
      return;
    } catch (error) {
      if (!isRefusal(error)) throw error;
      const [only] = part;
      if (part.length === 1 && only !== undefined) {
        droppedIds.add(only.requestId);
        refused.push({ reason: UNSTORABLE, message: error.message, eventId: only.requestId });
        return;
      }
    }
    const size = part.length > STORE_BATCH ? STORE_BATCH : Math.ceil(part.length / 2);
    for (let start = 0; start < part.length; start += size) await put(part.slice(start, start + size));
  };
  if (events.length > 0) await put(events);
  const kept = droppedIds.size === 0 ? [...events] : events.filter((e) => !droppedIds.has(e.requestId));
  return { events: kept, stored, suppressed: suppressedIds.size, refused };
}

/** DynamoDB's `BatchWriteItem` limit, the unit in which a store refuses writes. */
const STORE_BATCH = 25;

/** One WARN line per incomplete history: why, with the field at fault of each skipped event (up to a cap). */
function logIncomplete(logger: Logger, found: SearchResult, skipped: readonly SkippedEvent[]): void {
  if (skipped.length > 0) {
    logger.warn('Events skipped', {
      skipped: summarize(skipped),
      samples: skipped.slice(0, MAX_LOGGED_SKIPS).map((skip) => ({
        reason: skip.reason,
        detail: skip.message,
        ...(skip.eventId !== undefined && { eventId: skip.eventId }),
      })),
    });
  }
  // Reaching maxEvents is what the caller asked for; a loop or an unusable page is Fingerprint's doing.
  if (found.truncated !== undefined && found.truncated.reason !== TRUNCATIONS.maxEvents) {
    logger.warn('History paging stopped early', {
      truncation: found.truncated.reason,
      detail: found.truncated.detail,
    });
  }
}
