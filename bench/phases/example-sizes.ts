/**
 * Fingerprint's example payloads, each normalized by the product's normalizer and written by its event store:
 * the largest item each makes, and its write units.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynaliteHandle } from '../../local/harness/dynalite.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import {
  normalizeV3Event,
  normalizeV3Visit,
  normalizeV4Event,
  normalizeWebhook,
} from '../../shared/fingerprint/normalize.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import * as storeParts from '../../shared/store/dynamodb-event-store-parts.js';
import { fixture } from '../settings.js';
import { eventWriteCost } from '../support/item-size.js';
import { MAX_ITEM_BYTES } from '../targets.js';

export interface ExampleSize {
  example: string;
  events: number;
  maxBytes: number;
  /** Write units of the largest: the table's plus one per index holding it. */
  writeUnits: number;
  underOneKiB: boolean;
}

/** Each official example event, normalized by the product's normalizer and written by its event store. */
export async function exampleItemSizes(dynamo: DynaliteHandle, tableName: string): Promise<ExampleSize[]> {
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  const visits = (file: string) => {
    const body = fixture(file);
    return list(body.visits).map((visit) => normalizeV3Visit(visit, String(body.visitorId)));
  };
  const isIdentification = (event: unknown) =>
    typeof event === 'object' && event !== null && 'identification' in event;
  const examples: [string, () => NormalizedEvent[]][] = [
    ['v4 GET /v4/events/{id}', () => [normalizeV4Event(fixture('v4/events/get_event_200.json'))]],
    [
      'v4 event with bot info',
      () => [normalizeV4Event(fixture('v4/events/get_event_with_bot_info_200.json'))],
    ],
    ['v4 event with ruleset', () => [normalizeV4Event(fixture('v4/events/get_event_ruleset_200.json'))]],
    [
      'v4 GET /v4/events (search)',
      () =>
        list(fixture('v4/events/search/get_event_search_200.json').events)
          .filter(isIdentification)
          .map(normalizeV4Event),
    ],
    ['v4 webhook', () => [normalizeWebhook(fixture('v4/webhook/webhook_event.json'))]],
    ['v3 GET /events/{id}', () => [normalizeV3Event(fixture('v3/get_event_200.json'))]],
    [
      'v3 GET /events/search',
      () => list(fixture('v3/get_event_search_200.json').events).map(normalizeV3Event),
    ],
    ['v3 GET /visitors (limit 1)', () => visits('v3/get_visitors_200_limit_1.json')],
    ['v3 GET /visitors (limit 500)', () => visits('v3/get_visitors_200_limit_500.json')],
    ['v3 webhook', () => [normalizeWebhook(fixture('v3/webhook.json'))]],
  ];
  const sizes: ExampleSize[] = [];
  for (const [example, normalize] of examples) {
    const events = normalize();
    let maxBytes = 0;
    let writeUnits = 0;
    for (const event of events) {
      // Stored as if enriched when it happened: the examples are older than any TTL. The normalized view only:
      // what the upstream's copy of a v4 event adds is measured by bench/storage.ts (docs/storage.md).
      const store = new DynamoDbEventStore({
        parts: storeParts,
        client: dynamo.client,
        tableName,
        ttlDays: 90,
        now: () => event.timestamp,
        storeUpstream: false,
      });
      await store.putEvents([event]);
      const { Item } = await dynamo.client.send(
        new GetItemCommand({ TableName: tableName, Key: { requestId: { S: event.requestId } } }),
      );
      if (Item === undefined) throw new Error(`${example}: ${event.requestId} was not stored`);
      const cost = eventWriteCost(Item);
      if (cost.bytes > maxBytes) {
        maxBytes = cost.bytes;
        writeUnits = cost.writeUnits;
      }
    }
    sizes.push({
      example,
      events: events.length,
      maxBytes,
      writeUnits,
      underOneKiB: maxBytes < MAX_ITEM_BYTES,
    });
  }
  return sizes;
}
