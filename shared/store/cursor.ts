import { createHash, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../domain/errors.js';
import { CURSOR_CHECKSUM_BYTES, CURSOR_MAX_LENGTH, CURSOR_VERSION } from '../manifest/limits.js';
import { lazily } from '../runtime/lazy.js';
import type { CursorPayload } from './cursor-payload.js';

/**
 * Opaque page cursors. A cursor is `base64url(checksum ‖ JSON payload)`; the payload names the query it
 * belongs to (index, partition value, filters) and the position after the last returned event (its
 * requestId and timestamp, which with the partition value make up the index's ExclusiveStartKey).
 *
 * The checksum detects a cursor that was edited or truncated; it is not a signature (no secret is
 * involved). It does not need to be one: a decoded cursor must match the query it is used with, and the
 * query's key condition confines the read to that partition, so a forged cursor can only choose where to
 * start inside results the caller can already read.
 */

/** The query a cursor belongs to. Every field takes part: a cursor only continues the same query. */
export type CursorScope =
  | { index: 'byVisitor'; visitorId: string; linkedId?: string; before?: number }
  | { index: 'byLinkedId'; linkedId: string }
  | SearchScope;

/**
 * A v4 search (`GET /v4/events`): by visitorId (and linkedId) or by linkedId, in either order. `binding` is the
 * caller's own description of the rest of its query (the time window as the caller gave it), so a key only
 * continues the query it came from.
 */
export interface SearchScope {
  index: 'search';
  visitorId?: string;
  linkedId?: string;
  oldestFirst: boolean;
  binding: string;
}

/**
 * What a decoded cursor may hold: its Zod schema, loaded with the first cursor a caller passes back (a chunk of
 * its own); a history's first page, the common first call, only encodes one.
 */
const payloadSchema = lazily(() => import('./cursor-payload.js'));

/** The last event of a page: the next page starts right after it. */
export interface CursorPosition {
  requestId: string;
  timestamp: number;
}

/* Its version and bounds (the longest cursor, binding and the checksum's size) are in `shared/manifest/limits.ts`. */
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function checksum(body: Buffer): Buffer {
  return createHash('sha256')
    .update('event-cursor\n')
    .update(body)
    .digest()
    .subarray(0, CURSOR_CHECKSUM_BYTES);
}

function payloadFor(scope: CursorScope, position: CursorPosition): CursorPayload {
  const { requestId, timestamp } = position;
  if (scope.index === 'byLinkedId') {
    return { v: CURSOR_VERSION, index: scope.index, linkedId: scope.linkedId, requestId, timestamp };
  }
  if (scope.index === 'search') {
    return {
      v: CURSOR_VERSION,
      index: scope.index,
      ...(scope.visitorId !== undefined && { visitorId: scope.visitorId }),
      ...(scope.linkedId !== undefined && { linkedId: scope.linkedId }),
      oldestFirst: scope.oldestFirst,
      binding: scope.binding,
      requestId,
      timestamp,
    };
  }
  return {
    v: CURSOR_VERSION,
    index: scope.index,
    visitorId: scope.visitorId,
    ...(scope.linkedId !== undefined && { linkedId: scope.linkedId }),
    ...(scope.before !== undefined && { before: scope.before }),
    requestId,
    timestamp,
  };
}

function sameScope(payload: CursorPayload, scope: CursorScope): boolean {
  if (payload.index === 'search' || scope.index === 'search') {
    return (
      payload.index === 'search' &&
      scope.index === 'search' &&
      payload.visitorId === scope.visitorId &&
      payload.linkedId === scope.linkedId &&
      payload.oldestFirst === scope.oldestFirst &&
      payload.binding === scope.binding
    );
  }
  if (payload.index === 'byLinkedId' || scope.index === 'byLinkedId') {
    return payload.index === scope.index && payload.linkedId === scope.linkedId;
  }
  return (
    payload.visitorId === scope.visitorId &&
    payload.linkedId === scope.linkedId &&
    payload.before === scope.before
  );
}

/** Encodes the position after `position` in the query `scope` as an opaque base64url string. */
export function encodeCursor(scope: CursorScope, position: CursorPosition): string {
  const body = Buffer.from(JSON.stringify(payloadFor(scope, position)), 'utf8');
  return Buffer.concat([checksum(body), body]).toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor} for the same `scope`.
 *
 * @param field - The caller-facing name of the parameter, named in the error.
 * @throws ValidationError when the cursor is malformed, was altered, or belongs to another query.
 */
export async function decodeCursor(
  cursor: string,
  scope: CursorScope,
  field = 'cursor',
): Promise<CursorPosition> {
  const invalid = (reason: string): ValidationError =>
    new ValidationError(
      field,
      `The ${field} ${reason}: pass back the value of an earlier response unchanged, with the same query parameters.`,
    );

  if (cursor.length === 0 || cursor.length > CURSOR_MAX_LENGTH || !BASE64URL.test(cursor)) {
    throw invalid('is not a valid cursor');
  }
  const bytes = Buffer.from(cursor, 'base64url');
  // Buffer decoding is lenient about trailing bits; only the exact encoding we produce is accepted.
  if (bytes.toString('base64url') !== cursor || bytes.length <= CURSOR_CHECKSUM_BYTES) {
    throw invalid('is not a valid cursor');
  }
  const body = bytes.subarray(CURSOR_CHECKSUM_BYTES);
  if (!timingSafeEqual(bytes.subarray(0, CURSOR_CHECKSUM_BYTES), checksum(body))) {
    throw invalid('was altered or truncated');
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid('is not a valid cursor');
  }
  const payload = (await payloadSchema()).parseCursorPayload(json);
  if (payload === undefined) throw invalid('is not a valid cursor');
  if (!sameScope(payload, scope)) throw invalid('belongs to a different query');
  // A genuine cursor of a `before` query always lies before it; DynamoDB rejects a start key that does not.
  if (payload.index === 'byVisitor' && payload.before !== undefined && payload.timestamp >= payload.before) {
    throw invalid('is not a valid cursor');
  }
  return { requestId: payload.requestId, timestamp: payload.timestamp };
}
