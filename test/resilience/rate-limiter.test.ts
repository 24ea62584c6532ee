/**
 * The fleet-wide rate limit, in virtual time: several consumer instances, each with its own limiter at its
 * share of FINGERPRINT_MAX_RPS, under a busy event loop that wakes sleepers late, sending requests that travel
 * for any time and arrive anywhere between their start and their answer. Whatever the limit, the number of
 * instances, the lateness and the latencies, no one-second window at Fingerprint holds more than the limit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpacingRateLimiter } from '../../shared/fingerprint/rate-limiter.js';
import { busiestWindow } from '../support/figures.js';
import { startAndFinish } from '../support/limiter.js';

const SEED = 6_001;
const RUNS = 150;

/** A clock and a sleep that only move when the test says so, with sleepers woken late on demand. */
class VirtualTime {
  now = 0;
  #timers: Array<{ at: number; order: number; wake: () => void }> = [];
  #order = 0;

  constructor(private readonly lateness: () => number) {}

  readonly clock = (): number => this.now;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise((wake) => {
      this.#order += 1;
      this.#timers.push({ at: this.now + ms + this.lateness(), order: this.#order, wake });
    });

  /** Runs until every sleeper has woken and nothing sleeps any more. */
  async runToEnd(): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      this.#timers.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.#timers.shift();
      if (next === undefined) return;
      this.now = Math.max(this.now, next.at);
      next.wake();
    }
  }
}

describe('the fleet-wide rate limit in virtual time', () => {
  it('never lets more than FINGERPRINT_MAX_RPS requests arrive in any second, however long they travel', async () => {
    const scenario = fc.record({
      maxRps: fc.integer({ min: 2, max: 40 }),
      consumers: fc.integer({ min: 1, max: 8 }),
      callersPerConsumer: fc.integer({ min: 1, max: 10 }),
      attemptsPerCaller: fc.integer({ min: 1, max: 8 }),
      /** How late each sleeper wakes: a busy event loop, a frozen and thawed Lambda. */
      lateness: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 400 })), {
        minLength: 1,
        maxLength: 50,
      }),
      /** How long each attempt takes from its start to its answer, and where in between its request arrives. */
      latency: fc.array(fc.integer({ min: 0, max: 1_500 }), { minLength: 1, maxLength: 50 }),
      arrivesAt: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 50 }),
    });

    await fc.assert(
      fc.asyncProperty(scenario, async (run) => {
        const { maxRps, consumers, callersPerConsumer, attemptsPerCaller, lateness, latency, arrivesAt } =
          run;
        fc.pre(consumers <= maxRps);
        let turn = 0;
        const time = new VirtualTime(() => lateness[turn++ % lateness.length] ?? 0);
        let attempts = 0;
        const starts: number[] = [];
        const arrivals: number[] = [];
        const callers: Array<Promise<void>> = [];
        for (let consumer = 0; consumer < consumers; consumer += 1) {
          // What functions/enrich/queue.ts gives each instance: an equal share, fractional or not.
          const limiter = new SpacingRateLimiter({
            maxRps: maxRps / consumers,
            now: time.clock,
            sleep: time.sleep,
          });
          for (let caller = 0; caller < callersPerConsumer; caller += 1) {
            callers.push(
              (async () => {
                for (let made = 0; made < attemptsPerCaller; made += 1) {
                  const slot = await limiter.take(Number.POSITIVE_INFINITY);
                  if (slot === undefined) throw new Error('no slot without a deadline');
                  const start = time.now;
                  const attempt = attempts++;
                  starts.push(start);
                  await time.sleep(latency[attempt % latency.length] ?? 0);
                  arrivals.push(start + (time.now - start) * (arrivesAt[attempt % arrivesAt.length] ?? 0));
                  slot.release();
                }
              })(),
            );
          }
        }
        await time.runToEnd();
        await Promise.all(callers);

        expect(arrivals).toHaveLength(consumers * callersPerConsumer * attemptsPerCaller);
        expect(busiestWindow(arrivals, 1_000)).toBeLessThanOrEqual(maxRps);
        expect(busiestWindow(starts, 1_000)).toBeLessThanOrEqual(maxRps);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('rounds a fractional share down: 2.5/s is 2 starts in any second, not 3', async () => {
    const time = new VirtualTime(() => 0);
    const limiter = new SpacingRateLimiter({ maxRps: 2.5, now: time.clock, sleep: time.sleep });
    const starts: number[] = [];
    const run = Promise.all(
      Array.from({ length: 9 }, async () => {
        if (await startAndFinish(limiter, Number.POSITIVE_INFINITY)) starts.push(time.now);
      }),
    );
    await time.runToEnd();
    await run;

    expect(busiestWindow(starts, 1_000)).toBe(2);
  });

  it('keeps a slot that wakes late from bunching up with the ones after it', async () => {
    // The first sleeper wakes 700 ms late; without the log of real starts, it and the next two would start
    // within the same second.
    const delays = [700, 0, 0, 0, 0, 0];
    let turn = 0;
    const time = new VirtualTime(() => delays[turn++] ?? 0);
    const limiter = new SpacingRateLimiter({ maxRps: 2, now: time.clock, sleep: time.sleep });
    const starts: number[] = [];
    await startAndFinish(limiter, Number.POSITIVE_INFINITY);
    starts.push(time.now);
    const run = Promise.all(
      Array.from({ length: 4 }, async () => {
        if (await startAndFinish(limiter, Number.POSITIVE_INFINITY)) starts.push(time.now);
      }),
    );
    await time.runToEnd();
    await run;

    expect(starts).toHaveLength(5);
    expect(busiestWindow(starts, 1_000)).toBeLessThanOrEqual(2);
  });
});
