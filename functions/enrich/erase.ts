import { type ErrorCode, NotFoundError, ValidationError } from '../../shared/domain/errors.js';
import { publicError } from '../../shared/domain/public-error.js';
import type { CallOptions } from '../../shared/fingerprint/types.js';
import type { EnrichDeps } from './enrich.js';

/** What Fingerprint made of a request to delete a visitor's data. */
export const UPSTREAM_ERASURE_OUTCOMES = {
  /** Fingerprint accepted it and deletes the data asynchronously (recent events within about 24 hours). */
  scheduled: 'scheduled',
  /** Fingerprint holds nothing about this visitor (never seen, or already deleted). */
  notFound: 'notFound',
  /** The request failed; `error` says why. The cache is erased all the same. */
  failed: 'failed',
} as const;

/** The upstream part of an erasure, as answered to the caller. */
export type UpstreamErasure =
  | { requested: false }
  | { requested: true; outcome: 'scheduled' | 'notFound' }
  | { requested: true; outcome: 'failed'; error: { code: ErrorCode; message: string } };

/** The answer of `DELETE /visitors/{visitorId}`. */
export interface VisitorErasure {
  visitorId: string;
  /** Cached events deleted by this call; 0 when nothing was cached (erasure is idempotent). */
  deleted: number;
  /**
   * The erasure time in effect (ms since the epoch): events of the visitor up to it are deleted and refused
   * by every write path from now on; later events are new data. A later erasure moves it forward.
   */
  erasedAt: number;
  upstream: UpstreamErasure;
}

/** Whom to erase, and whether at Fingerprint too. */
export interface EraseInput {
  visitorId: string;
  /** Also ask Fingerprint to delete the visitor's data. */
  upstream: boolean;
}

export interface EraseOptions extends CallOptions {
  /** Whether this deployment may ask Fingerprint to delete data (`UPSTREAM_ERASURE_ENABLED`). */
  upstreamErasure: boolean;
}

export interface EraseResult {
  erasure: VisitorErasure;
  /** The error behind a `failed` upstream outcome, for the logs: the answer carries only its public part. */
  upstreamError?: unknown;
}

/**
 * Erases a visitor: records the erasure and deletes every cached event up to it first (so nothing of the
 * visitor's past can be stored again, ADR 7), then, when asked and allowed, the visitor's data at
 * Fingerprint. An upstream failure after the local erasure is reported in the result, never thrown, so the
 * caller learns both what was erased and what was not.
 *
 * @throws ValidationError when upstream erasure is asked for but disabled; nothing is erased then.
 */
export async function eraseVisitor(
  input: EraseInput,
  deps: EnrichDeps,
  options: EraseOptions,
): Promise<EraseResult> {
  if (input.upstream && !options.upstreamErasure) {
    throw new ValidationError(
      'upstream',
      'Erasure at Fingerprint is disabled in this deployment (UPSTREAM_ERASURE_ENABLED, context key ' +
        'upstreamErasureEnabled), so nothing was erased: call again without upstream=true to erase the cache only.',
    );
  }
  const { erasedAt, deleted } = await deps.store.eraseVisitor(input.visitorId);
  const local = { visitorId: input.visitorId, deleted, erasedAt };
  if (!input.upstream) {
    return { erasure: { ...local, upstream: { requested: false } } };
  }
  try {
    await deps.fingerprint.deleteVisitor(input.visitorId, { deadline: options.deadline });
    return {
      erasure: { ...local, upstream: { requested: true, outcome: UPSTREAM_ERASURE_OUTCOMES.scheduled } },
    };
  } catch (error) {
    if (error instanceof NotFoundError) {
      return {
        erasure: { ...local, upstream: { requested: true, outcome: UPSTREAM_ERASURE_OUTCOMES.notFound } },
      };
    }
    // The public part only: the message of a hidden (5xx-class) error stays in the logs.
    const { code, message } = publicError(error);
    return {
      erasure: {
        ...local,
        upstream: { requested: true, outcome: UPSTREAM_ERASURE_OUTCOMES.failed, error: { code, message } },
      },
      upstreamError: error,
    };
  }
}
