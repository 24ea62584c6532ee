/**
 * Who gets a seat of the fleet's budget (ADR 0008, "Interactive callers first"): real limiter instances on one
 * dynalite table, a queue consumer's (it reserves a released seat only within `reserveAheadMs` of its `freeAt`)
 * and HTTP callers' (as far ahead as their wait allows). The clock is the test's: it stands still unless the test
 * moves it, so which instance may take a seat depends on the horizon alone, never on how fast this machine is.
 * Sleeps are short real pauses, so that the instances' loops keep polling dynalite while the clock stands.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_BUDGET_WAIT_MS, QUEUE_RESERVE_AHEAD_MS } from '../../functions/enrich/deps.js';
import { type DynaliteHandle, startDynalite } from '../../local/harness/dynalite.js';
import type { RateSlot } from '../../shared/fingerprint/rate-limiter.js';
import {
  DEFAULT_LEASE_MS,
  DEFAULT_MARGIN_MS,
  DynamoDbRateLimiter,
  type DynamoDbRateLimiterOptions,
} from '../../shared/store/dynamodb-rate-limiter.js';

/** A released seat frees this long after its release (the second plus the margin). */
const SEAT_SECOND_MS = 1_000 + DEFAULT_MARGIN_MS;
const LONG_TEST_MS = 60_000;

