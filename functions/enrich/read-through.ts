import { NotFoundError } from '../../shared/domain/errors.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import type { CallOptions } from '../../shared/fingerprint/types.js';
import {
  ANSWER_SOURCES,
  type AnswerSource,
  type EnrichDeps,
  type EnrichResult,
  fetchOnce,
  storeOne,
  whole,
} from './enrich.js';

export interface ReadEventOptions extends CallOptions {
  /** Resolve a cache miss through the Server API (`READ_THROUGH_ENABLED`) rather than answer 404. */
  readThrough: boolean;
}

/** The event, and which source answered it. */
export interface ReadEventResult {
  event: NormalizedEvent;
  source: AnswerSource;
}

/**
 * One event by requestId: from the cache when it holds it (not expired), else, with read-through, from the
 * Server API, stored on the way so the next read is a hit. An event that is already past its TTL is answered
 * but not stored, as `POST /enrich` does. An event of a visitor erased after it happened is neither stored
 * nor answered (ADR 7).
 *
 * @throws NotFoundError when neither the cache nor (with read-through) Fingerprint has the event.
 * @throws UpstreamBadResponseError when Fingerprint answers another event than the one asked for, or one
 *   that cannot be stored: nothing is stored.
 */
export async function readEvent(
  requestId: string,
  deps: EnrichDeps,
  options: ReadEventOptions,
): Promise<ReadEventResult> {
  const cached = await deps.store.getEvent(requestId);
  if (cached !== undefined) return { event: cached, source: ANSWER_SOURCES.cache };
  if (!options.readThrough) {
    throw new NotFoundError(
      `No cached event has requestId "${requestId}": enrich it with POST /enrich first.`,
    );
  }
  const call = { deadline: options.deadline };
  let result: EnrichResult;
  try {
    // Concurrent reads of one missing event make one upstream call (see `fetchOnce`).
    result = await fetchOnce(requestId, deps, call, async () => {
      const fetched = await deps.fingerprint.getEvent(requestId, call);
      return whole([fetched], ANSWER_SOURCES.fingerprint, await storeOne(deps.store, fetched));
    });
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new NotFoundError(
        `No event has requestId "${requestId}": it is not cached and Fingerprint does not know it (or no longer keeps it).`,
        { cause: error },
      );
    }
    throw error;
  }
  const [event] = result.events;
  if (event === undefined) {
    // The visitor was erased after this event happened: Fingerprint may still keep it, we do not serve it.
    throw new NotFoundError(`No event has requestId "${requestId}": its visitor's data was erased.`);
  }
  return { event, source: result.source };
}
