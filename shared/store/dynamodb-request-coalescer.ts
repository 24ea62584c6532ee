/**
 * One upstream call per requestId, however many callers ask for it at once, in one process or across the
 * fleet. Within a process, callers share the leader's promise. Across instances, the leader holds a short
 * lease item in the event table (`lease#<hash of the key>`, taken with a conditional `PutItem`); the others
 * poll it and, once the leader has stored its answer, read it from the store. Design:
 * docs/adr/0008-fleet-upstream-budget.md.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { NotFoundError, UpstreamTimeoutError } from '../domain/errors.js';
import type { CoalesceCall, RequestCoalescer } from './event-store.js';
import { EVENT_TABLE_SCHEMA, LEASE_KEY_PREFIX, TTL_ATTRIBUTE } from './schema.js';

/** Every lease item's key starts with this; the event store refuses events keyed so. */
export { LEASE_KEY_PREFIX };
/** How often a follower reads the leader's lease. */
export const DEFAULT_FOLLOW_POLL_MS = 100;
/** How long a finished lease tells the followers that polled it where to look. */
const FINISHED_LINGER_MS = 3_000;
/** Lease items stay this long after they end, then DynamoDB's TTL removes them. */
const ITEM_TTL_SECONDS = 3_600;

const PK = EVENT_TABLE_SCHEMA.partitionKey.name;
const LEASE_STATES = { fetching: 'fetching', done: 'done', notFound: 'notFound' } as const;

export interface DynamoDbRequestCoalescerOptions {
  client: DynamoDBClient;
  tableName: string;
  /** @default {@link DEFAULT_FOLLOW_POLL_MS} */
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Counters of what the coalescer did, for tests and measurements. */
export interface CoalescerUsage {
  led: number;
  followedInProcess: number;
  followedAcrossInstances: number;
  leaseReads: number;
}

type LeaderOutcome = 'done' | 'notFound' | 'gone';

/** A {@link RequestCoalescer} over the event table; one per process. */
export class DynamoDbRequestCoalescer implements RequestCoalescer {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #pollMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #inFlight = new Map<string, Promise<unknown>>();
  readonly usage: CoalescerUsage = {
    led: 0,
    followedInProcess: 0,
    followedAcrossInstances: 0,
    leaseReads: 0,
  };

  constructor(options: DynamoDbRequestCoalescerOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#pollMs = options.pollMs ?? DEFAULT_FOLLOW_POLL_MS;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => delay(ms));
  }

  async run<T>(key: string, call: CoalesceCall<T>): Promise<T> {
    const inFlight = this.#inFlight.get(key) as Promise<T> | undefined;
    if (inFlight !== undefined) {
      this.usage.followedInProcess += 1;
      const value = await inFlight;
      return call.share === undefined ? value : call.share(value);
    }
    const running = this.#acrossInstances(key, call);
    this.#inFlight.set(key, running);
    try {
      return await running;
    } finally {
      this.#inFlight.delete(key);
    }
  }

  async #acrossInstances<T>(key: string, call: CoalesceCall<T>): Promise<T> {
    const pk: Record<string, AttributeValue> = { [PK]: { S: leaseKey(key) } };
    for (;;) {
      const holder = randomUUID();
      if (await this.#acquire(pk, holder, call.deadline)) return this.#lead(pk, holder, call);
      const outcome = await this.#awaitLeader(pk, call.deadline);
      if (outcome === 'notFound') {
        this.usage.followedAcrossInstances += 1;
        throw new NotFoundError(
          'Fingerprint found nothing for this requestId (answered to a concurrent call for the same requestId).',
        );
      }
      if (outcome === 'done') {
        const value = await call.follow();
        if (value !== undefined) {
          this.usage.followedAcrossInstances += 1;
          return value;
        }
        // The leader stored nothing the store will give back: make the call ourselves, without waiting for
        // the finished lease to end.
        this.usage.led += 1;
        return call.lead();
      }
      // 'gone': the leader failed or died; whoever takes the lease next makes the call.
    }
  }

