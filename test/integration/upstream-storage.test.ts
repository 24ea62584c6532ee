import { readFileSync } from 'node:fs';
import { CreateTableCommand, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureEventTable, TableSchemaMismatchError } from '../../local/dynamodb.js';
import { type DynaliteHandle, startDynalite } from '../../local/harness/dynalite.js';
import { type NormalizedEvent, SCHEMA_VERSION } from '../../shared/domain/event.js';
import { upstreamV4Of } from '../../shared/domain/upstream.js';
import { normalizeV4Event, normalizeWebhook } from '../../shared/fingerprint/normalize.js';
import { renderV4Event, toV4Event } from '../../shared/fingerprint/v4-event.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import * as storeParts from '../../shared/store/dynamodb-event-store-parts.js';
import { DynamoDbWebhookEventStore } from '../../shared/store/dynamodb-webhook-event-store.js';
import {
  createTableInput,
  EVENT_TABLE_SCHEMA,
  NORMALIZED_EVENT_ATTRIBUTES,
  UPSTREAM_ATTRIBUTE,
  UPSTREAM_FORMAT_ATTRIBUTE,
} from '../../shared/store/schema.js';
import { UPSTREAM_FORMAT_V4_BROTLI } from '../../shared/store/upstream-codec.js';

/**
 * The upstream's own v4 copy of an event, kept compressed on the event's item next to the normalized view:
 * read back exactly as received, absent from the history indexes (projection INCLUDE of the normalized view,
 * which dynalite honors as DynamoDB does), and not kept when the setting is off.
 */

type Json = Record<string, unknown>;

const fixture = (path: string): Json =>
  JSON.parse(readFileSync(new URL(`../fixtures/fingerprint/v4/${path}`, import.meta.url), 'utf8')) as Json;

const V4_EVENT = fixture('events/get_event_200.json');
const V4_WEBHOOK = fixture('webhook/webhook_event.json');
const FIXTURE_TIME = V4_EVENT.timestamp as number;
const TTL_DAYS = 90;

let dynamo: DynaliteHandle;
let tableName: string;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});
beforeEach(async () => {
  tableName = await dynamo.createTable();
});

function optionsOf(options: { storeUpstream?: boolean }) {
  return { client: dynamo.client, tableName, ttlDays: TTL_DAYS, now: () => FIXTURE_TIME + 1_000, ...options };
}

function storeOf(options: { storeUpstream?: boolean } = {}): DynamoDbEventStore {
  return new DynamoDbEventStore({ ...optionsOf(options), parts: storeParts });
}

/** The webhook's insert-only store, on the same table as {@link storeOf}'s. */
function webhookStoreOf(options: { storeUpstream?: boolean } = {}): DynamoDbWebhookEventStore {
  return new DynamoDbWebhookEventStore(optionsOf(options));
}

async function rawItem(requestId: string): Promise<Json | undefined> {
  const { Item } = await dynamo.client.send(
    new GetItemCommand({ TableName: tableName, Key: { requestId: { S: requestId } } }),
  );
  return Item === undefined ? undefined : unmarshall(Item);
}

/** The visitor's items as the byVisitor index holds them, every projected attribute. */
async function indexItems(visitorId: string): Promise<Json[]> {
  const index = EVENT_TABLE_SCHEMA.indexes.byVisitor;
  const { Items } = await dynamo.client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: index.indexName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index.partitionKey.name },
      ExpressionAttributeValues: { ':pk': { S: visitorId } },
    }),
  );
  return (Items ?? []).map((item) => unmarshall(item));
}

/** An event with every field of NormalizedEvent set: the compiler refuses this literal if one is missing. */
function everyField(requestId: string, timestamp: number): Required<NormalizedEvent> {
  return {
    requestId,
    visitorId: 'EveryFieldVisitor0001',
    linkedId: 'every-field-linked',
    timestamp,
    time: new Date(timestamp).toISOString(),
    url: 'https://example.com/login',
    ip: '203.0.113.7',
    incognito: false,
    tag: { plan: 'pro', nested: { depth: 'two' } },
    tagAltered: true,
    confidence: { score: 0.97, revision: 'v1.1', comment: 'fine' },
    visitorFound: true,
    firstSeenAt: { global: null, subscription: '2024-02-16T17:35:55.327Z' },
    lastSeenAt: { global: '2024-02-16T17:35:55.327Z', subscription: null },
    browser: {
      name: 'Chrome',
      majorVersion: '74',
      fullVersion: '74.0.3729',
      os: 'Windows',
      osVersion: '7',
      device: 'Other',
      userAgent: 'Mozilla/5.0',
    },
    location: {
      city: 'Berlin',
      country: { code: 'DE', name: 'Germany' },
      continent: { code: 'EU', name: 'Europe' },
      subdivisions: [{ isoCode: 'BE', name: 'Land Berlin' }],
      latitude: 52.5,
      longitude: 13.4,
      postalCode: '10115',
      timezone: 'Europe/Berlin',
      accuracyRadius: 10,
    },
    signals: { bot: 'notDetected', vpn: false, suspectScore: 3 },
    source: 'v3',
    schemaVersion: SCHEMA_VERSION,
  };
}

