/**
 * The one identifier rule, for requestIds (v4 `event_id`), visitorIds and linkedIds alike, applied to what
 * Fingerprint hands us and to what callers ask for. Fingerprint's documents type every id as a plain string,
 * so the rule accepts every string the table can key and a URL can carry, and nothing else; anything stored
 * can therefore be asked for. It keeps hostile input out; it does not try to prove that an id exists.
 */
import { ValidationError } from './errors.js';

/**
 * Longest id, in characters (Unicode code points, as JSON Schema's `maxLength` counts them). 256 is the
 * longest linkedId Fingerprint accepts ("linked_id can't be greater than 256 characters long"), and bounds
 * an id to 1,024 UTF-8 bytes: half DynamoDB's 2,048-byte limit on a partition key (the table key and both
 * index keys), and small enough that a URL holding two ids, each percent-encoded (3 characters a byte),
 * stays under API Gateway's 8,192-character URL limit.
 */
export const ID_MAX_LENGTH = 256;
/** The most UTF-8 bytes an id can take: 4 per code point. */
export const ID_MAX_BYTES = ID_MAX_LENGTH * 4;

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

/** The rule in words, for messages and the API reference. */
export const ID_RULE =
  'one to 256 characters, without control characters (U+0000–U+001F, U+007F–U+009F, U+2028, U+2029) or ' +
  'unpaired surrogates, and not "." or ".."';

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

/** The three kinds of id; every field and parameter that holds an id is one of them. */
export const ID_KINDS = { requestId: 'requestId', visitorId: 'visitorId', linkedId: 'linkedId' } as const;
export type IdKind = (typeof ID_KINDS)[keyof typeof ID_KINDS];

/** How to fix each kind of id, with an example. */
const ID_FIXES: Readonly<Record<IdKind, string>> = {
  requestId: 'pass it exactly as the JS agent or Fingerprint returned it, e.g. "1708102555327.NLOjmg"',
  visitorId: 'pass it exactly as the JS agent or Fingerprint returned it, e.g. "Ibk1527CUFmcnjLwIs4A9"',
  linkedId: 'pass your own id as you attached it to the identification, e.g. "order-123"',
};

/** What a refused id is told: the rule, and how to fix it. One message per kind of id. */
export const ID_MESSAGES = Object.fromEntries(
  Object.values(ID_KINDS).map((kind) => [kind, `A ${kind} is ${ID_RULE}: ${ID_FIXES[kind]}.`]),
) as Readonly<Record<IdKind, string>>;

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
