/**
 * Client-side pacing of Server API attempts.
 *
 * Hand-written rather than taken from a library (bottleneck, p-limit, p-throttle): the client needs one thing,
 * "never start more than N attempts per second", plus two that libraries do not offer together: an injectable
 * clock and sleep (so tests run on virtual time) and a deadline (a slot that would start after the caller's
 * deadline is refused instead of queued). That is a dozen lines, cheaper to own than a dependency.
 *
 * It spaces starts evenly (one every `1000 / maxRps` ms) instead of a token bucket with a burst: a bucket of N
 * tokens refilled at N/s lets almost 2N attempts start within one sliding second, which is exactly what
 * Fingerprint's per-second limit punishes.
 */
export class SpacingRateLimiter {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #nextSlot = Number.NEGATIVE_INFINITY;

  /** `maxRps: Infinity` spaces nothing, for callers (and tests) that pace elsewhere. */
  constructor(options: { maxRps: number; now: () => number; sleep: (ms: number) => Promise<void> }) {
    if (!(options.maxRps > 0)) {
      throw new RangeError(`maxRps must be a positive number, got ${options.maxRps}`);
    }
    this.#intervalMs = 1000 / options.maxRps;
    this.#now = options.now;
    this.#sleep = options.sleep;
  }

  /**
   * Waits for the next free start slot and claims it. Resolves `false`, claiming nothing, when that slot is at
   * or after `deadline`. The slot is reserved synchronously, so concurrent callers get distinct slots.
   */
  async acquire(deadline: number): Promise<boolean> {
    const now = this.#now();
    const slot = Math.max(now, this.#nextSlot);
    if (slot >= deadline) return false;
    this.#nextSlot = slot + this.#intervalMs;
    if (slot > now) await this.#sleep(slot - now);
    return true;
  }

  /** Milliseconds until the next free slot, from now. */
  waitMs(): number {
    return Math.max(0, this.#nextSlot - this.#now());
  }
}
