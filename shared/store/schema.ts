import { createHash } from 'node:crypto';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { NormalizedEvent } from '../domain/event.js';

/**
 * Every field of a {@link NormalizedEvent}, as a record so that the compiler refuses a field added to the type
 * and not here: the indexes project exactly these attributes (plus the TTL), so a field missing here would be
 * silently absent from every history read.
 */
const NORMALIZED_EVENT_FIELDS: Record<keyof NormalizedEvent, true> = {
  requestId: true,
  visitorId: true,
  linkedId: true,
  timestamp: true,
  time: true,
  url: true,
  ip: true,
  incognito: true,
  tag: true,
  tagAltered: true,
  confidence: true,
  visitorFound: true,
  firstSeenAt: true,
  lastSeenAt: true,
  browser: true,
  location: true,
  signals: true,
  source: true,
  schemaVersion: true,
};

/**
 * The upstream's own event, kept next to the normalized view on the same item when it reached us in v4 form
 * (`STORE_UPSTREAM_EVENTS`): a Binary attribute holding the compressed JSON text, and the marker saying how it
 * is encoded (see `shared/store/upstream.ts`). Never projected into an index.
 */
export const UPSTREAM_ATTRIBUTE = 'upstream';
export const UPSTREAM_FORMAT_ATTRIBUTE = 'upstreamFormat';

/**
 * The events table's key schema, defined once: the CDK stack, the local server and the tests all build the
 * table from this data, so they cannot drift apart.
 *
 * - The table is keyed by `requestId` alone, so storing the same event twice overwrites one item.
 * - `byVisitor` and `byLinkedId` serve the newest-first histories; `byLinkedId` is sparse because only
 *   events carrying a linkedId have its key attribute.
 * - Both indexes project the normalized view only (`INCLUDE` of {@link NORMALIZED_EVENT_ATTRIBUTES}): the
 *   upstream's copy of an event ({@link UPSTREAM_ATTRIBUTE}) stays on the table, so history reads and index
 *   writes do not pay for it.
 * - `expiresAt` (epoch seconds) is the DynamoDB TTL attribute.
 */
export const EVENT_TABLE_SCHEMA = {
  partitionKey: { name: 'requestId', type: 'S' },
  ttlAttribute: 'expiresAt',
  indexes: {
    byVisitor: {
      indexName: 'byVisitor',
      partitionKey: { name: 'visitorId', type: 'S' },
      sortKey: { name: 'timestamp', type: 'N' },
      projection: 'INCLUDE',
    },
    byLinkedId: {
      indexName: 'byLinkedId',
      partitionKey: { name: 'linkedId', type: 'S' },
      sortKey: { name: 'timestamp', type: 'N' },
      projection: 'INCLUDE',
    },
  },
} as const;

export type EventIndexName = keyof typeof EVENT_TABLE_SCHEMA.indexes;

/**
 * The non-key attributes an index projects: the normalized view's attributes less the keys, which every index
 * holds anyway (DynamoDB refuses a key attribute in `NonKeyAttributes`).
 */
export function projectedAttributes(index: EventIndexName): string[] {
  const { partitionKey, sortKey } = EVENT_TABLE_SCHEMA.indexes[index];
  const keys = new Set<string>([EVENT_TABLE_SCHEMA.partitionKey.name, partitionKey.name, sortKey.name]);
  return NORMALIZED_EVENT_ATTRIBUTES.filter((name) => !keys.has(name));
}

/** The TTL attribute's name: with the upstream's copy, what an item has beyond its NormalizedEvent fields. */
export const TTL_ATTRIBUTE = EVENT_TABLE_SCHEMA.ttlAttribute;

/** The item attributes of a stored event's normalized view: its fields and the TTL attribute. */
export const NORMALIZED_EVENT_ATTRIBUTES: readonly string[] = [
  ...Object.keys(NORMALIZED_EVENT_FIELDS),
  TTL_ATTRIBUTE,
];

const SECONDS_PER_DAY = 86_400;

/**
 * Erasure records (ADR 7) live in the events table under a partition key `erasure#<hex SHA-256 of the
 * visitorId>`. The prefix keeps them apart from events (whose keys are requestIds) and from any other item
 * kind sharing the table; they carry no `visitorId`, `linkedId` or `timestamp` attribute, so they are in
 * neither index.
 */
export const ERASURE_KEY_PREFIX = 'erasure#';

/** The partition-key prefixes of the fleet's upstream budget (`limiter#`, ADR 8) and of coalesced fetches (`lease#`). */
export const LIMITER_KEY_PREFIX = 'limiter#';
export const LEASE_KEY_PREFIX = 'lease#';

/** The attribute of an erasure record holding the erasure time (ms since the epoch). */
export const ERASED_AT_ATTRIBUTE = 'erasedAt';

/**
 * The partition key of a visitor's erasure record. An unkeyed hash on purpose: visitorIds are random, so the
 * hash cannot be reversed by guessing, and a key could be lost or rotated, silently voiding every erasure
 * (ADR 7).
 */
export function erasureKey(visitorId: string): string {
  return `${ERASURE_KEY_PREFIX}${createHash('sha256').update(visitorId, 'utf8').digest('hex')}`;
}

/**
 * How far back Fingerprint is asked for a visitor's history when no window is configured
 * (`FINGERPRINT_HISTORY_DAYS`): an erasure record must outlive it.
 */
export const DEFAULT_HISTORY_WINDOW_DAYS = 30;

/**
 * Days an erasure record outlives the longer of `EVENT_TTL_DAYS` and the history window: room for clocks that
 * disagree and for a retention setting raised a little after the erasure.
 */
export const ERASURE_MARGIN_DAYS = 7;

/**
 * Days an erasure record is kept. An event is only ever stored while `timestamp + EVENT_TTL_DAYS` is in the
 * future, so an event that happened before the erasure can come back for at most `ttlDays` after it; the
 * history window bounds what a history fetch can bring back; the margin covers the rest.
 */
export function erasureRetentionDays(ttlDays: number, historyWindowDays: number): number {
  return Math.max(ttlDays, historyWindowDays) + ERASURE_MARGIN_DAYS;
}

/**
 * The epoch second at which an event stops being served and DynamoDB may delete it: `ttlDays` after the
 * event happened (not after it was stored), so re-fetching an old event never extends its life.
 */
export function expiresAtFor(timestampMs: number, ttlDays: number): number {
  return Math.floor(timestampMs / 1000 + ttlDays * SECONDS_PER_DAY);
}

/**
 * A `CreateTable` request for the events table (on-demand billing), for dynalite and local runs. TTL is not
 * part of `CreateTable`; the CDK stack enables it on {@link TTL_ATTRIBUTE}, and reads filter expired items
 * anyway.
 */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, indexes } = EVENT_TABLE_SCHEMA;
  const indexList = Object.values(indexes);
  const attributes = new Map<string, 'S' | 'N'>([[partitionKey.name, partitionKey.type]]);
  for (const index of indexList) {
    attributes.set(index.partitionKey.name, index.partitionKey.type);
    attributes.set(index.sortKey.name, index.sortKey.type);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: [{ AttributeName: partitionKey.name, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: indexList.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
      ],
      Projection: {
        ProjectionType: index.projection,
        NonKeyAttributes: projectedAttributes(index.indexName),
      },
    })),
  };
}
