import {
  AppError,
  ERROR_CODES,
  SealedResultError,
  UpstreamBadResponseError,
  ValidationError,
} from '../../shared/domain/errors.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import type { SealedKeyProvider } from '../../shared/fingerprint/sealed-keys.js';
import type {
  CallOptions,
  FingerprintClient,
  SearchResult,
  SkippedEvent,
} from '../../shared/fingerprint/types.js';
import { TRUNCATIONS } from '../../shared/fingerprint/types.js';
import type { Logger } from '../../shared/observability/logger.js';
import { lazily } from '../../shared/runtime/lazy.js';
import type {
  EventStore,
  HistoryFilter,
  HistorySync,
  RequestCoalescer,
  StoreOutcome,
} from '../../shared/store/event-store.js';
import type { EnrichInput } from './input.js';

export interface EnrichDeps {
  store: EventStore;
  fingerprint: FingerprintClient;
  /** Where skipped events are reported (WARN); the HTTP and queue handlers pass theirs. */
  logger?: Logger;
  /**
   * Days a history reaches back (`FINGERPRINT_HISTORY_DAYS`, capped by {@link historyDaysFor}).
   * @default 30, Fingerprint's default retention
   */
  historyDays?: number;
  /** Epoch ms. @default Date.now */
  now?: () => number;
  /**
   * Makes concurrent fetches of one requestId a single upstream call, in this instance and across the fleet.
   * Without it, every caller fetches for itself.
   */
  coalescer?: RequestCoalescer;
  /**
   * The keys that open sealed client results. Without it, a `sealedResult` is refused with
   * `SealedResultsNotConfigured`.
   */
  sealedKeys?: SealedKeyProvider;
}

const DAY_MS = 86_400_000;
const DEFAULT_HISTORY_DAYS = 30;

/**
 * How far before the newest cached event an incremental refresh starts (ADR 0009). Fingerprint indexes an
 * event for search shortly after it happens, so an event can turn up in a search after a newer one has; ten
 * minutes covers that delay many times over and costs a re-read of a few events.
 */
export const HISTORY_OVERLAP_MS = 10 * 60_000;

/** A history never reaches past the events' TTL: older events would expire on arrival and not be stored. */
export function historyDaysFor(settings: { historyDays: number; eventTtlDays: number }): number {
  return Math.min(settings.historyDays, settings.eventTtlDays);
}

/**
 * Where an answer came from: the cache, the Server API, or a sealed client result the caller sent (`source` of
 * `POST /enrich`; `X-Event-Source` is `cache` or `fingerprint`).
 */
export const ANSWER_SOURCES = { cache: 'cache', fingerprint: 'fingerprint', sealed: 'sealed' } as const;
export type AnswerSource = (typeof ANSWER_SOURCES)[keyof typeof ANSWER_SOURCES];

/** The reason of an event the store refused (the other reasons are fields of Fingerprint's payload). */
export const UNSTORABLE = 'unstorable';

/** Events Fingerprint returned that were neither stored nor answered: how many, and how many per reason. */
export interface SkippedSummary {
  count: number;
  reasons: Record<string, number>;
}

export interface EnrichResult {
  events: NormalizedEvent[];
  source: AnswerSource;
  /** How many events this call wrote to the store. */
  stored: number;
  skipped: SkippedSummary;
  /**
   * `true` when `events` holds everything Fingerprint has for the query: paging ran until Fingerprint
   * reported no further page, and nothing was skipped. Always `true` for a requestId (it succeeds or fails
   * as a whole).
   */
  complete: boolean;
  /**
   * How many events Fingerprint returned that were dropped, neither stored nor answered, because their
   * visitor was erased at or after the moment they happened (ADR 7).
   */
  suppressed: number;
}

/** Samples of skipped events in the WARN line: enough to find the fault, bounded whatever the history. */
const MAX_LOGGED_SKIPS = 20;

/**
 * Resolves events through the Fingerprint Server API and stores them. A requestId already in the cache (and
 * not expired) is answered from it with no upstream call, unless `refresh` asks for a fresh copy. Histories
 * always call the upstream (the only place that knows whether new events arrived), but a history already
 * fetched is only asked for what is newer than its newest event; see {@link enrichHistory}. In a history, an
 * event that cannot be normalized or stored is skipped and counted rather than failing the rest.
 */
export async function enrich(
  input: EnrichInput,
  deps: EnrichDeps,
  options: CallOptions,
): Promise<EnrichResult> {
  if (input.kind === 'sealed') return enrichSealed(input, deps);
  if (input.kind === 'request') {
    if (!input.refresh) {
      const cached = await deps.store.getEvent(input.requestId);
      if (cached !== undefined) return whole([cached], ANSWER_SOURCES.cache, { stored: 0, suppressed: [] });
    }
    return fetchOnce(input.requestId, deps, options, async () => {
      const event = await deps.fingerprint.getEvent(input.requestId, options);
      return whole([event], ANSWER_SOURCES.fingerprint, await storeOne(deps.store, event));
    });
  }
  return enrichHistory(input, deps, options);
}

/**
 * Opening a sealed result, with the normalizer it needs, loaded on the first sealed result: a cached read, the
 * most common first call, needs neither (esbuild keeps them in a chunk of their own; docs/performance.md).
 */
