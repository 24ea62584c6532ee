import type { NormalizedEvent } from '../../shared/domain/event.js';
import type { CallOptions, FingerprintClient } from '../../shared/fingerprint/types.js';
import type { EventStore } from '../../shared/store/event-store.js';
import type { EnrichInput } from './input.js';

export interface EnrichDeps {
  store: EventStore;
  fingerprint: FingerprintClient;
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
    const event = await deps.fingerprint.getEvent(input.requestId, options);
    const stored = await deps.store.putEvents([event]);
    return { events: [event], source: ANSWER_SOURCES.fingerprint, stored };
  }
  const { kind: _, ...query } = input;
  const events = await deps.fingerprint.searchEvents(query, options);
  const stored = await deps.store.putEvents(events);
  return { events, source: ANSWER_SOURCES.fingerprint, stored };
}
