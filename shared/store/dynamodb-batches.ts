/**
 * DynamoDB's batch calls with the retries the event store needs on top of the SDK's: `BatchWriteItem` in
 * batches of 25 and `BatchGetItem` in batches of 100, retrying unprocessed items and throttling with jittered
 * backoff, and throttling that outlasts the retries turned into a {@link StoreThrottledError}.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { StoreThrottledError } from '../domain/errors.js';
import { isThrottling, type Key, readThrottled, TABLE_KEY } from './dynamodb-table.js';

/** DynamoDB's limit on the number of requests in one `BatchWriteItem`. */
const BATCH_SIZE = 25;
// With 6 attempts the waits add up to at most 50+100+200+400+800 ms: well inside a Lambda timeout, long
// enough for on-demand capacity to adapt to a burst.
const BASE_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2_000;
/** DynamoDB's limit on the keys of one `BatchGetItem`. */
const BATCH_GET_SIZE = 100;

/** Full jitter: spreads retries of concurrent writers instead of synchronizing them. */
function backoffMs(attempt: number): number {
  return Math.random() * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (attempt - 1));
}

/** What the batch calls need: the table, and how hard to retry. */
export interface DynamoDbBatchesOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Calls per batch before giving up. */
  maxWriteAttempts: number;
  /** Waits between attempts. */
  sleep: (ms: number) => Promise<void>;
}

/**
 * The event table's batch writes and reads with the store's retries: one of the store's parts, shared by the
 * writes of the store itself and the erasures' sweeps and record reads.
 */
export class DynamoDbBatches {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  /** Calls per batch before giving up (the throttling messages say it). */
  readonly maxWriteAttempts: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: DynamoDbBatchesOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.maxWriteAttempts = options.maxWriteAttempts;
    this.#sleep = options.sleep;
  }

  /**
   * Sends write requests (puts or deletes) in batches of 25, retrying unprocessed items and throttling.
   * Returns how many were written; throws a {@link StoreThrottledError} with `describe(notWritten, written)`
   * when a batch is still not fully written after `maxWriteAttempts`.
   */
  async writeAll(
    requests: readonly WriteRequest[],
    describe: (notWritten: number, written: number) => string,
  ): Promise<number> {
    let written = 0;
    for (let start = 0; start < requests.length; start += BATCH_SIZE) {
      const batch = requests.slice(start, start + BATCH_SIZE);
      const failure = await this.#writeBatch(batch);
      if (failure !== undefined) {
        const notWritten = requests.length - written - (batch.length - failure.left);
        throw new StoreThrottledError(describe(notWritten, requests.length - notWritten), {
          cause: failure.cause,
        });
      }
      written += batch.length;
    }
    return written;
  }

  /** Writes one batch; answers what is still unwritten when the attempts run out. */
  async #writeBatch(requests: WriteRequest[]): Promise<{ left: number; cause: unknown } | undefined> {
    let pending: WriteRequest[] = requests;
    let cause: unknown;
    for (let attempt = 1; ; attempt++) {
      try {
        const output = await this.#client.send(
          new BatchWriteItemCommand({ RequestItems: { [this.#tableName]: pending } }),
        );
        pending = output.UnprocessedItems?.[this.#tableName] ?? [];
        cause = undefined;
      } catch (error) {
        if (!isThrottling(error)) throw error;
        cause = error;
      }
      if (pending.length === 0) return undefined;
      if (attempt >= this.maxWriteAttempts) return { left: pending.length, cause };
      await this.#sleep(backoffMs(attempt));
    }
  }

  /**
   * The items of these table keys that exist, with the attributes `projection` names, in batches of
   * {@link BATCH_GET_SIZE}, retrying unprocessed keys with backoff. Throttling that outlasts the retries is a
   * {@link StoreThrottledError}: not knowing (whether a visitor is erased, above all) is no answer, and nothing
   * may be written on a guess.
   */
  async batchGet(
    keys: readonly string[],
    options: { consistent?: boolean; projection: string; names: Record<string, string> },
  ): Promise<Key[]> {
    const items: Key[] = [];
    for (let start = 0; start < keys.length; start += BATCH_GET_SIZE) {
      let pending: Key[] = keys
        .slice(start, start + BATCH_GET_SIZE)
        .map((key) => ({ [TABLE_KEY.name]: { S: key } }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        const output = await readThrottled(() =>
          this.#client.send(
            new BatchGetItemCommand({
              RequestItems: {
                [this.#tableName]: {
                  Keys: pending,
                  ...(options.consistent === true && { ConsistentRead: true }),
                  ProjectionExpression: options.projection,
                  ExpressionAttributeNames: options.names,
                },
              },
            }),
          ),
        );
        items.push(...(output.Responses?.[this.#tableName] ?? []));
        pending = output.UnprocessedKeys?.[this.#tableName]?.Keys ?? [];
        if (pending.length === 0) break;
        if (attempt >= this.maxWriteAttempts) {
          throw new StoreThrottledError('DynamoDB is throttling reads. Retry later.');
        }
        await this.#sleep(backoffMs(attempt));
      }
    }
    return items;
  }
}
