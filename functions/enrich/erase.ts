import { ERROR_CODES, type ErrorCode, NotFoundError, ValidationError } from '../../shared/domain/errors.js';
import { publicError } from '../../shared/domain/public-error.js';
import type { CallOptions } from '../../shared/fingerprint/types.js';
import type { UpstreamErasure, VisitorErasure } from '../../shared/manifest/api-types.js';
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

/**
 * The codes a failed request to delete a visitor at Fingerprint is answered with: the upstream failures, and
 * `Internal` for anything else (whose message stays in the logs).
 */
export const UPSTREAM_ERASURE_ERROR_CODES = [
  ERROR_CODES.UpstreamRateLimited,
  ERROR_CODES.UpstreamBudgetExhausted,
  ERROR_CODES.UpstreamAuthFailed,
  ERROR_CODES.UpstreamRejected,
  ERROR_CODES.UpstreamUnavailable,
  ERROR_CODES.UpstreamTimeout,
  ERROR_CODES.UpstreamBadResponse,
  ERROR_CODES.UpstreamMisconfigured,
  ERROR_CODES.Internal,
] as const satisfies readonly ErrorCode[];
type UpstreamErasureErrorCode = (typeof UPSTREAM_ERASURE_ERROR_CODES)[number];

export type { UpstreamErasure, VisitorErasure };

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
    return {
      erasure: {
        ...local,
        upstream: {
          requested: true,
          outcome: UPSTREAM_ERASURE_OUTCOMES.failed,
          error: upstreamFailure(error),
        },
      },
      upstreamError: error,
    };
  }
}

/**
 * The public part of a failed upstream erasure: the message of a hidden (5xx-class) error stays in the logs,
 * and so does any error that is no upstream failure, answered as `Internal`.
 */
function upstreamFailure(error: unknown): { code: UpstreamErasureErrorCode; message: string } {
  const { code, message } = publicError(error);
  if (isUpstreamErasureErrorCode(code)) return { code, message };
  return { code: ERROR_CODES.Internal, message: publicError(undefined).message };
}

function isUpstreamErasureErrorCode(code: ErrorCode): code is UpstreamErasureErrorCode {
  return (UPSTREAM_ERASURE_ERROR_CODES as readonly ErrorCode[]).includes(code);
}
