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
  /**
   * How many events Fingerprint returned that were dropped, neither stored nor answered, because their
   * visitor was erased at or after the moment they happened (ADR 7).
   */
  suppressed: number;
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
      if (cached !== undefined) {
        return { events: [cached], source: ANSWER_SOURCES.cache, stored: 0, suppressed: 0 };
      }
    }
    const event = await deps.fingerprint.getEvent(input.requestId, options);
    return storeAndAnswer([event], deps);
  }
  const { kind: _, ...query } = input;
  const events = await deps.fingerprint.searchEvents(query, options);
  return storeAndAnswer(events, deps);
}

/** Stores what Fingerprint answered; an erased visitor's events are neither stored nor answered. */
async function storeAndAnswer(events: readonly NormalizedEvent[], deps: EnrichDeps): Promise<EnrichResult> {
  const { stored, suppressed } = await deps.store.storeEvents(events);
  const dropped = new Set(suppressed);
  return {
    events: events.filter((event) => !dropped.has(event.requestId)),
    source: ANSWER_SOURCES.fingerprint,
    stored,
    suppressed: dropped.size,
  };
}
