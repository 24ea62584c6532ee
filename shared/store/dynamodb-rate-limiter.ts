/**
 * The fleet-wide budget of Fingerprint Server API calls, kept in the event table so that every Lambda instance
 * (and the local server) shares it without a new service. Design and proof: docs/adr/0008-fleet-upstream-budget.md.
 *
 * The budget is `maxRps` seats. A seat is one item (`limiter#<budget>#<n>`) holding who has it and from when it
 * is free again. An attempt reserves a seat with a conditional `PutItem` that names the holder it read, so two
 * callers cannot both take it; starts no earlier than the seat's `freeAt`; and, when its answer begins to arrive
 * (or it fails), releases the seat with `freeAt = answer + 1 s + margin`. Fingerprint sees a request somewhere
 * between its start and its answer, so the arrivals of one seat are more than a second apart, and no second at
 * Fingerprint holds more than `maxRps` of them, however long anything took and whoever sent it.
 *
 * When no seat is free now, a released seat is reserved ahead of its `freeAt` (the waiter then sleeps until it),
 * so the cost of the DynamoDB round trips stays off the seat's cycle: a seat is busy `1 s + margin + latency` per
 * call, which is what keeps the fleet close to the limit under saturation. Seats free now always go first.
 *
 * How far ahead is the instance's `reserveAheadMs`: HTTP callers reserve as far ahead as their wait allows, queue
 * consumers only a short horizon before `freeAt`, so a released seat is the interactive callers' for most of its
 * second and the queue (which can wait, and redelivers) takes what they leave.
 *
 * Which seats to try is chosen by `seat-choice.ts`; this module reads, reserves and releases them and serves the
 * waiters.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { RateSlot, UpstreamLimiter } from '../fingerprint/rate-limiter.js';
import { EVENT_TABLE_SCHEMA, LIMITER_KEY_PREFIX, TTL_ATTRIBUTE } from './schema.js';
import { knownCandidates, type SeatView, sample, unknownSeats } from './seat-choice.js';

/** Every limiter item's key starts with this; the event store refuses events keyed so. */
export { LIMITER_KEY_PREFIX };

/** Fingerprint counts requests per second. */
const WINDOW_MS = 1_000;
/**
 * Added to every seat's second: `Date.now` ticks in whole milliseconds, NTP slews a clock by at most 0.5 ms a
 * second, and two hosts' clocks (Amazon Time Sync) differ by about a millisecond. 10 ms covers all three with
 * room to spare and costs about 1 % of the throughput.
 */
export const DEFAULT_MARGIN_MS = 10;
/**
 * How long a reservation holds its seat if it is never released (its instance died): longer than an attempt
 * (5 s by default) plus a second. The client ends an attempt by `answerBy`, so the lease always covers it.
 */
export const DEFAULT_LEASE_MS = 7_000;
/** How often a waiting instance reads the seats again. A released seat stays ahead for about a second. */
export const DEFAULT_POLL_MS = 200;
/** Seats read per poll: all of them up to this many, else a random sample of this many. */
export const DEFAULT_SAMPLE_SIZE = 16;
/** Limiter items stay this long after they are free, then DynamoDB's TTL removes them. */
const ITEM_TTL_SECONDS = 3_600;
/** `BatchGetItem` reads at most 100 keys per call. */
const BATCH_GET_SIZE = 100;

const PK = EVENT_TABLE_SCHEMA.partitionKey.name;

export interface DynamoDbRateLimiterOptions {
  client: DynamoDBClient;
  tableName: string;
  /** `FINGERPRINT_MAX_RPS`: the number of seats, shared by every instance that names the same budget. */
  maxRps: number;
  /** Which budget: one per upstream account. @default 'fingerprint' */
  budget?: string;
  /**
   * Longest a `take` waits for a seat before refusing, on top of the deadline: about a second for an HTTP
   * caller, so that no function idles on a busy budget. @default Infinity (until the deadline)
   */
  maxWaitMs?: number;
  /**
   * How long before a released seat's `freeAt` this instance may reserve it. Short for queue consumers (enough to
   * keep the read and the reservation off the seat's cycle), so that an HTTP caller waiting meanwhile sees the
   * seat and takes it first; it changes who gets a seat, never how many arrivals a second holds.
   * @default Infinity (as far ahead as the caller's wait allows)
   */
  reserveAheadMs?: number;
  /** @default {@link DEFAULT_LEASE_MS} */
  leaseMs?: number;
  /** @default {@link DEFAULT_MARGIN_MS} */
  marginMs?: number;
  /** @default {@link DEFAULT_POLL_MS} */
  pollMs?: number;
  /** @default {@link DEFAULT_SAMPLE_SIZE} */
  sampleSize?: number;
  /** Epoch ms. @default Date.now */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1): which seats to sample, how to spread polls. @default Math.random */
  random?: () => number;
}

