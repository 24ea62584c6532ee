/**
 * A loopback stand-in for the Fingerprint Server API, v4 (under `/v4`) and v3 (at the root) at once. Answers
 * are built from the official example payloads in `test/fixtures/fingerprint`, with the seeded ids, linkedId
 * and timestamp written into them; error answers are the fixtures' error bodies. Pagination follows each
 * route's documented contract, so a client that pages correctly against it pages correctly against the real
 * API. Hand-made bodies (no fixture exists for them) are marked as such below.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { readSearchWindow } from '../../local/sandbox/search-window.js';
// The documents type a visitor_id as a string: the fake refuses only what the product's id rule refuses.
import { isId } from '../../shared/domain/ids.js';

export interface FakeEventSeed {
  requestId: string;
  visitorId: string;
  linkedId?: string;
  timestamp: number;
}

export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string; body?: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' }
  | { kind: 'body'; body: string }
  /** The answer the request would get, with its body cut to `keep` of its length (default half). */
  | { kind: 'truncate'; keep?: number }
  /**
   * The answer the request would get, with its JSON body replaced by what `edit` returns (it may change the
   * parsed body in place and return it): bad events inside an otherwise valid page, a repeated key.
   */
  | { kind: 'edit'; edit: (body: Record<string, unknown>) => unknown };

/** Chooses a fault (or none) for each request; consulted before the faults queued by `failNext`. */
export type FaultInjector = (request: RecordedRequest) => Fault | undefined;

export interface RecordedRequest {
  method: string;
  /** The path as sent, still URL-encoded. */
  path: string;
  /** Decoded query parameters. */
  query: Record<string, string>;
  authorized: boolean;
  version: 'v3' | 'v4';
  /** When the request arrived, in `performance.now()` milliseconds. */
  receivedAt: number;
}