const sealedOpening = lazily(() => import('../../shared/fingerprint/sealed-event.js'));
const sealedKeysRules = lazily(() => import('../../shared/fingerprint/sealed-keys.js'));

/**
 * A sealed client result holds the whole event, authenticated by the workspace's key: it is opened, normalized
 * and stored with no Server API call, through the store's one write path (erasure, id and value rules, TTL).
 * A copy already cached is overwritten with it, as a `refresh` would: it is the same event, as Fingerprint
 * sealed it.
 */
async function enrichSealed(
  input: Extract<EnrichInput, { kind: 'sealed' }>,
  deps: EnrichDeps,
): Promise<EnrichResult> {
  if (deps.sealedKeys === undefined) {
    const { SEALED_KEYS_SECRET_SETTING, sealedResultsNotConfigured } = await sealedKeysRules();
    throw sealedResultsNotConfigured(SEALED_KEYS_SECRET_SETTING);
  }
  const [{ openSealedEvent }, keys] = await Promise.all([sealedOpening(), deps.sealedKeys.getKeys()]);
  const event = openSealedEvent(input.sealed, keys);
  if (input.requestId !== undefined && event.requestId !== input.requestId) {
    throw new SealedResultError(
      ERROR_CODES.SealedResultRequestIdMismatch,
      'requestId',
      `The sealedResult holds event "${event.requestId}", not the requestId "${input.requestId}" sent with it: ` +
        'send the sealedResult of that identification, or leave "requestId" out.',
    );
  }
  let outcome: StoreOutcome;
  try {
    outcome = await deps.store.storeEvents([event]);
  } catch (error) {
    if (!isRefusal(error)) throw error;
    throw new SealedResultError(
      ERROR_CODES.SealedResultNotAnEvent,
      'sealedResult',
      `The event in the sealedResult cannot be stored (${error.message}); nothing was stored.`,
      { cause: error },
    );
  }
  return whole([event], ANSWER_SOURCES.sealed, outcome);
}

/**
 * A history covers the last `historyDays`. The first time, or with `refresh`, the whole window is fetched.
 * After that, when the cache is known to hold the history (its {@link HistorySync} record), only events after
 * the newest one fetched, less {@link HISTORY_OVERLAP_MS}, are asked for, and the answer merges them with the
 * cached history: the newest `maxEvents` events of the window either way. A fetch whose paging stopped early
 * (a repeated pagination key, an unusable page) leaves the record as it was, so the next call asks again for
 * what is missing.
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

/** The answer of a call that succeeds or fails as a whole; an erased visitor's event is not answered. */
export function whole(events: NormalizedEvent[], source: AnswerSource, outcome: StoreOutcome): EnrichResult {
  const dropped = new Set(outcome.suppressed);
  return {
    events: events.filter((event) => !dropped.has(event.requestId)),
    source,
    stored: outcome.stored,
    suppressed: dropped.size,
    skipped: { count: 0, reasons: {} },
    complete: true,
  };
}

/**
 * Stores one event Fingerprint answered for a requestId. The store refusing it is the upstream's fault (its
 * content cannot be kept), never the caller's: answered as a bad upstream answer, not as invalid input.
 */
export async function storeOne(store: EventStore, event: NormalizedEvent): Promise<StoreOutcome> {
  try {
    return await store.storeEvents([event]);
  } catch (error) {
    if (!isRefusal(error)) throw error;
    throw new UpstreamBadResponseError(
      `Fingerprint's event "${event.requestId}" cannot be stored (${error.message}); nothing was stored.`,
      { cause: error },
    );
  }
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

/**
 * The store refusing events, as opposed to failing: its own checks (`ValidationError`) and DynamoDB's
 * `ValidationException` (an item it cannot hold). Retrying these can never succeed.
 */
function isRefusal(error: unknown): error is Error {
  if (error instanceof ValidationError) return true;
  return error instanceof Error && !(error instanceof AppError) && error.name === 'ValidationException';
}

function summarize(skipped: readonly SkippedEvent[]): SkippedSummary {
  const reasons: Record<string, number> = {};
  for (const { reason } of skipped) reasons[reason] = (reasons[reason] ?? 0) + 1;
  return { count: skipped.length, reasons };
}

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

/**
 * Runs `fetchAndStore` for a requestId once for all concurrent callers when a coalescer is configured: the
 * others get the answer without an upstream call, from the leader's promise in this instance (nothing stored
 * by them) or from the store when another instance fetched it (answered as from the cache).
 */
export async function fetchOnce(
  requestId: string,
  deps: EnrichDeps,
  options: CallOptions,
  fetchAndStore: () => Promise<EnrichResult>,
): Promise<EnrichResult> {
  if (deps.coalescer === undefined) return fetchAndStore();
  return deps.coalescer.run(requestId, {
    deadline: options.deadline,
    lead: fetchAndStore,
    follow: async () => {
      const stored = await deps.store.getEvent(requestId);
      return stored === undefined
        ? undefined
        : whole([stored], ANSWER_SOURCES.cache, { stored: 0, suppressed: [] });
    },
    share: (result) => ({ ...result, stored: 0 }),
  });
}