interface Reservation {
  seat: number;
  holder: string;
  notBefore: number;
  leaseEnd: number;
}

interface Waiter {
  giveUpAt: number;
  resolve: (reservation: Reservation | undefined) => void;
  reject: (error: unknown) => void;
}

/** Counters of the DynamoDB calls made, for the measurements in docs/reliability.md. */
export interface LimiterUsage {
  reads: number;
  itemsRead: number;
  reservations: number;
  /** Conditional writes that lost a race for a seat (each still costs a write unit). */
  lostRaces: number;
  releases: number;
}

/**
 * A {@link UpstreamLimiter} whose seats live in the event table: one instance per process, shared by every
 * call through it. Within a process one loop reads and reserves seats for all waiters, so the reads scale with
 * the number of instances, not of callers.
 */
export class DynamoDbRateLimiter implements UpstreamLimiter {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #seats: number;
  readonly #budget: string;
  readonly #maxWaitMs: number;
  readonly #reserveAheadMs: number;
  readonly #leaseMs: number;
  readonly #marginMs: number;
  readonly #pollMs: number;
  readonly #sampleSize: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  #waiters: Waiter[] = [];
  #pumping = false;
  /** The seats as this instance last knew them. */
  readonly #views = new Map<number, SeatView>();
  #mustRead = true;
  /** The earliest `freeAt` of a released seat in the last read, for `waitMs`. */
  #nextFreeAt: number | undefined;
  readonly #releases = new Set<Promise<void>>();
  readonly usage: LimiterUsage = { reads: 0, itemsRead: 0, reservations: 0, lostRaces: 0, releases: 0 };