describe('the upstream copy of a v4 event', () => {
  it('is kept on the same item, Brotli-compressed, and read back exactly as received', async () => {
    const store = storeOf();
    const event = normalizeV4Event(structuredClone(V4_EVENT));
    await store.storeEvents([event]);

    const item = await rawItem(event.requestId);
    expect(item?.[UPSTREAM_FORMAT_ATTRIBUTE]).toBe(UPSTREAM_FORMAT_V4_BROTLI);
    const blob = item?.[UPSTREAM_ATTRIBUTE];
    expect(blob).toBeInstanceOf(Uint8Array);
    // Compressed: well under the JSON text it holds.
    expect((blob as Uint8Array).byteLength).toBeLessThan(JSON.stringify(V4_EVENT).length / 2);

    const read = await store.getEvent(event.requestId);
    expect(read).toEqual(event);
    expect(read && upstreamV4Of(read)).toEqual(V4_EVENT);
    expect(await store.getUpstreamEvents([event.requestId, '1708102555327.Unknwn'])).toEqual(
      new Map([[event.requestId, V4_EVENT]]),
    );
  });

  it('is kept from a v4 webhook delivery by the insert-only write', async () => {
    const store = storeOf();
    const event = normalizeWebhook(structuredClone(V4_WEBHOOK));
    expect(await webhookStoreOf().putEventIfAbsent(event)).toEqual({ outcome: 'stored' });
    const read = await store.getEvent(event.requestId);
    expect(read && upstreamV4Of(read)).toEqual(V4_WEBHOOK);
  });

  it('stays out of the history indexes, which hold every field of the normalized view', async () => {
    const store = storeOf();
    const v4 = normalizeV4Event(structuredClone(V4_EVENT));
    const full = everyField('1708102555000.EveryF', FIXTURE_TIME - 327);
    await store.storeEvents([v4, full]);

    for (const item of [...(await indexItems(v4.visitorId)), ...(await indexItems(full.visitorId))]) {
      expect(item).not.toHaveProperty(UPSTREAM_ATTRIBUTE);
      expect(item).not.toHaveProperty(UPSTREAM_FORMAT_ATTRIBUTE);
    }
    // Every attribute of the normalized view reaches the index: a field missing from the projection would be
    // absent here.
    const [projected] = await indexItems(full.visitorId);
    expect(Object.keys(projected ?? {}).sort()).toEqual([...NORMALIZED_EVENT_ATTRIBUTES].sort());
    const page = await store.listByVisitor({ visitorId: full.visitorId, limit: 10 });
    expect(page.events).toEqual([full]);
    const [fromIndex] = (await store.listByVisitor({ visitorId: v4.visitorId, limit: 10 })).events;
    expect(fromIndex).toEqual(v4);
    expect(fromIndex && upstreamV4Of(fromIndex)).toBeUndefined();
  });

  it('is not kept when the setting is off (STORE_UPSTREAM_EVENTS=false), by either write', async () => {
    const store = storeOf({ storeUpstream: false });
    const fetched = normalizeV4Event(structuredClone(V4_EVENT));
    const delivered = normalizeWebhook({ ...structuredClone(V4_WEBHOOK), event_id: '1708102555327.Hooked' });
    await store.storeEvents([fetched]);
    await webhookStoreOf({ storeUpstream: false }).putEventIfAbsent(delivered);
    for (const event of [fetched, delivered]) {
      const item = await rawItem(event.requestId);
      expect(item).not.toHaveProperty(UPSTREAM_ATTRIBUTE);
      expect(item).not.toHaveProperty(UPSTREAM_FORMAT_ATTRIBUTE);
      const read = await store.getEvent(event.requestId);
      expect(read).toEqual(event);
      expect(read && upstreamV4Of(read)).toBeUndefined();
    }
    expect(await store.getUpstreamEvents([fetched.requestId])).toEqual(new Map());
  });

  it('is left out, not failing the write, when JSON cannot write it back (a tag nested 100,000 levels)', async () => {
    const store = storeOf();
    let deep: unknown = 'bottom';
    for (let level = 0; level < 100_000; level++) deep = { d: deep };
    const event = normalizeV4Event({ ...structuredClone(V4_EVENT), tags: { deep } });
    expect(await store.storeEvents([event])).toEqual({ stored: 1, suppressed: [] });
    expect(await rawItem(event.requestId)).not.toHaveProperty(UPSTREAM_ATTRIBUTE);
    const read = await store.getEvent(event.requestId);
    expect(read?.tagAltered).toBe(true);
    expect(read && upstreamV4Of(read)).toBeUndefined();
    // The in-memory copy the write could not keep is not answered either: the v4 answer is rendered, now and later.
    expect(toV4Event(event)).toEqual(renderV4Event(event));
  });

  it('goes with its event when the visitor is erased', async () => {
    const store = new DynamoDbEventStore({
      parts: storeParts,
      client: dynamo.client,
      tableName,
      ttlDays: TTL_DAYS,
      erasureSettleMs: 0,
    });
    const event = normalizeV4Event({ ...structuredClone(V4_EVENT), timestamp: Date.now() - 60_000 });
    await store.storeEvents([event]);
    expect(await store.getUpstreamEvents([event.requestId])).toHaveProperty('size', 1);
    await store.eraseVisitor(event.visitorId);
    expect(await rawItem(event.requestId)).toBeUndefined();
    expect(await store.getUpstreamEvents([event.requestId])).toEqual(new Map());
  });
});

describe('a table whose indexes still project everything', () => {
  it('is refused by the local server, which would otherwise carry the copies into every history read', async () => {
    const name = `old-projection-${Date.now()}`;
    const current = createTableInput(name);
    await dynamo.client.send(
      new CreateTableCommand({
        ...current,
        GlobalSecondaryIndexes: current.GlobalSecondaryIndexes?.map((index) => ({
          ...index,
          Projection: { ProjectionType: 'ALL' },
        })),
      }),
    );
    await expect(ensureEventTable(dynamo.client, name)).rejects.toBeInstanceOf(TableSchemaMismatchError);
    // The table of the shared schema is accepted as it is.
    const fresh = `new-projection-${Date.now()}`;
    expect(await ensureEventTable(dynamo.client, fresh)).toBe(true);
    expect(await ensureEventTable(dynamo.client, fresh)).toBe(false);
  });
});
