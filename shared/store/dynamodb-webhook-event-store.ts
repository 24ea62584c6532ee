import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandOutput,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { StoreThrottledError } from '../domain/errors.js';
import type { NormalizedEvent } from '../domain/event.js';
import { buildErasureParts, type DynamoDbErasures } from './dynamodb-erasures.js';
import { assertStorable, isErased, toItem } from './dynamodb-event-item.js';
import { type DynamoDbStoreOptions, storeSettingsOf } from './dynamodb-store-options.js';
import { INDEXES, TABLE_KEY, throttledAs } from './dynamodb-table.js';
import type { PutIfAbsentOutcome, WebhookEventStore } from './event-store.js';
import { expiresAtFor } from './schema.js';

// A conditional put that failed, then found no item (deleted in between), tries again this many times in all.
const MAX_ATTEMPTS = 3;

/**
 * The webhook function's store, on the event table: the insert-only write and nothing else. It composes what
 * that write needs, the item mapping (dynamodb-event-item.ts) and the erasure records on the batch calls
 * (dynamodb-erasures.ts, built as the event store builds them), and takes the same options as the event store
 * (dynamodb-store-options.ts), so that the webhook's bundle and init carry neither the event store nor its pager
 * and cursors (docs/performance.md, "What changed", 19). A process that also reads or erases builds a
 * `DynamoDbEventStore` on the same table beside it.
 */
export class DynamoDbWebhookEventStore implements WebhookEventStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #ttlDays: number;
  readonly #now: () => number;
  readonly #storeUpstream: boolean;
  readonly #erasures: DynamoDbErasures;

  /** @throws RangeError naming the option that is out of range. */
  constructor(options: DynamoDbStoreOptions) {
    const settings = storeSettingsOf(options);
    this.#client = settings.client;
    this.#tableName = settings.tableName;
    this.#ttlDays = settings.ttlDays;
    this.#now = settings.now;
    this.#storeUpstream = settings.storeUpstream;
    // Its every call checks erasure records: built with the store, as the function loads them at init.
    this.#erasures = buildErasureParts(settings).erasures;
  }

  /**
   * One `PutItem` conditioned on no item having the requestId: DynamoDB evaluates the condition and the write
   * atomically, so of concurrent calls for one requestId exactly one stores, and nothing stored is ever
   * changed. When the condition fails, a strongly consistent `GetItem` of the stored identity tells a
   * duplicate from a conflict; if that item was deleted in between (an erasure), the put is tried again.
   * Events already past their TTL are not stored. An event of an erased visitor that happened before the
   * erasure is suppressed by the same write-then-check as every other write (ADR 7): refused when the
   * erasure is recorded before the put, deleted again at once when it is recorded while the put runs.
   *
   * @throws ValidationError when the event's ids or timestamp are malformed.
   * @throws StoreThrottledError when DynamoDB keeps throttling.
   */
  async putEventIfAbsent(event: NormalizedEvent): Promise<PutIfAbsentOutcome> {
    assertStorable(event);
    const expiresAt = expiresAtFor(event.timestamp, this.#ttlDays);
    if (expiresAt <= Math.floor(this.#now() / 1000)) return { outcome: 'expired' };
    if (await this.#isErased(event)) return { outcome: 'suppressed' };
    const item = marshall(toItem(event, expiresAt, this.#storeUpstream), { removeUndefinedValues: true });
    for (let attempt = 1; ; attempt++) {
      try {
        await throttledAs('writes', () =>
          this.#client.send(
            new PutItemCommand({
              TableName: this.#tableName,
              Item: item,
              ConditionExpression: 'attribute_not_exists(#key)',
              ExpressionAttributeNames: { '#key': TABLE_KEY.name },
            }),
          ),
        );
        if (!(await this.#isErased(event))) return { outcome: 'stored' };
        await throttledAs('writes', () =>
          this.#client.send(
            new DeleteItemCommand({
              TableName: this.#tableName,
              Key: { [TABLE_KEY.name]: { S: event.requestId } },
            }),
          ),
        );
        return { outcome: 'suppressed' };
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
      }
      const { Item: stored } = await this.#identityOf(event.requestId);
      if (stored !== undefined) {
        const { visitorId, timestamp } = unmarshall(stored);
        const fields = [
          ...(visitorId === event.visitorId ? [] : (['visitorId'] as const)),
          ...(timestamp === event.timestamp ? [] : (['timestamp'] as const)),
        ];
        return fields.length === 0 ? { outcome: 'duplicate' } : { outcome: 'conflict', fields };
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw new StoreThrottledError(
          `Event ${event.requestId} kept being stored and deleted by others while this write ran; retry later.`,
        );
      }
    }
  }

  /** Whether an erasure of the event's visitor, read strongly consistently, covers the event. */
  async #isErased(event: NormalizedEvent): Promise<boolean> {
    return isErased(event, await this.#erasures.erasuresOf([event.visitorId]));
  }

  /** The stored visitorId and timestamp of an event, read strongly consistently. */
  #identityOf(requestId: string): Promise<GetItemCommandOutput> {
    return throttledAs('reads', () =>
      this.#client.send(
        new GetItemCommand({
          TableName: this.#tableName,
          Key: { [TABLE_KEY.name]: { S: requestId } },
          ConsistentRead: true,
          ProjectionExpression: '#visitorId, #timestamp',
          ExpressionAttributeNames: {
            '#visitorId': INDEXES.byVisitor.partitionKey.name,
            '#timestamp': INDEXES.byVisitor.sortKey.name,
          },
        }),
      ),
    );
  }
}