export interface FakeFingerprint {
  /** `http://127.0.0.1:<port>`: pass it as the client's `baseUrl` (v4 paths add `/v4` themselves). */
  baseUrl: string;
  /** The key it accepts: `Authorization: Bearer <key>` on v4, `Auth-API-Key: <key>` on v3. */
  readonly apiKey: string;
  setApiKey(key: string): void;
  /** Adds events (an existing requestId is replaced); searches serve them newest first. */
  seed(events: FakeEventSeed[]): void;
  /**
   * Seeds `count` events with distinct valid requestIds and timestamps decreasing by one second from
   * `base.timestamp` (default: now), sharing `base.visitorId` (default: a generated one) and `base.linkedId`.
   */
  seedMany(count: number, base: Partial<FakeEventSeed>): FakeEventSeed[];
  /**
   * Makes the next `times` requests for which `match` holds (default: any) fail with `fault`. The client
   * retries a 403 once after refetching its key, so a 403 meant to stick needs `times: 2`.
   */
  failNext(fault: Fault, times?: number, match?: (request: RecordedRequest) => boolean): void;
  /** Installs (or, with `undefined`, removes) a fault injector consulted for every request. */
  setFaultInjector(injector: FaultInjector | undefined): void;
  /** Every request received, in order. Query-string keys are redacted; headers are not recorded. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Query parameters that would carry a key if a client misused them; recorded as `[redacted]`. */
const QUERY_KEY_PARAMS = new Set(['api_key', 'auth_token', 'token']);

const DEFAULT_API_KEY = 'fpsk_FakeFingerprintKey_0000';

type Json = Record<string, unknown>;

const fixtureText = (path: string): string =>
  readFileSync(new URL(`../fixtures/fingerprint/${path}`, import.meta.url), 'utf8');
const fixture = (path: string): Json => asObject(JSON.parse(fixtureText(path)), path);

const TEMPLATES = {
  v4Event: fixture('v4/events/get_event_200.json'),
  v3Event: fixture('v3/get_event_200.json'),
  v3Visit: asObject(asArray(fixture('v3/get_visitors_200_limit_1.json').visits, 'visits')[0], 'visits[0]'),
};

/** Error bodies, per version and route family. */
const ERRORS = {
  v4: {
    400: fixtureText('v4/errors/400_request_body_invalid.json'),
    limit: fixtureText('v4/errors/400_limit_invalid.json'),
    start: fixtureText('v4/errors/400_start_time_invalid.json'),
    end: fixtureText('v4/errors/400_end_time_invalid.json'),
    visitorIdInvalid: fixtureText('v4/errors/400_visitor_id_invalid.json'),
    linkedIdInvalid: fixtureText('v4/errors/400_linked_id_invalid.json'),
    paginationKey: fixtureText('v4/errors/400_pagination_key_invalid.json'),
    keyRequired: fixtureText('v4/errors/403_secret_api_key_required.json'),
    keyNotFound: fixtureText('v4/errors/403_secret_api_key_not_found.json'),
    eventNotFound: fixtureText('v4/errors/404_event_not_found.json'),
    visitorNotFound: fixtureText('v4/errors/404_visitor_not_found.json'),
    409: fixtureText('v4/errors/409_state_not_ready.json'),
    429: fixtureText('v4/errors/429_too_many_requests.json'),
    500: fixtureText('v4/errors/500_internal_server_error.json'),
    504: fixtureText('v4/errors/504_search_timeout_exceeded.json'),
  },
  v3: {
    400: fixtureText('v3/errors/400_request_body_invalid.json'),
    limit: fixtureText('v3/errors/400_limit_invalid.json'),
    start: fixtureText('v3/errors/400_start_time_invalid.json'),
    end: fixtureText('v3/errors/400_end_time_invalid.json'),
    visitorIdInvalid: fixtureText('v3/errors/400_visitor_id_invalid.json'),
    linkedIdInvalid: fixtureText('v3/errors/400_linked_id_invalid.json'),
    paginationKey: fixtureText('v3/errors/400_pagination_key_invalid.json'),
    keyRequired: fixtureText('v3/errors/403_token_required.json'),
    keyNotFound: fixtureText('v3/errors/403_token_not_found.json'),
    eventNotFound: fixtureText('v3/errors/404_request_not_found.json'),
    409: fixtureText('v3/errors/409_state_not_ready.json'),
    429: fixtureText('v3/errors/429_too_many_requests.json'),
    // Hand-made: v3 documents per-product `Failed` errors in this shape but has no fixture of an HTTP 500.
    500: JSON.stringify({ error: { code: 'Failed', message: 'internal server error' } }),
  },
  /** `GET /visitors/{id}` answers errors as `{"error": "…"}`. */
  v3Visitors: {
    400: fixtureText('v3/get_visitors_400_bad_request.json'),
    403: fixtureText('v3/get_visitors_403_forbidden.json'),
    429: fixtureText('v3/get_visitors_429_too_many_requests.json'),
    // Hand-made, in the plain shape of the route's documented errors.
    500: JSON.stringify({ error: 'internal server error' }),
  },
} as const;

interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const ok = (body: unknown): Answer => ({ status: 200, body: JSON.stringify(body) });
const fail = (status: number, body: string): Answer => ({ status, body });

/** Starts the fake on 127.0.0.1 on a free port. Close it after the suite. */
export async function startFakeFingerprint(options: { apiKey?: string } = {}): Promise<FakeFingerprint> {
  let apiKey = options.apiKey ?? DEFAULT_API_KEY;
  const events = new EventStore();
  const faults: { fault: Fault; remaining: number; match?: (request: RecordedRequest) => boolean }[] = [];
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();
  let injector: FaultInjector | undefined;
  let generated = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const version = url.pathname === '/v4' || url.pathname.startsWith('/v4/') ? 'v4' : 'v3';
    const v3Key = req.headers['auth-api-key'];
    const presented =
      version === 'v4'
        ? bearerToken(req.headers.authorization)
        : typeof v3Key === 'string'
          ? v3Key
          : undefined;
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: recordedQuery(url.searchParams),
      authorized: presented === apiKey,
      version,
      receivedAt: performance.now(),
    };
    requests.push(record);

