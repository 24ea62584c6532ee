/**
 * The sandbox Server API: a deterministic stand-in for Fingerprint on loopback, so `npm start` works with no
 * account and no network. It answers both API versions at once, v4 under `/v4` and v3 at the root, with the
 * documented routes, parameters, pagination and error shapes the product's client uses. Any non-empty key is
 * accepted, in the header of the version called.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
// Fingerprint's documents type every id as a string; the sandbox refuses what the product's own id rule does.
import { isId } from '../../shared/domain/ids.js';
import { FINGERPRINT_LINKED_ID_MAX_LENGTH, PAGE_SIZES } from '../../shared/manifest/limits.js';
import { renderV3Event, renderV3Visit, renderV4Event } from './render.js';
import { readSearchWindow } from './search-window.js';
import { type LookupResult, RETENTION_MS, SandboxWorld, type SearchFilter } from './world.js';

export interface SandboxUpstream {
  /** `http://127.0.0.1:<port>`: the Server API base URL (v4 routes add `/v4`). */
  url: string;
  world: SandboxWorld;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
}

/** Fingerprint's page sizes, which the service's routes of the same contracts share. */
const V4_PAGE = PAGE_SIZES.v4Search;
const V3_VISITS_PAGE = PAGE_SIZES.visitors;
const V3_SEARCH_PAGE = PAGE_SIZES.v3Search;
/** Fingerprint's answer to a linkedId over its limit, the id rule's bound. */
const LINKED_ID_TOO_LONG = `linked_id can't be greater than ${FINGERPRINT_LINKED_ID_MAX_LENGTH} characters long`;
/** Both versions' searches cover the last 7 days when `start` is absent (both documents say so). */

const ok = (body: unknown): Answer => ({ status: 200, body });
/** v4 and v3 `/events` errors: `{"error": {"code", "message"}}`. */
const failure = (status: number, code: string, message: string): Answer => ({
  status,
  body: { error: { code, message } },
});
/** v3 `/visitors` errors are plain: `{"error": "…"}`. */
const plainFailure = (status: number, message: string): Answer => ({ status, body: { error: message } });

/**
 * Starts the sandbox on 127.0.0.1 (an ephemeral port unless `port` is given).
 * @param options.world - the world to serve; one is created when absent.
 */
