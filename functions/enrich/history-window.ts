/**
 * The settings of a history's window, apart from the history code (history.ts) so that what reads them at init
 * (the enrich functions' deps, local/pools.ts) does not load it: a cached read, the enrich functions' most
 * common first call, needs none of it (docs/performance.md).
 */

export const DEFAULT_HISTORY_DAYS = 30;

/**
 * How far before the newest cached event an incremental refresh starts (ADR 0009). Fingerprint indexes an
 * event for search shortly after it happens, so an event can turn up in a search after a newer one has; ten
 * minutes covers that delay many times over and costs a re-read of a few events.
 */
export const HISTORY_OVERLAP_MS = 10 * 60_000;

/** A history never reaches past the events' TTL: older events would expire on arrival and not be stored. */
export function historyDaysFor(settings: { historyDays: number; eventTtlDays: number }): number {
  return Math.min(settings.historyDays, settings.eventTtlDays);
}
