/**
 * Opening a sealed result: decrypting it (`./sealed.ts`) and normalizing the event in it. A module of its own
 * because the normalizer (and the Fingerprint schemas it parses with) is needed by no other call of the enrich
 * functions' most common first call, a cached read: `functions/enrich/enrich.ts` imports this module on the
 * first sealed result only, and esbuild keeps it in a chunk loaded then (docs/performance.md).
 */
import { ERROR_CODES, SealedResultError, ValidationError } from '../domain/errors.js';
import type { NormalizedEvent } from '../domain/event.js';
import { normalizeSealedEvent } from './normalize.js';
import { unsealPlaintext } from './sealed.js';

/**
 * Opens a decoded sealed result and normalizes the event in it (`source: "sealed"`).
 *
 * @throws {SealedResultError} as {@link unsealPlaintext}, and `SealedResultNotAnEvent` when the plaintext is
 * not JSON, or not a v3 events response or v4 Event with a valid requestId, visitorId and timestamp.
 */
export function openSealedEvent(
  blob: Buffer,
  keys: readonly Buffer[],
  field = 'sealedResult',
): NormalizedEvent {
  const plaintext = unsealPlaintext(blob, keys, field);
  let json: unknown;
  try {
    json = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw new SealedResultError(
      ERROR_CODES.SealedResultNotAnEvent,
      field,
      `${field} decrypts to something that is not JSON; a sealed result holds a Fingerprint event.`,
    );
  }
  try {
    return normalizeSealedEvent(json);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new SealedResultError(
      ERROR_CODES.SealedResultNotAnEvent,
      field,
      `${field} decrypts to JSON that is not a usable Fingerprint event (a v3 events response ` +
        `{"products": …} or a v4 Event): ${error.message}.`,
      { cause: error },
    );
  }
}