  async #acquire(pk: Record<string, AttributeValue>, holder: string, deadline: number): Promise<boolean> {
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: {
            ...pk,
            holder: { S: holder },
            state: { S: LEASE_STATES.fetching },
            until: { N: String(deadline) },
            [TTL_ATTRIBUTE]: { N: String(expiresAt(deadline)) },
          },
          // A finished lease only tells the callers who waited where to look: a new call (a refresh, or a
          // retry after a 404) may lead at once.
          ConditionExpression: 'attribute_not_exists(#pk) OR #until < :now OR #state <> :fetching',
          ExpressionAttributeNames: { '#pk': PK, '#until': 'until', '#state': 'state' },
          ExpressionAttributeValues: {
            ':now': { N: String(this.#now()) },
            ':fetching': { S: LEASE_STATES.fetching },
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #lead<T>(pk: Record<string, AttributeValue>, holder: string, call: CoalesceCall<T>): Promise<T> {
    this.usage.led += 1;
    let value: T;
    try {
      value = await call.lead();
    } catch (error) {
      // A requestId Fingerprint does not know is an answer too: followers get it without asking again.
      // Anything else may go better for the next caller, who takes the lease.
      await (error instanceof NotFoundError
        ? this.#finish(pk, holder, LEASE_STATES.notFound)
        : this.#abandon(pk, holder));
      throw error;
    }
    await this.#finish(pk, holder, LEASE_STATES.done);
    return value;
  }

  /** Tells followers the outcome. A failed write only makes them wait for the lease to end, so it is swallowed. */
  async #finish(pk: Record<string, AttributeValue>, holder: string, state: string): Promise<void> {
    const until = this.#now() + FINISHED_LINGER_MS;
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: pk,
          UpdateExpression: 'SET #state = :state, #until = :until, #ttl = :ttl',
          ConditionExpression: 'holder = :me',
          ExpressionAttributeNames: { '#state': 'state', '#until': 'until', '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':state': { S: state },
            ':until': { N: String(until) },
            ':ttl': { N: String(expiresAt(until)) },
            ':me': { S: holder },
          },
        }),
      );
    } catch {
      // The followers take over when the lease ends.
    }
  }

  async #abandon(pk: Record<string, AttributeValue>, holder: string): Promise<void> {
    try {
      await this.#client.send(
        new DeleteItemCommand({
          TableName: this.#tableName,
          Key: pk,
          ConditionExpression: 'holder = :me',
          ExpressionAttributeValues: { ':me': { S: holder } },
        }),
      );
    } catch {
      // The followers take over when the lease ends.
    }
  }

  /** Polls the lease until the leader is done, found nothing, or is gone; throws at the deadline. */
  async #awaitLeader(pk: Record<string, AttributeValue>, deadline: number): Promise<LeaderOutcome> {
    for (;;) {
      this.usage.leaseReads += 1;
      const { Item: item } = await this.#client.send(
        new GetItemCommand({
          TableName: this.#tableName,
          Key: pk,
          ConsistentRead: true,
          ProjectionExpression: '#state, #until',
          ExpressionAttributeNames: { '#state': 'state', '#until': 'until' },
        }),
      );
      const now = this.#now();
      if (item === undefined || Number(item.until?.N ?? 0) < now) return 'gone';
      const state = item.state?.S;
      if (state === LEASE_STATES.done) return 'done';
      if (state === LEASE_STATES.notFound) return 'notFound';
      if (now + this.#pollMs >= deadline) {
        throw new UpstreamTimeoutError(
          'A concurrent call for the same requestId was still waiting for Fingerprint at the deadline.',
        );
      }
      await this.#sleep(this.#pollMs);
    }
  }
}

/**
 * The lease item's key: a hash, so that the item (which DynamoDB's TTL may keep for days) holds no identifier
 * of an event or a visitor.
 */
export function leaseKey(key: string): string {
  return `${LEASE_KEY_PREFIX}${createHash('sha256').update(key).digest('base64url').slice(0, 32)}`;
}

function expiresAt(ms: number): number {
  return Math.ceil(ms / 1000) + ITEM_TTL_SECONDS;
}
