/** The structured JSON log lines in captured output; anything else printed is kept as `other`. */
export interface LogLine {
  level: string;
  message: string;
  [field: string]: unknown;
}

export function parseLogLines(text: string): { lines: LogLine[]; other: string[] } {
  const lines: LogLine[] = [];
  const other: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (
        typeof parsed === 'object' &&
        parsed !== null &&
        'level' in parsed &&
        'message' in parsed &&
        typeof parsed.level === 'string' &&
        typeof parsed.message === 'string'
      ) {
        lines.push(parsed as LogLine);
        continue;
      }
    } catch {
      // not JSON: kept below
    }
    other.push(line);
  }
  return { lines, other };
}

/** An IPv4 address, and a full (uncompressed) IPv6 address, as an event holds them. */
export const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/;
export const IPV6 = /\b[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){7}\b/i;

/** Where in a log line an event, or a part of one that identifies a person, shows; `undefined` if nowhere. */
export function personalDataIn(value: unknown, path = ''): string | undefined {
  if (Array.isArray(value)) {
    for (const [index, entry] of value.entries()) {
      const found = personalDataIn(entry, `${path}[${index}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if ('visitorId' in value && 'timestamp' in value) return `${path} (an event)`;
  for (const [key, entry] of Object.entries(value)) {
    // Only an object under these names is an event's part (a text `location` could be anything else).
    const isText = typeof entry === 'string';
    const isObject = typeof entry === 'object' && entry !== null;
    if (
      (['ip', 'ipAddress', 'ip_address', 'userAgent'].includes(key) && isText) ||
      (['ipLocation', 'location', 'browser'].includes(key) && isObject)
    ) {
      return `${path}.${key}`;
    }
    const found = personalDataIn(entry, `${path}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}
