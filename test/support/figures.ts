/**
 * The figures a resilience or fuzz suite measured, written as JSON to `.data/reliability/<suite>.json`
 * (git-ignored) so that `docs/reliability.md` can be refreshed from a run. Nothing is printed: the suites
 * assert; the files are for the report.
 */
import { mkdirSync, writeFileSync } from 'node:fs';

const DIRECTORY = new URL('../../.data/reliability/', import.meta.url);

export function recordFigures(suite: string, figures: Record<string, unknown>): void {
  mkdirSync(DIRECTORY, { recursive: true });
  const file = new URL(`${suite}.json`, DIRECTORY);
  const sorted = JSON.stringify({ suite, at: new Date().toISOString(), ...figures }, sortKeys, 2);
  writeFileSync(file, `${sorted}\n`);
}

/** Counters are filled in whatever order concurrent work finished: sort them so that runs compare. */
function sortKeys(this: unknown, _key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)));
}

/** The largest number of `times` (ms, any order) that fall in one half-open window `[t, t + windowMs)`. */
export function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = 0;
  let end = 0;
  for (let start = 0; start < sorted.length; start += 1) {
    const from = sorted[start] ?? 0;
    while (end < sorted.length && (sorted[end] ?? 0) < from + windowMs) end += 1;
    busiest = Math.max(busiest, end - start);
  }
  return busiest;
}

/** `Map.groupBy` (Node 21+) for Node 20. */
export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}
