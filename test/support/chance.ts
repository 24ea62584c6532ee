/**
 * Seeded, order-independent randomness for fault plans. A fault is chosen by hashing the seed with what
 * identifies the attempt (e.g. a requestId and how many times it was asked for), not by drawing from one
 * shared generator: concurrent consumers interleave differently from run to run, and a shared stream would
 * hand the same faults to different requests each time. Hashing gives every attempt the same fate in every
 * run, so the figures a seed produces are reproducible.
 */
import { createHash } from 'node:crypto';

/** A number in [0, 1) determined by `seed` and `parts`. */
export function chance(seed: number, ...parts: ReadonlyArray<string | number>): number {
  const digest = createHash('sha256')
    .update(`${seed}\u0000${parts.join('\u0000')}`)
    .digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/** Picks a key of `weights` with probability proportional to its weight, using `unit` in [0, 1). */
export function pickWeighted<K extends string>(unit: number, weights: Readonly<Record<K, number>>): K {
  const entries = Object.entries(weights) as Array<[K, number]>;
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let threshold = unit * total;
  for (const [key, weight] of entries) {
    if (threshold < weight) return key;
    threshold -= weight;
  }
  const last = entries.at(-1);
  if (last === undefined) throw new RangeError('pickWeighted needs at least one weight');
  return last[0];
}

/** A small seeded generator (mulberry32) for building inputs in a fixed order. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Counts occurrences per key: `next(key)` answers 1, 2, 3, … for successive calls with the same key. */
export class Occurrences {
  readonly #counts = new Map<string, number>();

  next(key: string): number {
    const count = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, count);
    return count;
  }
}

/** Increments `counts[key]`. */
export function tally(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}
