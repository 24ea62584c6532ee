/**
 * The Server API routes the product calls, in both versions (v4 under `/v4`, v3 at the root), with the
 * documented parameters, pagination and error answers: `GET /v4/events/{event_id}`, `GET /v4/events`,
 * `DELETE /v4/visitors/{visitor_id}`; v3 `GET /events/{request_id}`, `GET /events/search`,
 * `DELETE /visitors/{visitor_id}`. v3 `GET /visitors/{visitor_id}` is not served: Fingerprint removed it on
 * 2026-10-31 and the product never calls it (ADR 0009).
 */
// Fingerprint's documents type every id as a string; the emulator refuses what the product's own id rule does.
import { isId } from '../../shared/domain/ids.js';
import { PAGE_SIZES } from '../../shared/manifest/limits.js';
import { ERRORS } from './examples.js';
import { RETENTION_MS } from './generated-world.js';
import { readSearchWindow } from './search-window.js';
import {
  type EmulatorLookup,
  type EmulatorWorld,
  newestFirst,
  renderV3Event,
  renderV4Event,
} from './world.js';

export type ApiVersion = 'v3' | 'v4';

export interface Answer {
  status: number;
  /** JSON text; `undefined` for an answer with no content. */
  body: string | undefined;
  headers?: Record<string, string>;
}

/** A request, as the routes need it: its key already checked by the server. */
export interface RouteRequest {
  method: string;
  /** The path as sent, still URL-encoded. */
  path: string;
  params: URLSearchParams;
  version: ApiVersion;
}

const ok = (body: unknown): Answer => ({ status: 200, body: JSON.stringify(body) });
const fail = (status: number, body: string): Answer => ({ status, body });
/** Hand-made: no example exists of the answers to a method or a path the Server API does not have. */
const handMade = (status: number, version: ApiVersion, codes: [v4: string, v3: string], message: string) =>
  fail(status, JSON.stringify({ error: { code: version === 'v4' ? codes[0] : codes[1], message } }));

/** v4 `/events` pages as its document says, which the service's `GET /v4/events` shares. */
const V4_PAGE = { fallback: PAGE_SIZES.v4Search.default, max: PAGE_SIZES.v4Search.max } as const;
/** v3 `/events/search` requires `limit` and documents no maximum. */
const V3_SEARCH_PAGE = { fallback: undefined, max: Number.MAX_SAFE_INTEGER } as const;

export function route(world: EmulatorWorld, request: RouteRequest): Answer {
  const { path, version } = request;
  if (request.method === 'DELETE') return deleteVisitor(world, request);
  if (request.method !== 'GET') {
    return handMade(405, version, ['method_not_allowed', 'MethodNotAllowed'], 'only GET is supported');
  }
  if (path === '/v4/events') return v4Search(world, request.params);
  if (path === '/events/search') return v3Search(world, request.params);
  const event = (version === 'v4' ? /^\/v4\/events\/([^/]+)$/ : /^\/events\/([^/]+)$/).exec(path)?.[1];
  if (event !== undefined) {
    const requestId = decodeSegment(event);
    if (requestId === undefined) return fail(400, ERRORS[version].eventIdInvalid);
    return lookupAnswer(world.lookup(requestId), version);
  }
  return handMade(404, version, ['not_found', 'NotFound'], `no route ${path}`);
}

/**
 * `DELETE /v4/visitors/{visitor_id}` and v3 `DELETE /visitors/{visitor_id}`: 200 with no content ("scheduled
 * for deletion"), 404 for a visitor the world does not know.
 */
function deleteVisitor(world: EmulatorWorld, request: RouteRequest): Answer {
  const { version } = request;
  const visitor = (version === 'v4' ? /^\/v4\/visitors\/([^/]+)$/ : /^\/visitors\/([^/]+)$/).exec(
    request.path,
  )?.[1];
  if (visitor === undefined) {
    const route = version === 'v4' ? '/v4/visitors/{visitor_id}' : '/visitors/{visitor_id}';
    return handMade(
      405,
      version,
      ['method_not_allowed', 'MethodNotAllowed'],
      `DELETE is supported on ${route} only`,
    );
  }
  const visitorId = decodeSegment(visitor);
  if (visitorId === undefined || !isId(visitorId)) return fail(400, ERRORS[version].visitorIdInvalid);
  if (!world.deleteVisitor(visitorId)) return fail(404, ERRORS[version].visitorNotFound);
  return { status: 200, body: undefined };
}

