/**
 * What the product does with each value Fingerprint hands it, so that whatever is stored is served valid
 * against `openapi/openapi.json` and fits in a DynamoDB item. Per field (see `NormalizedEvent`):
 * - an event's `timestamp` outside {@link isPlausibleTimestamp} refuses the event (it would defeat the TTL);
 * - a seen-at time (`firstSeenAt`, `lastSeenAt`) that is not an RFC 3339 date-time inside the same window is
 *   unknown (`null`); the event's `time` falls back to the one derived from its timestamp;
 * - a confidence score is clamped to [0, 1]; a negative suspect score, a latitude or longitude out of range
 *   and a negative accuracy radius are omitted;
 * - a tag is kept, changed only where DynamoDB cannot hold it ({@link storableTag}).
 */

/** 2015-01-01T00:00:00Z: before Fingerprint's Server API existed; an earlier time is a broken clock or value. */
export const EARLIEST_TIMESTAMP_MS = Date.UTC(2015, 0, 1);
/** How far ahead of our clock an event may be: one day covers any clock skew, and no more is plausible. */
export const MAX_FUTURE_MS = 86_400_000;

/**
 * Whether `ms` is a plausible event time: a whole number of ms between 2015-01-01 and one day after `now`.
 * A time outside would make the event expire at once or live for centuries, defeating the TTL.
 */
export function isPlausibleTimestamp(ms: number, now: number = Date.now()): boolean {
  return Number.isSafeInteger(ms) && ms >= EARLIEST_TIMESTAMP_MS && ms <= now + MAX_FUTURE_MS;
}

/** The plausible window in words, for messages. */
export const PLAUSIBLE_TIMESTAMP_RULE =
  'between 2015-01-01T00:00:00Z (1420070400000) and one day after now, in ms since the Unix epoch';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * Whether `text` is an RFC 3339 date-time (a real calendar date, a time of day, and `Z` or an offset), as the
 * API document's `format: date-time` requires. `Date.parse` is laxer: it reads "2024-02-30" as March 1st.
 */
export function isDateTime(text: string): boolean {
  const parts = RFC3339.exec(text);
  if (parts === null) return false;
  // Date.UTC rolls an impossible day or time over to the next; a real one reads back as written.
  const [, year, month, day, hour, minute, second, , offsetHours, offsetMinutes] = parts.map(
    Number,
  ) as number[];
  const date = new Date(Date.UTC(year as number, (month as number) - 1, day, hour, minute, second));
  return (
    date.getUTCMonth() === (month as number) - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    // No offset (`Z`) reads as NaN here.
    !((offsetHours as number) > 23 || (offsetMinutes as number) > 59)
  );
}

/** A seen-at time as served: kept verbatim when it is a date-time in the plausible window, else unknown. */
export function seenAtText(text: string | null, now: number = Date.now()): string | null {
  if (text === null || !isDateTime(text)) return null;
  return isPlausibleTimestamp(Date.parse(text), now) ? text : null;
}

/** A seen-at time given in ms (v4), as an ISO 8601 UTC string, or unknown outside the plausible window. */
export function seenAtFromMs(ms: number, now: number = Date.now()): string | null {
  return isPlausibleTimestamp(ms, now) ? new Date(ms).toISOString() : null;
}

