/**
 * The time window of a Server API search, as the emulator reads it from the documents: v4 `GET /v4/events` and
 * v3 `GET /events/search` cover the last 7 days unless `start` is given, and the default end is now.
 */
export const DEFAULT_SEARCH_MS = 7 * 86_400_000;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * A search's time window as a predicate, or the parameter that is invalid. Bounds are exclusive, as the
 * documents word them; the default end, "now", includes an event of this very millisecond.
 */
export function readSearchWindow(
  params: URLSearchParams,
  version: 'v3' | 'v4',
  now: number,
): ((event: { timestamp: number }) => boolean) | 'start' | 'end' {
  const start = readInstant(params.get('start'), version);
  if (start === null) return 'start';
  const end = readInstant(params.get('end'), version);
  if (end === null) return 'end';
  const after = start ?? now - DEFAULT_SEARCH_MS;
  return (event) =>
    event.timestamp > after && (end === undefined ? event.timestamp <= now : event.timestamp < end);
}

/** Unix ms in both versions, or an RFC3339 date-time in v4; `undefined` when absent, `null` when invalid. */
function readInstant(value: string | null, version: 'v3' | 'v4'): number | undefined | null {
  if (value === null) return undefined;
  if (/^\d{1,16}$/.test(value)) return Number(value);
  if (version === 'v3' || !RFC3339.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}
