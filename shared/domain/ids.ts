/**
 * The one identifier rule, for requestIds (v4 `event_id`), visitorIds and linkedIds alike, applied to what
 * Fingerprint hands us and to what callers ask for. Fingerprint's documents type every id as a plain string,
 * so the rule accepts every string the table can key and a URL can carry, and nothing else; anything stored
 * can therefore be asked for. It keeps hostile input out; it does not try to prove that an id exists.
 */
import { ID_MAX_LENGTH, ID_MESSAGES, type IdKind } from '../manifest/limits.js';
import { ValidationError } from './errors.js';

// The rule's numbers and words live in the manifest (`shared/manifest/limits.ts`); re-exported for the
// modules that check ids.
export {
  ID_KINDS,
  ID_MAX_BYTES,
  ID_MAX_LENGTH,
  ID_MESSAGES,
  ID_RULE,
  type IdKind,
} from '../manifest/limits.js';

/**
 * Control characters: C0 (U+0000–U+001F), DEL and C1 (U+007F–U+009F), and the line and paragraph
 * separators (U+2028, U+2029). They have no place in an id, and they break log lines and headers.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to reject control characters
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/**
 * An unpaired surrogate is not text: UTF-8 (a URL, a DynamoDB key) turns it into U+FFFD, so "a\ud800" would
 * read and write the events of the id "a\ufffd", someone else's. With the `u` flag a proper pair is one
 * code point, so only unpaired halves match.
 */
const UNPAIRED_SURROGATE = /\p{Cs}/u;

/** Whether `value` is an id the service can store, serve and put in a URL. */
export function isId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0) return false;
  // `length` counts UTF-16 units, at least one per code point: only a long string needs counting.
  if (value.length > ID_MAX_LENGTH && codePoints(value) > ID_MAX_LENGTH) return false;
  // A path segment "." or ".." is resolved away by every URL parser (also when percent-encoded), so such an
  // id could never be asked for by path.
  if (value === '.' || value === '..') return false;
  return !CONTROL_CHARACTER.test(value) && !UNPAIRED_SURROGATE.test(value);
}

/**
 * `value` as an id of kind `kind`.
 * @param field - the field or parameter at fault, named in the error (e.g. `event_id`, `paginationKey`).
 * @throws {ValidationError} naming `field`, with the message of `kind`.
 */
export function requireId(value: unknown, kind: IdKind, field: string = kind): string {
  if (!isId(value)) throw new ValidationError(field, ID_MESSAGES[kind]);
  return value;
}

export const isRequestId: (value: unknown) => value is string = isId;
export const isVisitorId: (value: unknown) => value is string = isId;
export const isLinkedId: (value: unknown) => value is string = isId;

function codePoints(value: string): number {
  let count = 0;
  for (const _ of value) count += 1;
  return count;
}
