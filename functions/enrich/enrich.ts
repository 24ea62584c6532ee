import { ERROR_CODES, SealedResultError, UpstreamBadResponseError } from '../../shared/domain/errors.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import type { SealedKeyProvider } from '../../shared/fingerprint/sealed-keys.js';
import type { CallOptions, FingerprintClient } from '../../shared/fingerprint/types.js';
import type { Logger } from '../../shared/observability/logger.js';
import { lazily } from '../../shared/runtime/lazy.js';
import type { EventStore, RequestCoalescer, StoreOutcome } from '../../shared/store/event-store.js';
import { ANSWER_SOURCES, type EnrichResult, isRefusal, whole } from './result.js';

export {
  ANSWER_SOURCES,
  type AnswerSource,
  type EnrichResult,
  type SkippedSummary,
  UNSTORABLE,
  whole,
} from './result.js';

/**
 * What to enrich, as the use case takes it (`input.ts` parses a `POST /enrich` body or a queue message into it): one event by requestId, a history by visitorId and/or linkedId, or one event handed over
 * sealed (no Server API call).
 */
export type EnrichInput =
  | { kind: 'request'; requestId: string; refresh: boolean }
  | {
      kind: 'sealed';
      /** The decoded blob, its size, base64 and header already checked. */
      sealed: Buffer;
      /** When sent beside it: the event in the blob must carry this requestId. */
      requestId?: string;
    }
  | {
      kind: 'search';
      visitorId?: string;
      linkedId?: string;
      maxEvents: number;
      /** Fetch the whole window again instead of only what is newer than the cached history. */
      refresh: boolean;
    };

export interface EnrichDeps {
  store: EventStore;
  fingerprint: FingerprintClient;
  /** Where skipped events are reported (WARN); the HTTP and queue handlers pass theirs. */
  logger?: Logger;
  /**
   * Days a history reaches back (`FINGERPRINT_HISTORY_DAYS`, capped by `historyDaysFor`, history-window.ts).
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

/**
 * Resolves events through the Fingerprint Server API and stores them. A requestId already in the cache (and
 * not expired) is answered from it with no upstream call, unless `refresh` asks for a fresh copy. Histories
 * always call the upstream (the only place that knows whether new events arrived), but a history already
 * fetched is only asked for what is newer than its newest event; see `enrichHistory` (history.ts). In a history, an
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
  const { enrichHistory } = await historyEnrichment();
  return enrichHistory(input, deps, options);
}

/**
 * Resolving a history, loaded on the first history: a cached read, the most common first call, does not need it
 * (esbuild keeps it in a chunk of its own; docs/performance.md).
 */
const historyEnrichment = lazily(() => import('./history.js'));

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
