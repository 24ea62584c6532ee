/**
 * How an event and the store's own records become DynamoDB items and back: the event's item (its normalized
 * view, its TTL, its upstream copy), the keys no event may take, the checks every event passes before any
 * write, and the history sync records.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ValidationError } from '../domain/errors.js';
import type { NormalizedEvent } from '../domain/event.js';
import { ID_MESSAGES, isId } from '../domain/ids.js';
import { upstreamV4Of, withUpstreamV4 } from '../domain/upstream.js';
import type { HistoryFilter, HistorySync } from './event-store.js';
import {
  ERASURE_KEY_PREFIX,
  LEASE_KEY_PREFIX,
  LIMITER_KEY_PREFIX,
  TTL_ATTRIBUTE,
  UPSTREAM_ATTRIBUTE,
  UPSTREAM_FORMAT_ATTRIBUTE,
} from './schema.js';
import { decodeUpstreamV4, encodeUpstreamV4, UPSTREAM_FORMAT_V4_BROTLI } from './upstream-codec.js';

export type Item = Record<string, unknown>;

/**
 * History sync records share the table with events, under a key no event has (`history#` and a hash of the
 * filter, so no id is kept in clear) and with no visitorId, linkedId or timestamp, so neither index holds
 * them. `recordType` tells them apart from events, whatever a requestId may look like.
 */
const HISTORY_KEY_PREFIX = 'history#';
export const RECORD_TYPE = 'recordType';
export const HISTORY_SYNC_RECORD = 'historySync';

export function historyKey(filter: HistoryFilter): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([filter.visitorId ?? null, filter.linkedId ?? null]))
    .digest('base64url');
  return `${HISTORY_KEY_PREFIX}${digest}`;
}

/** A history sync record as read back; anything else (never written by this store) is ignored. */
export function toHistorySync(item: Item): HistorySync | undefined {
  const { from, newest, depth } = item;
  if (typeof from !== 'number') return undefined;
  return {
    from,
    ...(typeof newest === 'number' && { newest }),
    ...(typeof depth === 'number' && { depth }),
  };
}

const RECORD_KEY_PREFIXES = [ERASURE_KEY_PREFIX, HISTORY_KEY_PREFIX, LIMITER_KEY_PREFIX, LEASE_KEY_PREFIX];

/**
 * Whether a requestId is the key of one of the table's own records (an erasure, a history sync record, a seat
 * of the upstream budget, a lease): an event under it would overwrite the record (undoing an erasure), and a
 * read of it would answer the record.
 */
export function isRecordKey(requestId: string): boolean {
  return RECORD_KEY_PREFIXES.some((prefix) => requestId.startsWith(prefix));
}

export function assertStorable(event: NormalizedEvent): void {
  for (const kind of ['requestId', 'visitorId'] as const) {
    if (!isId(event[kind])) {
      throw new ValidationError(
        kind,
        `An event's ${kind} breaks the id rule; nothing was stored. ${ID_MESSAGES[kind]}`,
      );
    }
  }
  if (isRecordKey(event.requestId)) {
    throw new ValidationError(
      'requestId',
      `An event's requestId begins like the key of one of this table's own records (${RECORD_KEY_PREFIXES.join(', ')}); nothing was stored.`,
    );
  }
  // An empty linkedId means there is none (see toItem).
  if (event.linkedId !== undefined && event.linkedId !== '' && !isId(event.linkedId)) {
    throw new ValidationError(
      'linkedId',
      `Event ${event.requestId} has a linkedId that breaks the id rule; nothing was stored. ${ID_MESSAGES.linkedId}`,
    );
  }
  if (!Number.isSafeInteger(event.timestamp) || event.timestamp < 0) {
    throw new ValidationError(
      'timestamp',
      `Event ${event.requestId} has a timestamp that is not milliseconds since the epoch; nothing was stored.`,
    );
  }
}

/**
 * The item in DynamoDB's types. A value DynamoDB has no type for (e.g. a non-finite number) is a refusal of
 * this event, named as such, before anything is written.
 */
export function marshalled(requestId: string, item: Item): Record<string, AttributeValue> {
  try {
    // `undefined` (an absent optional field) has no DynamoDB type: dropped at every depth.
    return marshall(item, { removeUndefinedValues: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 200) : 'unknown';
    throw new ValidationError(
      'event',
      `Event ${requestId} holds a value DynamoDB cannot store (${reason}); nothing was stored.`,
      { cause: error },
    );
  }
}

/**
 * The item of an event: its normalized view, the TTL, and (with `storeUpstream`) the upstream's v4 copy of it
 * when it has one, compressed. A copy too large to keep is left out: the item must fit whatever it holds.
 */
export function toItem(event: NormalizedEvent, expiresAt: number, storeUpstream = true): Item {
  // DynamoDB refuses an empty string as an index key; an empty linkedId means there is none.
  const { linkedId, ...rest } = event;
  const upstream = storeUpstream ? upstreamV4Of(event) : undefined;
  const encoded = upstream === undefined ? undefined : encodeUpstreamV4(upstream);
  return {
    ...rest,
    ...(linkedId !== '' && { linkedId }),
    [TTL_ATTRIBUTE]: expiresAt,
    ...(encoded !== undefined && {
      [UPSTREAM_ATTRIBUTE]: encoded,
      [UPSTREAM_FORMAT_ATTRIBUTE]: UPSTREAM_FORMAT_V4_BROTLI,
    }),
  };
}

/**
 * Whether an item has expired at `now` (epoch ms): every read checks, since DynamoDB's TTL deletion lags. An item
 * with no TTL counts as expired: nothing the store writes lacks one.
 */
export function isExpired(item: Item, now: number): boolean {
  const expiresAt = item[TTL_ATTRIBUTE];
  return typeof expiresAt !== 'number' || expiresAt <= Math.floor(now / 1000);
}

export function toEvent(item: Item): NormalizedEvent {
  const {
    [TTL_ATTRIBUTE]: _expiresAt,
    [UPSTREAM_ATTRIBUTE]: upstream,
    [UPSTREAM_FORMAT_ATTRIBUTE]: format,
    ...fields
  } = item;
  // Items are written only by putEvents and DynamoDbWebhookEventStore.putEventIfAbsent, from a NormalizedEvent
  // plus the attributes removed above.
  const event = fields as unknown as NormalizedEvent;
  // Decompressed only when asked for (`upstreamV4Of`): most reads of an event never look at its copy.
  return upstream === undefined ? event : withUpstreamV4(event, () => decodeUpstreamV4(format, upstream));
}

export function visitorsOf(events: Iterable<NormalizedEvent>): string[] {
  return [...new Set([...events].map((event) => event.visitorId))];
}

/** Whether an erasure covers the event: its visitor was erased at or after the moment it happened. */
export function isErased(event: NormalizedEvent, erasures: ReadonlyMap<string, number>): boolean {
  const erasedAt = erasures.get(event.visitorId);
  return erasedAt !== undefined && event.timestamp <= erasedAt;
}
