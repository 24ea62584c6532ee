/**
 * What the normalization of every Fingerprint payload shares (`normalize.ts` is its entry point): the lenient
 * reading of optional fields, the checks of the three fields an event cannot do without (requestId, visitorId,
 * timestamp), and the per-field rules of `shared/domain/values.ts` that both API versions apply alike.
 */
import { BlockList, isIP } from 'node:net';
import { ValidationError } from '../domain/errors.js';
import type { Confidence, NormalizedEvent } from '../domain/event.js';
import { ID_MESSAGES, isId } from '../domain/ids.js';
import {
  clamp,
  compact,
  inRange,
  isDateTime,
  isPlausibleTimestamp,
  isStorableNumber,
  PLAUSIBLE_TIMESTAMP_RULE,
  storableTag,
} from '../domain/values.js';
import * as z from '../validation/zod.js';

/** An optional field whose wrong-typed value becomes `undefined` instead of failing the whole event. */
export const lenient = <T extends z.ZodMiniType>(schema: T) => z.catch(z.optional(schema), undefined);

/**
 * The lenient scalars both versions' schemas are made of. Called by each version's schema builder, so they are
 * built on first use like the schemas, not at import.
 */
export function lenientScalars() {
  return {
    optionalString: lenient(z.string()),
    optionalBoolean: lenient(z.boolean()),
    optionalNumber: lenient(z.number()),
    optionalInteger: lenient(z.int()),
    /** v3 `tag` and v4 `tags`: any JSON object; arrays and scalars are dropped. */
    optionalTag: lenient(z.record(z.string(), z.unknown())),
  };
}

/**
 * `build` run on the first call and kept. Fingerprint's payloads are parsed by lenient Zod schemas built on
 * first use rather than at import: the enrich functions' first call is usually a cached read that never parses
 * a payload, and building these schemas was about 9 ms of their cold start.
 */
export function builtOnFirstUse<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

/** The score is a probability: one outside [0, 1] is clamped, and one too small to store is 0. */
export function confidenceOf(confidence: Confidence | undefined): Confidence | undefined {
  if (confidence === undefined) return undefined;
  const score = clamp(confidence.score, 0, 1);
  return compact({ ...confidence, score: isStorableNumber(score) ? score : 0 });
}

/** The tag as stored, and the flag saying it had to be changed (absent when it did not). */
export function tagFields(
  tag: Record<string, unknown> | undefined,
): Pick<NormalizedEvent, 'tag' | 'tagAltered'> {
  const storable = storableTag(tag);
  return { tag: storable.tag, tagAltered: storable.altered ? true : undefined };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseObject<T extends z.ZodMiniType>(schema: T, value: unknown, field: string): z.infer<T> {
  // The schemas never fail on a field, so a failure here means the payload is not an object at all.
  const parsed = isObject(value) ? schema.safeParse(value) : undefined;
  if (parsed?.success !== true) {
    throw new ValidationError(field, `${field} must be a JSON object, got ${describeType(value)}`, {
      cause: parsed?.error,
    });
  }
  return parsed.data;
}

const ID_NOUNS = { requestId: 'request id', visitorId: 'visitor id' } as const;

/** Ids become table keys: a string that breaks the one id rule (see `ids.ts`) is refused, not stored. */
export function requireId(value: unknown, field: string, kind: keyof typeof ID_NOUNS, hint?: string): string {
  const noun = ID_NOUNS[kind];
  if (value === undefined || value === null || value === '') {
    const reason = hint ?? `every event needs its ${noun}`;
    throw new ValidationError(field, `${field} is missing: ${reason}`);
  }
  if (typeof value !== 'string') {
    throw new ValidationError(field, `${field} must be a string (the ${noun}), got ${describeType(value)}`);
  }
  if (!isId(value)) throw new ValidationError(field, `${field} is not a valid ${noun}. ${ID_MESSAGES[kind]}`);
  return value;
}

export function requireTimestamp(value: unknown, field: string): number {
  if (value === undefined || value === null) {
    throw new ValidationError(
      field,
      `${field} is missing: every event needs its time in ms since the Unix epoch`,
    );
  }
  if (typeof value !== 'number' || !isPlausibleTimestamp(value)) {
    const got = typeof value === 'number' ? String(value) : describeType(value);
    // Stored, an implausible time would defeat the TTL: the event would expire at once or live for ages.
    throw new ValidationError(
      field,
      `${field} must be a whole number of milliseconds ${PLAUSIBLE_TIMESTAMP_RULE}, got ${got}`,
    );
  }
  return value;
}

/** A linkedId becomes a table key too; one that breaks the id rules is dropped like any malformed field. */
export function validLinkedId(value: string | undefined): string | undefined {
  return value !== undefined && isId(value) ? value : undefined;
}

/**
 * The payload's own `time` is kept verbatim when it is already UTC, so a v3 visit renders back exactly as
 * Fingerprint sent it; another offset is converted to UTC; a missing or unreadable one is derived from the
 * timestamp.
 */
export function utcTime(time: string | undefined, timestamp: number): string {
  if (time !== undefined && isDateTime(time) && isPlausibleTimestamp(Date.parse(time))) {
    return time.endsWith('Z') ? time : new Date(time).toISOString();
  }
  return new Date(timestamp).toISOString();
}

/**
 * The geolocation of the `ipInfo` entry whose address is the event's IP. The entries are separate v4 and v6
 * lookups; only the one for the event's own address describes where the event came from.
 */
export function geolocationOfIp<G>(
  ip: string | undefined,
  entries: ReadonlyArray<{ address: string; geolocation?: G | undefined } | undefined>,
): G | undefined {
  if (ip === undefined) return undefined;
  return entries.find((entry) => entry !== undefined && sameIp(entry.address, ip))?.geolocation;
}

/** IPv6 has several spellings of one address (`::` compression, case), so those are compared by value. */
function sameIp(a: string, b: string): boolean {
  if (a === b) return true;
  // Only IPv6 addresses hold a colon. Checking that first spares most events `isIP`, whose first call compiles
  // Node's address patterns: about 15 ms of CPU on an instance's first uncached event.
  if (!a.includes(':') || !b.includes(':')) return false;
  if (isIP(a) !== 6 || isIP(b) !== 6) return false;
  const list = new BlockList();
  list.addAddress(a, 'ipv6');
  return list.check(b, 'ipv6');
}

/** A latitude (±90) or longitude (±180) out of range is omitted; one too small to store is 0. */
export function coordinate(value: number | undefined, bound: number): number | undefined {
  const valid = inRange(value, -bound, bound);
  return valid === undefined || isStorableNumber(valid) ? valid : 0;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

export function nonEmpty<T extends object>(value: T): T | undefined {
  return Object.keys(value).length > 0 ? value : undefined;
}
