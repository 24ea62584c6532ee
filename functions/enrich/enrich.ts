import type { NormalizedEvent } from '../../shared/domain/event.js';
import type { CallOptions, FingerprintClient } from '../../shared/fingerprint/types.js';
import type { RequestCoalescer } from '../../shared/store/dynamodb-request-coalescer.js';
import type { EventStore } from '../../shared/store/event-store.js';
import type { EnrichInput } from './input.js';

export interface EnrichDeps {
  store: EventStore;
  fingerprint: FingerprintClient;
  /**
   * Makes concurrent fetches of one requestId a single upstream call, in this instance and across the fleet.
   * Without it, every caller fetches for itself.
   */
  coalescer?: RequestCoalescer;
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
 * are always fetched: the upstream is the only place that knows whether new events arrived.
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
    return fetchOnce(input.requestId, deps, options, async () => {
      const event = await deps.fingerprint.getEvent(input.requestId, options);
      const stored = await deps.store.putEvents([event]);
      return { events: [event], source: ANSWER_SOURCES.fingerprint, stored };
    });
  }
  const { kind: _, ...query } = input;
  const events = await deps.fingerprint.searchEvents(query, options);
  const stored = await deps.store.putEvents(events);
  return { events, source: ANSWER_SOURCES.fingerprint, stored };
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
      return stored === undefined ? undefined : { events: [stored], source: ANSWER_SOURCES.cache, stored: 0 };
    },
    share: (result) => ({ ...result, stored: 0 }),
  });
}