/** A path segment, percent-decoded; undefined for malformed percent-encoding (a stray `%`), a 400 for the caller. */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function lookupAnswer(result: EmulatorLookup, version: ApiVersion): Answer {
  if (result.found) return ok(version === 'v4' ? renderV4Event(result.event) : renderV3Event(result.event));
  const notFound = (message: string) =>
    handMade(404, version, ['event_not_found', 'RequestNotFound'], message);
  switch (result.reason) {
    case 'unknown':
      return fail(404, ERRORS[version].eventNotFound);
    case 'malformed':
      return fail(400, ERRORS[version].eventIdInvalid);
    // Hand-made messages that tell a sandbox user how to pick a requestId it knows.
    case 'expired':
      return notFound(
        `the sandbox keeps ${RETENTION_MS / 86_400_000} days of events and this requestId is older; ` +
          `use one that starts with a recent ms timestamp, e.g. ${Date.now()}.Sandbx`,
      );
    case 'future':
      return notFound('this requestId starts with a timestamp in the future');
  }
}

/**
 * `GET /v4/events`: newest first, `limit` 1–100 (default 10), opaque `pagination_key`; the events "after"
 * `start` and "before" `end` (RFC3339 or unix ms), by default the last 7 days up to now.
 */
function v4Search(world: EmulatorWorld, params: URLSearchParams): Answer {
  const limit = parseLimit(params.get('limit'), V4_PAGE);
  if (limit === undefined) return fail(400, ERRORS.v4.limit);
  const window = readSearchWindow(params, 'v4', world.now());
  if (typeof window === 'string') return fail(400, ERRORS.v4[window]);
  const filter = readFilter(params);
  if (typeof filter === 'string') return fail(400, ERRORS.v4[filter]);
  if (filter.visitorId !== undefined && !world.hasVisitor(filter.visitorId)) {
    return fail(404, ERRORS.v4.visitorNotFound);
  }
  let events = world.search(filter).filter(window);
  const key = params.get('pagination_key');
  if (key !== null) {
    const after = decodeV4Key(key);
    if (after === undefined) return fail(400, ERRORS.v4.paginationKey);
    events = events.filter((event) => newestFirst(event, after) > 0);
  }
  const page = events.slice(0, limit);
  const last = page.at(-1);
  return ok({
    events: page.map(renderV4Event),
    ...(events.length > limit && last !== undefined && { pagination_key: encodeV4Key(last) }),
  });
}

/**
 * v3 `GET /events/search`: `limit` required; `pagination_key` is the timestamp of the last returned event and
 * the next page holds the events older than it. Events with a timestamp "greater than" `start` and "smaller
 * than" `end` (unix ms), by default the last 7 days up to now.
 */
function v3Search(world: EmulatorWorld, params: URLSearchParams): Answer {
  const limit = parseLimit(params.get('limit'), V3_SEARCH_PAGE);
  if (limit === undefined) return fail(400, ERRORS.v3.limit);
  const window = readSearchWindow(params, 'v3', world.now());
  if (typeof window === 'string') return fail(400, ERRORS.v3[window]);
  const filter = readFilter(params);
  if (typeof filter === 'string') return fail(400, ERRORS.v3[filter]);
  let events = world.search(filter).filter(window);
  const key = params.get('pagination_key');
  if (key !== null) {
    if (!/^\d{1,16}$/.test(key)) return fail(400, ERRORS.v3.paginationKey);
    events = events.filter((event) => event.timestamp < Number(key));
  }
  const page = events.slice(0, limit);
  const last = page.at(-1);
  return ok({
    events: page.map(renderV3Event),
    ...(events.length > limit && last !== undefined && { paginationKey: String(last.timestamp) }),
  });
}

/** The search filter, or the error of the parameter that is invalid. */
function readFilter(
  params: URLSearchParams,
): { visitorId?: string; linkedId?: string } | 'visitorIdInvalid' | 'linkedIdInvalid' {
  const visitorId = params.get('visitor_id');
  const linkedId = params.get('linked_id');
  if (visitorId !== null && !isId(visitorId)) return 'visitorIdInvalid';
  if (linkedId !== null && !isId(linkedId)) return 'linkedIdInvalid';
  return { ...(visitorId !== null && { visitorId }), ...(linkedId !== null && { linkedId }) };
}

function encodeV4Key(event: { timestamp: number; requestId: string }): string {
  return Buffer.from(JSON.stringify([event.timestamp, event.requestId])).toString('base64url');
}

function decodeV4Key(key: string): { timestamp: number; requestId: string } | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(key, 'base64url').toString('utf8'));
    if (!Array.isArray(decoded)) return undefined;
    const [timestamp, requestId] = decoded;
    return typeof timestamp === 'number' && typeof requestId === 'string'
      ? { timestamp, requestId }
      : undefined;
  } catch {
    return undefined;
  }
}

/** A whole number in 1..`max`; `fallback` when absent; `undefined` when invalid (or absent with no fallback). */
function parseLimit(
  value: string | null,
  page: { fallback: number | undefined; max: number },
): number | undefined {
  if (value === null) return page.fallback;
  if (!/^\d{1,16}$/.test(value)) return undefined;
  const limit = Number(value);
  return limit >= 1 && limit <= page.max ? limit : undefined;
}