/** `value` clamped to [min, max]. */
export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** `value` when it lies in [min, max], else `undefined` (omitted). */
export function inRange(value: number | undefined, min: number, max: number): number | undefined {
  return value !== undefined && value >= min && value <= max ? value : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Tags
// ---------------------------------------------------------------------------------------------------------

/**
 * How deep a tag may nest: DynamoDB refuses an item nested deeper than 32 levels, and the tag sits one level
 * down in the item. Half of that leaves room and is far beyond any tag seen in practice.
 */
export const MAX_TAG_DEPTH = 16;
/**
 * The largest tag stored, in bytes of its stored form's JSON text. A DynamoDB item holds at most 400 KB, and
 * each index (projection ALL) copies it; 64 KiB leaves most of that to the event's other fields while being
 * four times the 16 KB Fingerprint's JS agent lets a page attach. A larger tag is dropped, flagged.
 */
export const MAX_TAG_BYTES = 64 * 1024;

/**
 * The smallest magnitude and the largest DynamoDB stores (`Number underflow` / `overflow` otherwise). The AWS
 * SDK itself refuses a number beyond 2^53 (and would read one back as a BigInt, which no JSON answer can
 * hold), which is the tighter bound above.
 */
const DYNAMODB_MIN_MAGNITUDE = 1e-130;

/** Whether DynamoDB (through the AWS SDK) stores `value` as a number, and reads the same number back. */
export function isStorableNumber(value: number): boolean {
  const magnitude = Math.abs(value);
  return (
    Number.isFinite(value) &&
    magnitude <= Number.MAX_SAFE_INTEGER &&
    (magnitude === 0 || magnitude >= DYNAMODB_MIN_MAGNITUDE)
  );
}

export interface StorableTag {
  /** The tag to store; `undefined` when it was dropped for its size. */
  tag: Record<string, unknown> | undefined;
  /** Whether anything had to be changed (or the tag dropped) to store it. */
  altered: boolean;
}

type Container = Record<string, unknown> | unknown[];

/** With the `u` flag a proper surrogate pair is one code point, so only unpaired halves match. */
const UNPAIRED_SURROGATE = /\p{Cs}/u;
const UNPAIRED_SURROGATES = /\p{Cs}/gu;

/**
 * The tag as DynamoDB can store it and every reader can serialize it, whatever the customer put in it. Tags
 * are set by the browser agent, so anyone can plant one: nothing here recurses (a tag 100,000 levels deep,
 * which `JSON.parse` reads fine, must not overflow the stack), and every change is flagged.
 * - a number DynamoDB or the SDK refuses (beyond ±2^53, below 1e-130 in magnitude, ±Infinity from `1e999`)
 *   is kept as its text (`String(value)`: `"1e-200"`, `"Infinity"`);
 * - a string (or key) with an unpaired surrogate, which is not text, gets U+FFFD in its place;
 * - an object or array nested deeper than {@link MAX_TAG_DEPTH}, or an object with an empty key (DynamoDB
 *   refuses empty attribute names), is kept as its JSON text; a tag with an empty key at its top level, which
 *   must stay an object, becomes `{"json": "<its JSON text>"}`;
 * - a tag whose stored form is larger than {@link MAX_TAG_BYTES} is dropped.
 */
export function storableTag(tag: Record<string, unknown> | undefined): StorableTag {
  if (tag === undefined) return { tag: undefined, altered: false };
  if (hasEmptyKey(tag)) return withinSize({ json: jsonText(tag) }, true);
  let altered = false;
  const root: Record<string, unknown> = {};
  const work: { source: Container; target: Container; depth: number }[] = [
    { source: tag, target: root, depth: 1 },
  ];
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    const { source, target, depth } = item;
    const convert = (value: unknown): unknown => {
      if (typeof value === 'number') {
        if (isStorableNumber(value)) return value;
        altered = true;
        return String(value);
      }
      if (typeof value === 'string') return wellFormed(value);
      if (typeof value !== 'object' || value === null) return value;
      // `value` sits one level below its container: from level MAX_TAG_DEPTH down, it is text.
      if (depth + 1 >= MAX_TAG_DEPTH || hasEmptyKey(value)) {
        altered = true;
        return jsonText(value);
      }
      const child: Container = Array.isArray(value) ? [] : {};
      work.push({ source: value as Container, target: child, depth: depth + 1 });
      return child;
    };
    const wellFormed = (text: string): string => {
      if (!UNPAIRED_SURROGATE.test(text)) return text;
      altered = true;
      return text.replace(UNPAIRED_SURROGATES, '\ufffd');
    };
    if (Array.isArray(source)) {
      for (const value of source) (target as unknown[]).push(convert(value));
    } else {
      for (const [key, value] of Object.entries(source)) {
        // A data property, so that a key "__proto__" (JSON.parse makes it an own property) stays one.
        Object.defineProperty(target, wellFormed(key), {
          value: convert(value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
  }
  return withinSize(root, altered);
}

function withinSize(tag: Record<string, unknown>, altered: boolean): StorableTag {
  if (Buffer.byteLength(jsonText(tag), 'utf8') > MAX_TAG_BYTES) return { tag: undefined, altered: true };
  return { tag, altered };
}

function hasEmptyKey(value: object): boolean {
  return !Array.isArray(value) && Object.hasOwn(value, '');
}

/**
 * `JSON.stringify(value)` without recursion (V8's overflows the stack a few thousand levels down), for the
 * values `JSON.parse` makes. ±Infinity, which JSON cannot spell, are written `1e999`/`-1e999`: the text they
 * were read from, which reads back as the same value.
 */
export function jsonText(value: unknown): string {
  const out: string[] = [];
  const work: ({ literal: string } | { value: unknown })[] = [{ value }];
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    if ('literal' in item) {
      out.push(item.literal);
      continue;
    }
    const current = item.value;
    if (Array.isArray(current)) {
      out.push('[');
      work.push({ literal: ']' });
      for (let index = current.length - 1; index >= 0; index--) {
        work.push({ value: current[index] });
        if (index > 0) work.push({ literal: ',' });
      }
    } else if (typeof current === 'object' && current !== null) {
      out.push('{');
      work.push({ literal: '}' });
      const entries = Object.entries(current);
      for (let index = entries.length - 1; index >= 0; index--) {
        const [key, entry] = entries[index] as [string, unknown];
        work.push({ value: entry });
        work.push({ literal: `${JSON.stringify(key)}:` });
        if (index > 0) work.push({ literal: ',' });
      }
    } else if (typeof current === 'number' && !Number.isFinite(current) && !Number.isNaN(current)) {
      out.push(current > 0 ? '1e999' : '-1e999');
    } else {
      // Strings (escaped, unpaired surrogates as \uXXXX), finite numbers, booleans, null; NaN becomes null.
      out.push(JSON.stringify(current) ?? 'null');
    }
  }
  return out.join('');
}

/** Drops keys whose value is `undefined`: absent is what they mean, and DynamoDB refuses undefined. */
export function compact<T extends object>(value: T): T {
  // A loop rather than `Object.fromEntries(Object.entries(…).filter(…))`: the same own enumerable keys, without
  // an array per entry; it runs for every field group of every event a page renders (about 4 times faster).
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const entry = (value as Record<string, unknown>)[key];
    if (entry === undefined) continue;
    // An own `__proto__` key (JSON.parse makes one) stays a key, as `Object.fromEntries` would keep it.
    if (key === '__proto__') {
      Object.defineProperty(result, key, {
        value: entry,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      result[key] = entry;
    }
  }
  return result as T;
}