    const fault = injector?.(record) ?? takeFault(faults, record);
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay') {
      try {
        await delay(fault.ms, undefined, { signal: closing.signal });
      } catch {
        return;
      }
    }
    let answer =
      fault?.kind === 'status'
        ? faultAnswer(fault, record)
        : fault?.kind === 'body'
          ? { status: 200, body: fault.body }
          : route(record, url, presented, events);
    if (fault?.kind === 'edit') {
      answer = { ...answer, body: JSON.stringify(fault.edit(JSON.parse(answer.body) as Json)) };
    }
    if (fault?.kind === 'truncate') {
      answer = {
        ...answer,
        body: answer.body.slice(0, Math.floor(answer.body.length * (fault.keep ?? 0.5))),
      };
    }
    if (res.destroyed) return;
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'FakeFailure', message: String(error) } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    get apiKey() {
      return apiKey;
    },
    setApiKey(key) {
      apiKey = key;
    },
    seed(seeds) {
      events.add(seeds);
    },
    seedMany(count, base) {
      const newest = base.timestamp ?? Date.now();
      generated += 1;
      const visitorId = base.visitorId ?? `FakeVisitor${String(generated).padStart(9, '0')}`;
      const seeds = Array.from({ length: count }, (_, index): FakeEventSeed => {
        const timestamp = newest - index * 1000;
        generated += 1;
        return {
          requestId: `${String(timestamp).padStart(13, '0').slice(-13)}.${generated.toString(36).padStart(6, '0')}`,
          visitorId,
          ...(base.linkedId !== undefined && { linkedId: base.linkedId }),
          timestamp,
        };
      });
      events.add(seeds);
      return seeds;
    },
    failNext(fault, times = 1, match) {
      faults.push({ fault, remaining: times, ...(match && { match }) });
    },
    setFaultInjector(next) {
      injector = next;
    },
    requests,
    async close() {
      closing.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

function route(record: RecordedRequest, url: URL, presented: string | undefined, events: EventStore): Answer {
  const { path, version } = record;
  const params = url.searchParams;
  if (record.method === 'DELETE') return deleteVisitor(record, presented, events);
  if (record.method !== 'GET') return fail(405, JSON.stringify({ error: { code: 'MethodNotAllowed' } }));

  const v4Event = /^\/v4\/events\/([^/]+)$/.exec(path);
  const v3Visitor = /^\/visitors\/([^/]+)$/.exec(path);
  const v3Event = /^\/events\/([^/]+)$/.exec(path);
  if (!record.authorized) {
    if (v3Visitor) return fail(403, ERRORS.v3Visitors[403]);
    const bodies = ERRORS[version];
    return fail(403, presented ? bodies.keyNotFound : bodies.keyRequired);
  }

  if (path === '/v4/events') return v4Search(params, events);
  if (v4Event?.[1]) {
    const seed = events.get(decodeURIComponent(v4Event[1]));
    return seed ? ok(renderV4Event(seed)) : fail(404, ERRORS.v4.eventNotFound);
  }
  if (path === '/events/search') return v3Search(params, events);
  if (v3Event?.[1]) {
    const seed = events.get(decodeURIComponent(v3Event[1]));
    return seed ? ok(renderV3Event(seed)) : fail(404, ERRORS.v3.eventNotFound);
  }
  if (v3Visitor?.[1]) return v3Visits(decodeURIComponent(v3Visitor[1]), params, events);
  // Hand-made: a route the Server API does not have.
  return fail(404, JSON.stringify({ error: { code: 'NotFound', message: `no route ${path}` } }));
}

/**
 * `DELETE /v4/visitors/{visitor_id}` and v3 `DELETE /visitors/{visitor_id}`: 200 with no content for a
 * visitor with events, 404 for an unknown one. Unlike Fingerprint, which deletes asynchronously, the fake
 * forgets the visitor's events at once.
 */
function deleteVisitor(record: RecordedRequest, presented: string | undefined, events: EventStore): Answer {
  const { version } = record;
  const match = (version === 'v4' ? /^\/v4\/visitors\/([^/]+)$/ : /^\/visitors\/([^/]+)$/).exec(record.path);
  if (match?.[1] === undefined) {
    return fail(405, JSON.stringify({ error: { code: 'MethodNotAllowed' } }));
  }
  if (!record.authorized) {
    return fail(403, presented ? ERRORS[version].keyNotFound : ERRORS[version].keyRequired);
  }
  const visitorId = decodeURIComponent(match[1]);
  if (!isId(visitorId)) return fail(400, ERRORS[version].visitorIdInvalid);
  if (events.deleteVisitor(visitorId) === 0) {
    return version === 'v4'
      ? fail(404, ERRORS.v4.visitorNotFound)
      : // Hand-made, from the v3 schema's example: there is no fixture of it.
        fail(404, JSON.stringify({ error: { code: 'VisitorNotFound', message: 'visitor not found' } }));
  }
  return { status: 200, body: '' };
}

/**
 * `GET /v4/events`: newest first, `limit` 1–100 (default 10), opaque `pagination_key`, and only the events
 * "after" `start` and "before" `end` (RFC3339 or unix ms; by default the last 7 days up to now).
 */
function v4Search(params: URLSearchParams, events: EventStore): Answer {
  const limit = parseLimit(params.get('limit'), { fallback: 10, max: 100 });
  if (limit === undefined) return fail(400, ERRORS.v4.limit);
  const window = readSearchWindow(params, 'v4', Date.now());
  if (window === 'start' || window === 'end') return fail(400, ERRORS.v4[window]);
  const filter = readFilter(params);
  if (filter.visitorId !== undefined && !isId(filter.visitorId)) {
    return fail(400, ERRORS.v4.visitorIdInvalid);
  }
  if (filter.linkedId !== undefined && filter.linkedId.length > 256)
    return fail(400, ERRORS.v4.linkedIdInvalid);
  if (filter.visitorId !== undefined && !events.hasVisitor(filter.visitorId)) {
    return fail(404, ERRORS.v4.visitorNotFound);
  }
  const matching = events.matching(filter).filter(window);
  let start = 0;
  const key = params.get('pagination_key');
  if (key !== null) {
    const after = decodeV4Key(key);
    if (after === undefined) return fail(400, ERRORS.v4.paginationKey);
    start = matching.findIndex((event) => compareNewestFirst(event, after) > 0);
    if (start === -1) start = matching.length;
  }
  const page = matching.slice(start, start + limit);
  const last = page.at(-1);
  const more = start + limit < matching.length;
  return ok({
    events: page.map(renderV4Event),
    ...(more && last && { pagination_key: encodeV4Key(last) }),
  });
}

/**
 * v3 `GET /visitors/{visitor_id}`: scans `limit` (default 100, at most 500) of the visitor's visits, newest
 * first, then filters them by `linked_id` / `request_id`. `paginationKey` is the requestId of the last scanned
 * visit, `lastTimestamp` (and the deprecated `before`) its timestamp. An unknown visitor has no visits.
 */
function v3Visits(visitorId: string, params: URLSearchParams, events: EventStore): Answer {
  const badRequest = fail(400, ERRORS.v3Visitors[400]);
  if (!isId(visitorId)) return badRequest;
  const limit = parseLimit(params.get('limit'), { fallback: 100, max: 500 });
  if (limit === undefined) return badRequest;
  const history = events.matching({ visitorId });
  let start = 0;
  const key = params.get('paginationKey');
  const before = params.get('before');
  if (key !== null) {
    const index = history.findIndex((event) => event.requestId === key);
    if (index === -1) return badRequest;
    start = index + 1;
  } else if (before !== null) {
    if (!/^\d+$/.test(before)) return badRequest;
    start = history.findIndex((event) => event.timestamp < Number(before));
    if (start === -1) start = history.length;
  }
  const scanned = history.slice(start, start + limit);
  const linkedId = params.get('linked_id');
  const requestId = params.get('request_id');
  const visits = scanned.filter(
    (event) =>
      (linkedId === null || event.linkedId === linkedId) &&
      (requestId === null || event.requestId === requestId),
  );
  const last = scanned.at(-1);
  const more = start + limit < history.length;
  return ok({
    visitorId,
    visits: visits.map(renderV3Visit),
    ...(more && last && { lastTimestamp: last.timestamp, paginationKey: last.requestId }),
  });
}

/**
 * v3 `GET /events/search`: `limit` required; `paginationKey` is the timestamp of the last returned event, and
 * the next page holds the events older than it. Only events whose timestamp is "greater than" `start` and
 * "smaller than" `end` (unix ms; by default the last 7 days up to now).
 */
function v3Search(params: URLSearchParams, events: EventStore): Answer {
  const limit = parseLimit(params.get('limit'), { fallback: undefined, max: Number.MAX_SAFE_INTEGER });
  if (limit === undefined) return fail(400, ERRORS.v3.limit);
  const window = readSearchWindow(params, 'v3', Date.now());
  if (window === 'start' || window === 'end') return fail(400, ERRORS.v3[window]);
  const filter = readFilter(params);
  if (filter.visitorId !== undefined && !isId(filter.visitorId)) {
    return fail(400, ERRORS.v3.visitorIdInvalid);
  }
  if (filter.linkedId !== undefined && filter.linkedId.length > 256)
    return fail(400, ERRORS.v3.linkedIdInvalid);
  let matching = events.matching(filter).filter(window);
  const key = params.get('pagination_key');
  if (key !== null) {
    if (!/^\d+$/.test(key)) return fail(400, ERRORS.v3.paginationKey);
    matching = matching.filter((event) => event.timestamp < Number(key));
  }
  const page = matching.slice(0, limit);
  const last = page.at(-1);
  return ok({
    events: page.map(renderV3Event),
    ...(matching.length > limit && last && { paginationKey: String(last.timestamp) }),
  });
}

function faultAnswer(fault: Extract<Fault, { kind: 'status' }>, record: RecordedRequest): Answer {
  const headers = fault.retryAfter === undefined ? undefined : { 'retry-after': fault.retryAfter };
  const body = fault.body ?? defaultErrorBody(fault.status, record);
  return { status: fault.status, body, ...(headers && { headers }) };
}

function defaultErrorBody(status: number, record: RecordedRequest): string {
  if (record.path.startsWith('/visitors/')) {
    const plain = ERRORS.v3Visitors;
    if (status === 400 || status === 403 || status === 429) return plain[status];
    return plain[500];
  }
  const bodies = ERRORS[record.version];
  switch (status) {
    case 400:
    case 409:
    case 429:
      return bodies[status];
    case 403:
      return bodies.keyNotFound;
    case 404:
      return bodies.eventNotFound;
    case 504:
      return record.version === 'v4' ? ERRORS.v4[504] : bodies[500];
    default:
      return bodies[500];
  }
}

class EventStore {
  readonly #byId = new Map<string, FakeEventSeed>();
  #sorted: FakeEventSeed[] = [];

  add(seeds: FakeEventSeed[]): void {
    for (const seed of seeds) this.#byId.set(seed.requestId, { ...seed });
    this.#sorted = [...this.#byId.values()].sort(compareNewestFirst);
  }

  get(requestId: string): FakeEventSeed | undefined {
    return this.#byId.get(requestId);
  }

  /** Forgets every event of the visitor; answers how many there were. */
  deleteVisitor(visitorId: string): number {
    let deleted = 0;
    for (const [requestId, seed] of this.#byId) {
      if (seed.visitorId !== visitorId) continue;
      this.#byId.delete(requestId);
      deleted += 1;
    }
    this.#sorted = [...this.#byId.values()].sort(compareNewestFirst);
    return deleted;
  }

  hasVisitor(visitorId: string): boolean {
    return this.#sorted.some((event) => event.visitorId === visitorId);
  }

  /** Events matching every given filter, newest first. */
  matching(filter: { visitorId?: string; linkedId?: string }): FakeEventSeed[] {
    return this.#sorted.filter(
      (event) =>
        (filter.visitorId === undefined || event.visitorId === filter.visitorId) &&
        (filter.linkedId === undefined || event.linkedId === filter.linkedId),
    );
  }
}