export async function startSandboxUpstream(
  options: { port?: number; world?: SandboxWorld } = {},
): Promise<SandboxUpstream> {
  const world = options.world ?? new SandboxWorld();
  const server = createServer((request, response) => {
    const answer = route(world, request);
    if (answer.body === undefined) {
      response.writeHead(answer.status);
      response.end();
      return;
    }
    response.writeHead(answer.status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(answer.body));
  });
  await listen(server, options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    world,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function route(world: SandboxWorld, request: IncomingMessage): Answer {
  const url = new URL(request.url ?? '/', 'http://sandbox');
  const path = url.pathname;
  const v4 = path === '/v4' || path.startsWith('/v4/');
  if (request.method === 'DELETE') return deleteVisitor(request, path, v4);
  if (request.method !== 'GET') {
    return v4
      ? failure(405, 'method_not_allowed', 'only GET is supported')
      : failure(405, 'MethodNotAllowed', 'only GET is supported');
  }
  const params = url.searchParams;
  if (v4) {
    if (!bearerKey(request.headers.authorization)) {
      return failure(403, 'secret_api_key_required', 'secret API key in header is missing or empty');
    }
    if (path === '/v4/events') return v4Search(world, params);
    const event = /^\/v4\/events\/([^/]+)$/.exec(path)?.[1];
    if (event !== undefined) {
      const malformed = failure(400, 'request_cannot_be_parsed', 'invalid event_id');
      const eventId = decodeSegment(event);
      if (eventId === undefined) return malformed;
      return lookupAnswer(world.lookup(eventId), renderV4Event, 'event_not_found', { malformed });
    }
    return failure(404, 'not_found', `no route ${path}`);
  }

  const visitor = /^\/visitors\/([^/]+)$/.exec(path)?.[1];
  if (!v3Key(request.headers['auth-api-key'])) {
    return visitor !== undefined
      ? plainFailure(403, 'Forbidden (HTTP 403)')
      : failure(403, 'TokenRequired', 'secret key is required');
  }
  if (visitor !== undefined) {
    const visitorId = decodeSegment(visitor);
    return visitorId === undefined ? plainFailure(400, 'bad request') : v3Visits(world, visitorId, params);
  }
  if (path === '/events/search') return v3Search(world, params);
  const event = /^\/events\/([^/]+)$/.exec(path)?.[1];
  if (event !== undefined) {
    const malformed = failure(400, 'RequestCannotBeParsed', 'invalid request id');
    const requestId = decodeSegment(event);
    if (requestId === undefined) return malformed;
    return lookupAnswer(world.lookup(requestId), renderV3Event, 'RequestNotFound', { malformed });
  }
  return failure(404, 'NotFound', `no route ${path}`);
}

/**
 * `DELETE /v4/visitors/{visitor_id}` and v3 `DELETE /visitors/{visitor_id}`: 200 with no content ("scheduled
 * for deletion") for any well-formed visitorId. The made-up world is not changed: like Fingerprint, which
 * deletes recent events within a day and older ones only as they expire, the sandbox keeps answering.
 */
function deleteVisitor(request: IncomingMessage, path: string, v4: boolean): Answer {
  const visitor = (v4 ? /^\/v4\/visitors\/([^/]+)$/ : /^\/visitors\/([^/]+)$/).exec(path)?.[1];
  if (visitor === undefined) {
    return v4
      ? failure(405, 'method_not_allowed', 'DELETE is supported on /v4/visitors/{visitor_id} only')
      : failure(405, 'MethodNotAllowed', 'DELETE is supported on /visitors/{visitor_id} only');
  }
  if (v4 ? !bearerKey(request.headers.authorization) : !v3Key(request.headers['auth-api-key'])) {
    return v4
      ? failure(403, 'secret_api_key_required', 'secret API key in header is missing or empty')
      : failure(403, 'TokenRequired', 'secret key is required');
  }
  const visitorId = decodeSegment(visitor);
  if (visitorId === undefined || !isId(visitorId)) {
    return v4
      ? failure(400, 'request_cannot_be_parsed', 'invalid visitor id')
      : failure(400, 'RequestCannotBeParsed', 'invalid visitor id');
  }
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

function lookupAnswer(
  result: LookupResult,
  render: (event: Extract<LookupResult, { found: true }>['event']) => unknown,
  notFoundCode: string,
  answers: { malformed: Answer },
): Answer {
  if (result.found) return ok(render(result.event));
  switch (result.reason) {
    case 'malformed':
      return answers.malformed;
    case 'expired':
      return failure(
        404,
        notFoundCode,
        `the sandbox keeps ${RETENTION_MS / 86_400_000} days of events and this requestId is older; ` +
          `use one that starts with a recent ms timestamp, e.g. ${Date.now()}.Sandbx`,
      );
    case 'future':
      return failure(404, notFoundCode, 'this requestId starts with a timestamp in the future');
  }
}

/**
 * `GET /v4/events`: newest first, `limit` 1–100 (default 10), opaque `pagination_key`; the events "after"
 * `start` and "before" `end` (RFC3339 or unix ms), by default the last 7 days up to now.
 */
function v4Search(world: SandboxWorld, params: URLSearchParams): Answer {
  const invalid = (what: string) => failure(400, 'request_cannot_be_parsed', `invalid ${what}`);
  const limit = parseLimit(params.get('limit'), V4_PAGE.default, V4_PAGE.max);
  if (limit === undefined) return invalid('limit');
  const window = readSearchWindow(params, 'v4', world.now());
  if (typeof window === 'string') return invalid(`${window} time`);
  const filter = readFilter(params);
  if (filter === 'visitorId') return invalid('visitor_id');
  if (filter === 'linkedId') {
    return failure(400, 'request_cannot_be_parsed', LINKED_ID_TOO_LONG);
  }
  if (filter.visitorId !== undefined && !world.hasVisitor(filter.visitorId)) {
    return failure(404, 'visitor_not_found', 'visitor not found');
  }
  let events = world.search(filter).filter(window);
  const key = params.get('pagination_key');
  if (key !== null) {
    const after = decodeV4Key(key);
    if (after === undefined) return invalid('pagination key');
    events = events.filter((event) => isAfter(event, after));
  }
  const page = events.slice(0, limit);
  const last = page.at(-1);
  return ok({
    events: page.map(renderV4Event),
    ...(events.length > limit && last !== undefined && { pagination_key: encodeV4Key(last) }),
  });
}

/**
 * v3 `GET /visitors/{visitor_id}`: scans `limit` (default 100, at most 500) of the visitor's visits, newest
 * first, then filters them by `linked_id` and `request_id`. `paginationKey` is the requestId of the last
 * scanned visit and `lastTimestamp` its timestamp; `before` continues before a timestamp.
 */
function v3Visits(world: SandboxWorld, visitorId: string, params: URLSearchParams): Answer {
  const badRequest = plainFailure(400, 'bad request');
  if (!isId(visitorId)) return badRequest;
  const limit = parseLimit(params.get('limit'), V3_VISITS_PAGE.default, V3_VISITS_PAGE.max);
  if (limit === undefined) return badRequest;
  const linkedId = params.get('linked_id');
  const requestId = params.get('request_id');
  let history = world.visitorHistory(visitorId, linkedId ?? undefined);
  const key = params.get('paginationKey');
  const before = params.get('before');
  if (key !== null) {
    const timestamp = /^(\d{13})\./.exec(key)?.[1];
    if (timestamp === undefined) return badRequest;
    const after = { timestamp: Number(timestamp), requestId: key };
    history = history.filter((event) => isAfter(event, after));
  } else if (before !== null) {
    if (!/^\d{1,16}$/.test(before)) return badRequest;
    history = history.filter((event) => event.timestamp < Number(before));
  }
  const scanned = history.slice(0, limit);
  const visits = scanned.filter(
    (event) =>
      (linkedId === null || event.linkedId === linkedId) &&
      (requestId === null || event.requestId === requestId),
  );
  const last = scanned.at(-1);
  return ok({
    visitorId,
    visits: visits.map(renderV3Visit),
    ...(history.length > limit &&
      last !== undefined && { lastTimestamp: last.timestamp, paginationKey: last.requestId }),
  });
}

/**
 * v3 `GET /events/search`: `limit` required; `pagination_key` is the timestamp of the last returned event and
 * the next page holds the events older than it. Events with a timestamp "greater than" `start` and "smaller
 * than" `end` (unix ms), by default the last 7 days up to now.
 */
function v3Search(world: SandboxWorld, params: URLSearchParams): Answer {
  const invalid = (what: string) => failure(400, 'RequestCannotBeParsed', `invalid ${what}`);
  const limit = parseLimit(params.get('limit'), undefined, V3_SEARCH_PAGE.max);
  if (limit === undefined) return invalid('limit');
  const window = readSearchWindow(params, 'v3', world.now());
  if (typeof window === 'string') return invalid(`${window} time`);
  const filter = readFilter(params);
  if (filter === 'visitorId') return invalid('visitor id');
  if (filter === 'linkedId') {
    return failure(400, 'RequestCannotBeParsed', LINKED_ID_TOO_LONG);
  }
  let events = world.search(filter).filter(window);
  const key = params.get('pagination_key');
  if (key !== null) {
    if (!/^\d{1,16}$/.test(key)) return invalid('pagination key');
    events = events.filter((event) => event.timestamp < Number(key));
  }
  const page = events.slice(0, limit);
  const last = page.at(-1);
  return ok({
    events: page.map(renderV3Event),
    ...(events.length > limit && last !== undefined && { paginationKey: String(last.timestamp) }),
  });
}

/** The search filter, or the name of the parameter that is invalid. */
function readFilter(params: URLSearchParams): SearchFilter | 'visitorId' | 'linkedId' {
  const visitorId = params.get('visitor_id');
  const linkedId = params.get('linked_id');
  if (visitorId !== null && !isId(visitorId)) return 'visitorId';
  if (linkedId !== null && !isId(linkedId)) return 'linkedId';
  return { ...(visitorId !== null && { visitorId }), ...(linkedId !== null && { linkedId }) };
}

/** Whether `event` comes after `position` in newest-first order (ties broken by requestId, descending). */
function isAfter(
  event: { timestamp: number; requestId: string },
  position: { timestamp: number; requestId: string },
): boolean {
  if (event.timestamp !== position.timestamp) return event.timestamp < position.timestamp;
  return event.requestId < position.requestId;
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
function parseLimit(value: string | null, fallback: number | undefined, max: number): number | undefined {
  if (value === null) return fallback;
  if (!/^\d{1,6}$/.test(value)) return undefined;
  const limit = Number(value);
  return limit >= 1 && limit <= max ? limit : undefined;
}

function bearerKey(header: string | undefined): boolean {
  return header !== undefined && /^Bearer \S+$/.test(header);
}

function v3Key(header: string | string[] | undefined): boolean {
  return typeof header === 'string' && header.trim() !== '';
}