describe('priority for interactive callers in the fleet budget', () => {
  let dynamo: DynaliteHandle;
  let tableName: string;
  let budget = 0;

  beforeAll(async () => {
    dynamo = await startDynalite();
    tableName = await dynamo.createTable();
  });
  afterAll(async () => {
    await dynamo.close();
  });

  /** One budget of one seat per test, and a clock that only the test moves. */
  function setUp() {
    budget += 1;
    const clock = { now: Date.now() };
    const limiter = (options: Partial<DynamoDbRateLimiterOptions> = {}) =>
      new DynamoDbRateLimiter({
        client: dynamo.client,
        tableName,
        maxRps: 1,
        budget: `priority-${budget}`,
        now: () => clock.now,
        sleep: (ms) => delay(Math.min(ms, 10)),
        ...options,
      });
    return { clock, limiter };
  }

  /** Resolves once `predicate` holds, checking between short real pauses (the test's timeout bounds it). */
  async function until(predicate: () => boolean): Promise<void> {
    while (!predicate()) await delay(5);
  }

  /** Takes the seat with `holder` and releases it at once: when it was released. */
  async function releasedSeat(holder: DynamoDbRateLimiter, clock: { now: number }): Promise<number> {
    const held = await holder.take(clock.now + LONG_TEST_MS);
    expect(held).toBeDefined();
    const releasedAt = clock.now;
    held?.release();
    await holder.settled();
    return releasedAt;
  }

  /** A take whose outcome the test can look at before it settles. */
  function pending(take: Promise<RateSlot | undefined>) {
    const state: { settled: boolean; slot: RateSlot | undefined } = { settled: false, slot: undefined };
    const done = take.then((slot) => {
      state.settled = true;
      state.slot = slot;
      return slot;
    });
    return { state, done };
  }

  /** When the attempt on a slot may start: its lease began then (`answerBy` is the lease end less a second). */
  const startOf = (slot: RateSlot) => (slot.answerBy ?? Number.NaN) - (DEFAULT_LEASE_MS - SEAT_SECOND_MS);

  it(
    'gives a released seat to an HTTP caller before a queue consumer that has waited longer',
    async () => {
      const { clock, limiter } = setUp();
      const holder = limiter({ maxWaitMs: HTTP_BUDGET_WAIT_MS });
      const consumer = limiter({ reserveAheadMs: QUEUE_RESERVE_AHEAD_MS });
      const http = limiter({ maxWaitMs: HTTP_BUDGET_WAIT_MS });

      const held = await holder.take(clock.now + LONG_TEST_MS);
      expect(held).toBeDefined();
      // The consumer waits first, while the only seat is in flight.
      const queued = pending(consumer.take(clock.now + LONG_TEST_MS));
      await until(() => consumer.usage.reads >= 2);

      const releasedAt = clock.now;
      held?.release();
      await holder.settled();
      // Half the seat's second later, an HTTP caller comes: the consumer has seen the released seat all along.
      clock.now = releasedAt + 500;
      const readsAtRelease = consumer.usage.reads;
      await until(() => queued.state.settled || consumer.usage.reads >= readsAtRelease + 2);
      expect(queued.state.settled).toBe(false);
      const slot = await http.take(clock.now + LONG_TEST_MS);
      const readsAtHttp = consumer.usage.reads;
      await until(() => queued.state.settled || consumer.usage.reads >= readsAtHttp + 2);

      expect(slot).toBeDefined();
      expect(startOf(slot as RateSlot)).toBe(releasedAt + SEAT_SECOND_MS);
      expect(http.usage.reservations).toBe(1);
      expect(consumer.usage.reservations).toBe(0);
      expect(consumer.usage.lostRaces).toBe(0);
      expect(queued.state.settled).toBe(false);

      // The queue takes what the HTTP callers leave: the seat again, once its next free time is within the horizon.
      const httpReleasedAt = clock.now;
      slot?.release();
      await http.settled();
      clock.now = httpReleasedAt + SEAT_SECOND_MS - QUEUE_RESERVE_AHEAD_MS;
      const consumed = await queued.done;
      expect(consumed).toBeDefined();
      expect(startOf(consumed as RateSlot)).toBe(httpReleasedAt + SEAT_SECOND_MS);
      expect(consumer.usage.reservations).toBe(1);
    },
    LONG_TEST_MS,
  );

  it(
    'lets a queue consumer reserve a released seat no earlier than its horizon before the seat frees',
    async () => {
      const { clock, limiter } = setUp();
      const holder = limiter();
      const consumer = limiter({ reserveAheadMs: QUEUE_RESERVE_AHEAD_MS });

      const freeAt = (await releasedSeat(holder, clock)) + SEAT_SECOND_MS;

      // A millisecond beyond the horizon: the consumer reads the seat again and again, and leaves it.
      clock.now = freeAt - QUEUE_RESERVE_AHEAD_MS - 1;
      const queued = pending(consumer.take(clock.now + LONG_TEST_MS));
      await until(() => queued.state.settled || consumer.usage.reads >= 4);
      expect(consumer.usage.reservations).toBe(0);
      expect(consumer.usage.lostRaces).toBe(0);
      expect(queued.state.settled).toBe(false);

      // Within the horizon: it takes the seat, for when the seat frees, not before.
      clock.now = freeAt - QUEUE_RESERVE_AHEAD_MS;
      const slot = await queued.done;
      expect(slot).toBeDefined();
      expect(startOf(slot as RateSlot)).toBe(freeAt);
      expect(consumer.usage.reservations).toBe(1);
    },
    LONG_TEST_MS,
  );

  it(
    'lets an HTTP caller (no horizon) reserve a released seat as far ahead as its wait allows',
    async () => {
      const { clock, limiter } = setUp();
      const holder = limiter();
      const http = limiter({ maxWaitMs: HTTP_BUDGET_WAIT_MS });

      const releasedAt = await releasedSeat(holder, clock);

      // 20 ms after the release, the seat frees 990 ms later: within the HTTP caller's second of waiting.
      clock.now = releasedAt + 20;
      const slot = await http.take(clock.now + LONG_TEST_MS);
      expect(slot).toBeDefined();
      expect(startOf(slot as RateSlot)).toBe(releasedAt + SEAT_SECOND_MS);
    },
    LONG_TEST_MS,
  );

  it('refuses a negative horizon', () => {
    const { limiter } = setUp();
    expect(() => limiter({ reserveAheadMs: -1 })).toThrow(/reserveAheadMs must be 0 or more, got -1/);
  });
});