/** Newest first; equal timestamps by requestId, descending, so the order is total. */
function compareNewestFirst(a: FakeEventSeed, b: Pick<FakeEventSeed, 'timestamp' | 'requestId'>): number {
  if (a.timestamp !== b.timestamp) return b.timestamp - a.timestamp;
  return a.requestId === b.requestId ? 0 : a.requestId < b.requestId ? 1 : -1;
}

function renderV4Event(seed: FakeEventSeed): Json {
  const event = structuredClone(TEMPLATES.v4Event);
  event.event_id = seed.requestId;
  event.timestamp = seed.timestamp;
  setOptional(event, 'linked_id', seed.linkedId);
  asObject(event.identification, 'identification').visitor_id = seed.visitorId;
  return event;
}

function renderV3Event(seed: FakeEventSeed): Json {
  const body = structuredClone(TEMPLATES.v3Event);
  const products = asObject(body.products, 'products');
  const data = asObject(asObject(products.identification, 'identification').data, 'identification.data');
  data.requestId = seed.requestId;
  data.visitorId = seed.visitorId;
  data.timestamp = seed.timestamp;
  data.time = isoSeconds(seed.timestamp);
  setOptional(data, 'linkedId', seed.linkedId);
  const botd = asObject(products.botd, 'botd');
  const botdData = asObject(botd.data, 'botd.data');
  botdData.requestId = seed.requestId;
  botdData.time = isoSeconds(seed.timestamp);
  return body;
}

