/**
 * What an enrichment answers, shared by its two paths (one event: `enrich.ts`; a history: `history.ts`):
 * where the answer came from, what was skipped, and the store's refusals told apart from its failures.
 */
import { AppError, ValidationError } from '../../shared/domain/errors.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import type { SkippedEvent } from '../../shared/fingerprint/types.js';
import type { EnrichResponse } from '../../shared/manifest/api-types.js';
import type { StoreOutcome } from '../../shared/store/event-store.js';

/**
 * Where an answer came from: the cache, the Server API, or a sealed client result the caller sent (`source` of
 * `POST /enrich`; `X-Event-Source` is `cache` or `fingerprint`).
 */
export const ANSWER_SOURCES = { cache: 'cache', fingerprint: 'fingerprint', sealed: 'sealed' } as const;
export type AnswerSource = (typeof ANSWER_SOURCES)[keyof typeof ANSWER_SOURCES];

/** The reason of an event the store refused (the other reasons are fields of Fingerprint's payload). */
export const UNSTORABLE = 'unstorable';

/** Events Fingerprint returned that were neither stored nor answered: how many, and how many per reason. */
export type SkippedSummary = EnrichResult['skipped'];

/** The answer of `POST /enrich` (openapi's `EnrichResponse`). */
export type EnrichResult = EnrichResponse;

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
 * The store refusing events, as opposed to failing: its own checks (`ValidationError`) and DynamoDB's
 * `ValidationException` (an item it cannot hold). Retrying these can never succeed.
 */
export function isRefusal(error: unknown): error is Error {
  if (error instanceof ValidationError) return true;
  return error instanceof Error && !(error instanceof AppError) && error.name === 'ValidationException';
}

export function summarize(skipped: readonly SkippedEvent[]): SkippedSummary {
  const reasons: Record<string, number> = {};
  for (const { reason } of skipped) reasons[reason] = (reasons[reason] ?? 0) + 1;
  return { count: skipped.length, reasons };
}
