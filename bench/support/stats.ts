/** Percentiles of a sample, in the sample's unit. */
export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * The `p`-th percentile (0–100) by the nearest-rank method: always a value that was measured, never an
 * interpolation between two.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('No samples');
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    min: percentile(sorted, 0),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: percentile(sorted, 100),
    mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
  };
}

/** `value / floor`, rounded for a table. */
export function ratio(value: number, floor: number): number {
  return Math.round((value / floor) * 1000) / 1000;
}

/** The most timestamps (ms) that fall in any window `[t, t + windowMs)`. */
export function maxInSlidingWindow(timestamps: readonly number[], windowMs: number): number {
  const sorted = [...timestamps].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start += 1;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

/** Fisher–Yates, so that no bundle is always measured first (or right after the same neighbour). */
export function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