function renderV3Visit(seed: FakeEventSeed): Json {
  const visit = structuredClone(TEMPLATES.v3Visit);
  visit.requestId = seed.requestId;
  visit.timestamp = seed.timestamp;
  visit.time = isoSeconds(seed.timestamp);
  setOptional(visit, 'linkedId', seed.linkedId);
  return visit;
}

/** v3 writes `time` without milliseconds: `2022-06-16T10:05:53Z`. */
function isoSeconds(timestamp: number): string {
  return new Date(timestamp).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function setOptional(target: Json, field: string, value: string | undefined): void {
  if (value === undefined) delete target[field];
  else target[field] = value;
}

function encodeV4Key(event: FakeEventSeed): string {
  return Buffer.from(JSON.stringify([event.timestamp, event.requestId])).toString('base64url');
}

function decodeV4Key(key: string): Pick<FakeEventSeed, 'timestamp' | 'requestId'> | undefined {
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

/** A positive integer up to `max`, `fallback` when absent, `undefined` when invalid. */
function parseLimit(value: string | null, { fallback, max }: { fallback: number | undefined; max: number }) {
  if (value === null) return fallback;
  if (!/^\d+$/.test(value)) return undefined;
  const limit = Number(value);
  return limit >= 1 && limit <= max ? limit : undefined;
}

function readFilter(params: URLSearchParams): { visitorId?: string; linkedId?: string } {
  const visitorId = params.get('visitor_id');
  const linkedId = params.get('linked_id');
  return { ...(visitorId !== null && { visitorId }), ...(linkedId !== null && { linkedId }) };
}

function takeFault(
  faults: { fault: Fault; remaining: number; match?: (request: RecordedRequest) => boolean }[],
  record: RecordedRequest,
): Fault | undefined {
  const index = faults.findIndex((entry) => entry.match === undefined || entry.match(record));
  const entry = faults[index];
  if (entry === undefined) return undefined;
  entry.remaining -= 1;
  if (entry.remaining <= 0) faults.splice(index, 1);
  return entry.fault;
}

function recordedQuery(params: URLSearchParams): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of params) query[name] = QUERY_KEY_PARAMS.has(name) ? '[redacted]' : value;
  return query;
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer (.+)$/.exec(header);
  return match?.[1];
}

function asObject(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`fixture: ${what} is not an object`);
  }
  return value as Json;
}

function asArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`fixture: ${what} is not an array`);
  return value;
}
