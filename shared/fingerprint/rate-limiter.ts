/**
 * Client-side pacing of Server API attempts.
 *
 * Hand-written rather than taken from a library (bottleneck, p-limit, p-throttle): the client needs one thing,
 * "never start more than N attempts per second", plus two that libraries do not offer together: an injectable
 * clock and sleep (so tests run on virtual time) and a deadline (a slot that would start after the caller's
 * deadline is refused instead of queued). That is a few dozen lines, cheaper to own than a dependency.
 *
 * It spaces starts evenly (one every `1000 / maxRps` ms) instead of a token bucket with a burst: a bucket of N
 * tokens refilled at N/s lets almost 2N attempts start within one sliding second, which is exactly what
 * Fingerprint's per-second limit punishes.
 *
 * Spacing starts is not enough for the limit to hold where Fingerprint counts, on arrival:
 * - A second holds whole attempts, so a fractional rate is rounded down: 2.5/s allows 2 in any second. Two
 *   consumers at 2.5/s spaced 400 ms apart could each put 3 into the same second: 6 where 5 are allowed.
 * - Requests travel for different times (a fresh TLS connection, a busy event loop, a late timer), so two
 *   starts a second apart can arrive less than a second apart. A request arrives somewhere between its start
 *   and its answer, so each attempt holds its place from its start until its answer (or failure) plus a
 *   second: then no second at Fingerprint can hold more than the limit, however long anything took.
 */

/** An attempt's place in the limit, held until {@link RateSlot.release}. */
export interface RateSlot {
  /**
   * The request reached Fingerprint or never will: its answer began to arrive, or the attempt failed or was
   * abandoned. Only the first call counts.
   */
  release(): void;
  /**
   * Epoch ms by which the attempt must be over (answered or abandoned): the place is held for it only until
   * then. Absent when the place is held for as long as the attempt takes.
   */
  readonly answerBy?: number;
}

/**
 * What the Fingerprint client asks before every attempt: the in-process {@link SpacingRateLimiter}, or the
 * fleet-wide `DynamoDbRateLimiter` (`shared/store/dynamodb-rate-limiter.ts`).
 */
export interface UpstreamLimiter {
  /**
   * A place for one attempt, waited for; `undefined`, claiming nothing, when none is free before `deadline`
   * (or before the limiter's own bound on waiting).
   */
  take(deadline: number): Promise<RateSlot | undefined>;
  /** About how long, in ms from now, until a place is likely free: the `Retry-After` of a refusal. */
  waitMs(): number;
}

/** Fingerprint counts requests per second. */
const WINDOW_MS = 1_000;
/**
 * `Date.now` ticks in whole milliseconds, so an answer read at t may have come at t + 0.999; and the clock may be
 * slewed by NTP, by at most 0.5 ms a second. Two milliseconds cover both over one window. (It was 10 ms: every
 * millisecond here is a millisecond of each slot's cycle, about 0.1 % of the throughput.)
 */
const CLOCK_MARGIN_MS = 2;
/** While attempts in flight fill the window, a waiter looks again at least this often. */
const IN_FLIGHT_POLL_MS = 250;

export class SpacingRateLimiter implements UpstreamLimiter {
  /** Most attempts that may count in one window; `Infinity` when unlimited. */
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #nextSlot = Number.NEGATIVE_INFINITY;
  /** Attempts that may still count: in flight (no `end` yet), or over less than a window ago. */
  #recent: Array<{ end: number | undefined }> = [];
  #onRelease: Array<() => void> = [];

  /** `maxRps: Infinity` spaces nothing, for callers (and tests) that pace elsewhere. */
  constructor(options: { maxRps: number; now: () => number; sleep: (ms: number) => Promise<void> }) {
    const { maxRps } = options;
    if (!(maxRps > 0)) {
      throw new RangeError(`maxRps must be a positive number, got ${maxRps}`);
    }
    this.#limit = Number.isFinite(maxRps) ? Math.max(1, Math.floor(maxRps)) : Number.POSITIVE_INFINITY;
    // Below one per second, the window is the time one attempt takes up: 0.5/s is one attempt in any 2 s.
    this.#windowMs = Math.max(WINDOW_MS, WINDOW_MS / maxRps);
    this.#intervalMs = Number.isFinite(this.#limit) ? this.#windowMs / this.#limit : 0;
    this.#now = options.now;
    this.#sleep = options.sleep;
  }

  /**
   * Waits for the next free start slot and claims it; the slot is reserved synchronously, so concurrent callers
   * get distinct slots. The attempt holds its place until the returned slot is released, which the caller does
   * when the attempt is over. `undefined`, claiming nothing, when no slot is free before `deadline`.
   */
  async take(deadline: number): Promise<RateSlot | undefined> {
    const now = this.#now();
    const slot = Math.max(now, this.#nextSlot);
    if (slot >= deadline) return undefined;
    this.#nextSlot = slot + this.#intervalMs;
    if (slot > now) await this.#sleep(slot - now);
    if (!Number.isFinite(this.#limit)) return { release: () => undefined };
    const entry = await this.#claimRoom(deadline);
    if (entry === undefined) return undefined;
    return {
      release: () => {
        if (entry.end !== undefined) return;
        entry.end = this.#now();
        for (const wake of this.#onRelease.splice(0)) wake();
      },
    };
  }

  /** Milliseconds until the next free slot, from now. */
  waitMs(): number {
    return Math.max(0, this.#nextSlot - this.#now());
  }

  /**
   * Waits until fewer than `#limit` attempts may count in the current window and claims a place in it, in the
   * same synchronous step as the check so that concurrent waiters cannot both take the last place.
   * `undefined` at the deadline.
   */
  async #claimRoom(deadline: number): Promise<{ end: number | undefined } | undefined> {
    for (;;) {
      const now = this.#now();
      const freeAt = this.#freeAt(now);
      if (freeAt <= now) return this.#claim();
      if (freeAt >= deadline && Number.isFinite(freeAt)) return undefined;
      if (now >= deadline) return undefined;
      let released = false;
      const release = new Promise<void>((resolve) => {
        this.#onRelease.push(() => {
          released = true;
          resolve();
        });
      });
      await Promise.race([release, this.#sleep(Math.min(freeAt, deadline, now + IN_FLIGHT_POLL_MS) - now)]);
      // A clock that stands still across a sleep (virtual time moved only by its owner) would wait forever.
      if (!released && this.#now() <= now) return this.#claim();
    }
  }

  #claim(): { end: number | undefined } {
    const entry: { end: number | undefined } = { end: undefined };
    this.#recent.push(entry);
    return entry;
  }

  /** When the window has room for one more attempt: `Infinity` while attempts in flight fill it. */
  #freeAt(now: number): number {
    const horizon = now - this.#windowMs - CLOCK_MARGIN_MS;
    this.#recent = this.#recent.filter((entry) => entry.end === undefined || entry.end > horizon);
    if (this.#recent.length < this.#limit) return now;
    const ends = this.#recent.map((entry) => entry.end ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b);
    return (
      (ends[this.#recent.length - this.#limit] ?? Number.POSITIVE_INFINITY) + this.#windowMs + CLOCK_MARGIN_MS
    );
  }
}