  constructor(options: DynamoDbRateLimiterOptions) {
    const { maxRps } = options;
    if (!Number.isInteger(maxRps) || maxRps < 1) {
      throw new RangeError(`maxRps must be a whole number of at least 1, got ${maxRps}`);
    }
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#seats = maxRps;
    this.#budget = options.budget ?? 'fingerprint';
    this.#maxWaitMs = options.maxWaitMs ?? Number.POSITIVE_INFINITY;
    this.#reserveAheadMs = options.reserveAheadMs ?? Number.POSITIVE_INFINITY;
    if (!(this.#reserveAheadMs >= 0)) {
      throw new RangeError(`reserveAheadMs must be 0 or more, got ${options.reserveAheadMs}`);
    }
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#marginMs = options.marginMs ?? DEFAULT_MARGIN_MS;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.#sampleSize = options.sampleSize ?? DEFAULT_SAMPLE_SIZE;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => delay(ms));
    this.#random = options.random ?? Math.random;
    if (!(this.#leaseMs > WINDOW_MS + this.#marginMs)) {
      throw new RangeError(
        `leaseMs must be more than ${WINDOW_MS + this.#marginMs} ms, got ${this.#leaseMs}`,
      );
    }
  }

  async take(deadline: number): Promise<RateSlot | undefined> {
    const now = this.#now();
    const giveUpAt = Math.min(deadline, now + this.#maxWaitMs);
    if (giveUpAt <= now) return undefined;
    const reservation = await new Promise<Reservation | undefined>((resolve, reject) => {
      this.#waiters.push({ giveUpAt, resolve, reject });
      this.#pump();
    });
    if (reservation === undefined) return undefined;
    const wait = reservation.notBefore - this.#now();
    if (wait > 0) await this.#sleep(wait);
    return this.#slot(reservation);
  }

  waitMs(): number {
    const now = this.#now();
    const nextFree = Math.max(0, (this.#nextFreeAt ?? now + WINDOW_MS) - now);
    return nextFree + Math.floor(this.#waiters.length / this.#seats) * WINDOW_MS;
  }

  /** Resolves once every release written so far has reached the table (tests and benchmarks). */
  async settled(): Promise<void> {
    await Promise.all([...this.#releases]);
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    this.#run()
      .catch((error: unknown) => {
        // DynamoDB failed (throttled, unreachable): the waiters fail with its error rather than wait blind.
        for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
      })
      .finally(() => {
        this.#pumping = false;
        if (this.#waiters.length > 0) this.#pump();
      });
  }

  async #run(): Promise<void> {
    for (;;) {
      this.#dropExpired();
      if (this.#waiters.length === 0) return;
      // What this instance already knows (its own reservations and releases, the last read) is enough to try
      // a seat that is free now: a stale view only makes the conditional write fail. Otherwise read: another
      // seat may be free sooner than the ones known, or free now.
      const now = this.#now();
      let candidates = this.#mustRead ? [] : knownCandidates(this.#views, now, this.#random);
      if (!this.#mustRead && (candidates[0]?.at ?? Number.POSITIVE_INFINITY) > now) {
        // Many seats, few of them known: try seats never seen here without reading them first.
        candidates = unknownSeats(this.#views, this.#seats, now, this.#random).concat(candidates);
      }
      if (candidates.length === 0 || (candidates[0]?.at ?? now) > now) {
        await this.#readSeats();
        this.#mustRead = false;
        candidates = knownCandidates(this.#views, this.#now(), this.#random);
      }
      this.#nextFreeAt = candidates[0]?.at;
      // Seats free now go first, alone: a waiter given a seat that frees later sleeps until then (up to a second),
      // though with many seats another may be free now. The later ones are tried in the next round, at once
      // when this one won every seat it tried, with more unseen seats beside them.
      const current = this.#now();
      if ((candidates[0]?.at ?? Number.POSITIVE_INFINITY) <= current) {
        candidates = candidates.filter((candidate) => candidate.at <= current);
      }
      // Seats that free beyond this instance's horizon are left to callers that may reserve further ahead (HTTP):
      // this instance polls again, and takes such a seat once it is within the horizon, if it is still free.
      const horizon = current + this.#reserveAheadMs;
      const beyond = candidates.find((candidate) => candidate.at > horizon);
      candidates = candidates.filter((candidate) => candidate.at <= horizon);

      const assigned = new Set<Waiter>();
      const attempts: Array<Promise<boolean>> = [];
      for (const candidate of candidates) {
        const waiter = this.#waiters.find((w) => !assigned.has(w) && w.giveUpAt >= candidate.at);
        if (waiter === undefined) continue;
        assigned.add(waiter);
        attempts.push(
          this.#reserve(candidate.view, candidate.at).then((reservation) => {
            if (reservation === undefined) return false;
            this.#waiters = this.#waiters.filter((w) => w !== waiter);
            waiter.resolve(reservation);
            return true;
          }),
        );
      }
      const results = await Promise.all(attempts);
      const allWon = results.length > 0 && results.every(Boolean);
      // Every reservation succeeded: more seats may be free. Otherwise (none free, or lost races) read again
      // after a poll, spread at random so that instances do not read and race in step.
      if (!allWon && this.#waiters.length > 0) {
        this.#mustRead = true;
        const earliestGiveUp = Math.min(...this.#waiters.map((w) => w.giveUpAt));
        const pause = this.#pollMs * (0.5 + this.#random() / 2);
        // A seat beyond the horizon is read again when it comes within it: at a random point of the horizon's
        // first half, so that instances waiting for the same seat do not all read and race for it at once, and
        // the last of them still has half the horizon for its round trips. Not before, when this instance knows
        // every seat: any seat released since frees later (half the reads under saturation, bench:budget).
        // With more seats than it reads at once, a seat it has not seen may free sooner: it polls meanwhile.
        const untilWithin =
          beyond === undefined
            ? pause
            : beyond.at - this.#now() - this.#reserveAheadMs * (1 - this.#random() / 2);
        const wait = this.#views.size >= this.#seats ? untilWithin : Math.min(pause, untilWithin);
        await this.#sleep(Math.max(1, Math.min(wait, earliestGiveUp - this.#now())));
      }
    }
  }

  #dropExpired(): void {
    const now = this.#now();
    const expired = this.#waiters.filter((w) => w.giveUpAt <= now);
    if (expired.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.giveUpAt > now);
    for (const waiter of expired) waiter.resolve(undefined);
  }

  #key(seat: number): Record<string, AttributeValue> {
    return { [PK]: { S: `${LIMITER_KEY_PREFIX}${this.#budget}#${seat}` } };
  }

  /** Reads the seats (or a sample of them) into this instance's views. */
  async #readSeats(): Promise<void> {
    const wanted = sample(this.#seats, this.#sampleSize, this.#random);
    for (let start = 0; start < wanted.length; start += BATCH_GET_SIZE) {
      const batch = wanted.slice(start, start + BATCH_GET_SIZE);
      this.usage.reads += 1;
      const output = await this.#client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [this.#tableName]: {
              Keys: batch.map((seat) => this.#key(seat)),
              ConsistentRead: true,
              ProjectionExpression: '#pk, holder, freeAt, released',
              ExpressionAttributeNames: { '#pk': PK },
            },
          },
        }),
      );
      // A seat without an item has never been used (or expired long ago): free.
      const absent = new Set(batch);
      for (const item of output.Responses?.[this.#tableName] ?? []) {
        this.usage.itemsRead += 1;
        const seat = this.#seatOf(item);
        absent.delete(seat);
        this.#views.set(seat, {
          seat,
          holder: item.holder?.S,
          freeAt: Number(item.freeAt?.N ?? 0),
          released: item.released?.BOOL ?? true,
        });
      }
      // Keys DynamoDB did not get to are unknown this round, not free.
      for (const key of output.UnprocessedKeys?.[this.#tableName]?.Keys ?? []) {
        const seat = this.#seatOf(key);
        absent.delete(seat);
        this.#views.delete(seat);
      }
      for (const seat of absent)
        this.#views.set(seat, { seat, holder: undefined, freeAt: 0, released: true });
    }
  }

  #seatOf(item: Record<string, AttributeValue>): number {
    const key = item[PK]?.S ?? '';
    return Number(key.slice(key.lastIndexOf('#') + 1));
  }

  /**
   * Takes the seat if it still has the holder we read (a conditional write), with a lease that frees it even
   * if this instance never releases it. `undefined` when another caller took it first.
   */
  async #reserve(view: SeatView, notBefore: number): Promise<Reservation | undefined> {
    const holder = randomUUID();
    const leaseEnd = notBefore + this.#leaseMs;
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: {
            ...this.#key(view.seat),
            holder: { S: holder },
            freeAt: { N: String(leaseEnd) },
            released: { BOOL: false },
            [TTL_ATTRIBUTE]: { N: String(this.#expiresAt(leaseEnd)) },
          },
          ...(view.blind === true
            ? {
                ConditionExpression: 'attribute_not_exists(#pk) OR freeAt <= :now',
                ExpressionAttributeNames: { '#pk': PK },
                ExpressionAttributeValues: { ':now': { N: String(notBefore) } },
              }
            : view.holder === undefined
              ? {
                  ConditionExpression: 'attribute_not_exists(#pk)',
                  ExpressionAttributeNames: { '#pk': PK },
                }
              : {
                  ConditionExpression: 'holder = :seen',
                  ExpressionAttributeValues: { ':seen': { S: view.holder } },
                }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        this.usage.lostRaces += 1;
        this.#views.delete(view.seat);
        this.#mustRead = true;
        return undefined;
      }
      throw error;
    }
    this.usage.reservations += 1;
    this.#views.set(view.seat, { seat: view.seat, holder, freeAt: leaseEnd, released: false });
    return { seat: view.seat, holder, notBefore, leaseEnd };
  }

  #slot(reservation: Reservation): RateSlot {
    let released = false;
    return {
      answerBy: reservation.leaseEnd - WINDOW_MS - this.#marginMs,
      release: () => {
        if (released) return;
        released = true;
        const freeAt = this.#now() + WINDOW_MS + this.#marginMs;
        const write = this.#release(reservation, freeAt).finally(() => this.#releases.delete(write));
        this.#releases.add(write);
      },
    };
  }

  /**
   * Frees the seat from `freeAt` on, if it is still ours. A failed write is not an error for the caller: the
   * seat stays held until its lease ends, which only costs throughput.
   */
  async #release(reservation: Reservation, freeAt: number): Promise<void> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: this.#key(reservation.seat),
          UpdateExpression: 'SET freeAt = :freeAt, released = :true, #ttl = :ttl',
          ConditionExpression: 'holder = :me',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':freeAt': { N: String(freeAt) },
            ':true': { BOOL: true },
            ':ttl': { N: String(this.#expiresAt(freeAt)) },
            ':me': { S: reservation.holder },
          },
        }),
      );
      this.usage.releases += 1;
      if (this.#views.get(reservation.seat)?.holder === reservation.holder) {
        this.#views.set(reservation.seat, { ...reservation, freeAt, released: true });
      }
    } catch {
      // Held until the lease ends: safe, only slower.
    }
  }

  #expiresAt(freeAtMs: number): number {
    return Math.ceil(freeAtMs / 1000) + ITEM_TTL_SECONDS;
  }
}
