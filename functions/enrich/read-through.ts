import { NotFoundError } from '../../shared/domain/errors.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import type { CallOptions } from '../../shared/fingerprint/types.js';
import { ANSWER_SOURCES, type AnswerSource, type EnrichDeps, fetchOnce } from './enrich.js';

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
 * but not stored, as `POST /enrich` does.
 *
 * @throws NotFoundError when neither the cache nor (with read-through) Fingerprint has the event.
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
  try {
    // Concurrent reads of one missing event make one upstream call (see `fetchOnce`).
    const result = await fetchOnce(requestId, deps, call, async () => {
      const fetched = await deps.fingerprint.getEvent(requestId, call);
      const stored = await deps.store.putEvents([fetched]);
      return { events: [fetched], source: ANSWER_SOURCES.fingerprint, stored };
    });
    const [event] = result.events;
    if (event === undefined) throw new Error('A fetch of one requestId answered no event');
    return { event, source: result.source };
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new NotFoundError(
        `No event has requestId "${requestId}": it is not cached and Fingerprint does not know it (or no longer keeps it).`,
        { cause: error },
      );
    }
    throw error;
  }
}
