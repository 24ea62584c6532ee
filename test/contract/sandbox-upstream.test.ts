import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EmulatorWorld,
  type FingerprintEmulator,
  type GeneratedEvent,
  GeneratedWorld,
  RETENTION_MS,
  renderGeneratedV3Event as renderV3Event,
  renderGeneratedV3Visit as renderV3Visit,
  renderGeneratedV4Event as renderV4Event,
  type SandboxUpstream,
  startFingerprintEmulator,
  startSandboxUpstream,
} from '../../local/fingerprint-emulator/index.js';
import { createFingerprintClient } from '../../shared/fingerprint/client.js';
import { normalizeV3Event, normalizeV3Visit, normalizeV4Event } from '../../shared/fingerprint/normalize.js';
import { StaticKeyProvider } from '../../shared/fingerprint/secret.js';

/**
 * The Fingerprint emulator (`local/fingerprint-emulator/`), as the sandbox Server API of `npm start` and with
 * seeded events as the tests and the bench use it, speaks the real API's shapes: every field it writes exists, with the
 * same JSON type, in Fingerprint's official example payloads (`test/fixtures/fingerprint`), the product's own
 * client pages through it correctly in both versions, and the same id always gives the same event.
 */

type Json = Record<string, unknown>;
const fixture = (path: string): Json =>
  JSON.parse(readFileSync(new URL(`../fixtures/fingerprint/${path}`, import.meta.url), 'utf8')) as Json;

/** Free-form objects (tags) whose keys are the caller's own. */
const FREE_FORM = new Set(['tags', 'tag']);

/**
 * Fields of Fingerprint's OpenAPI schemas that none of its examples shows with a value. The sandbox writes them
 * with the schema's type (checked against the official schemas when the sandbox was written).
 */
const DOCUMENTED_BEYOND_EXAMPLES = {
  v4: { suspect_score: 'number' },
  v3: {
    'products.botd.data.linkedId': 'string',
    'products.botd.data.bot.type': 'string',
    'products.identification.data.lastSeenAt.global': 'string',
    'products.identification.data.lastSeenAt.subscription': 'string',
    'products.tampering.data.confidence': 'string',
    'products.tampering.data.mlScore': 'number',
    'products.suspectScore': 'object',
    'products.suspectScore.data': 'object',
    'products.suspectScore.data.result': 'number',
  },
  v3Visit: { linkedId: 'string', 'confidence.revision': 'string' },
} as const;

/** `path → JSON type` of every leaf and object in a payload; array items share the path `[]`. */
function shape(value: unknown, path = '', into = new Map<string, string>()): Map<string, string> {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  into.set(path, type);
  const last = path.split('.').at(-1) ?? '';
  if (Array.isArray(value)) for (const item of value) shape(item, `${path}[]`, into);
  else if (type === 'object' && !FREE_FORM.has(last)) {
    for (const [key, item] of Object.entries(value as Json)) shape(item, path ? `${path}.${key}` : key, into);
  }
  return into;
}

function union(documented: Record<string, string>, ...payloads: unknown[]): Map<string, Set<string>> {
  const all = new Map(Object.entries(documented).map(([path, type]) => [path, new Set([type])]));
  for (const payload of payloads) {
    for (const [path, type] of shape(payload)) all.set(path, (all.get(path) ?? new Set()).add(type));
  }
  return all;
}

/** Paths of `payload` absent from the reference, or there with another type. */
function strayFields(payload: unknown, reference: Map<string, Set<string>>): string[] {
  return [...shape(payload)]
    .filter(([path, type]) => !(reference.get(path)?.has(type) ?? false))
    .map(([path, type]) => `${path}: ${type}`);
}

const v4Search = fixture('v4/events/search/get_event_search_200.json');
const V4_EVENT = union(
  DOCUMENTED_BEYOND_EXAMPLES.v4,
  fixture('v4/events/get_event_200.json'),
  fixture('v4/events/get_event_with_bot_info_200.json'),
  ...(v4Search.events as unknown[]),
);
const V3_EVENT = union(
  DOCUMENTED_BEYOND_EXAMPLES.v3,
  fixture('v3/get_event_200.json'),
  fixture('v3/get_event_200_extra_fields.json'),
  ...(fixture('v3/get_event_search_200.json').events as unknown[]),
);
const V3_VISIT = union(
  DOCUMENTED_BEYOND_EXAMPLES.v3Visit,
  ...(fixture('v3/get_visitors_200_limit_500.json').visits as unknown[]),
);

const NOW = Date.UTC(2026, 10, 25, 12);
const VISITOR_ID = 'Sbx1527CUFmcnjLwIs4A9';

/** A spread of events: looked up by id, from visitor histories and from linkedId series. */
function sampleEvents(world: GeneratedWorld): GeneratedEvent[] {
  const lookups = Array.from({ length: 40 }, (_, index) =>
    world.lookup(`${NOW - index * 3_600_000}.Smp${String(index).padStart(3, '0')}`),
  );
  return [
    ...lookups.flatMap((result) => (result.found ? [result.event] : [])),
    ...world.search({ visitorId: VISITOR_ID }),
    ...world.search({ linkedId: 'order-123' }),
  ];
}

describe('sandbox Server API', () => {
  const world = new GeneratedWorld({ now: () => NOW });

  it('writes only fields the official v4 and v3 examples have, with their types', () => {
    const events = sampleEvents(world);
    expect(events.length).toBeGreaterThan(50);
    const stray = new Set(
      events.flatMap((event) => [
        ...strayFields(renderV4Event(event), V4_EVENT).map((field) => `v4 event ${field}`),
        ...strayFields(renderV3Event(event), V3_EVENT).map((field) => `v3 event ${field}`),
        ...strayFields(renderV3Visit(event), V3_VISIT).map((field) => `v3 visit ${field}`),
      ]),
    );
    expect([...stray]).toEqual([]);
  });

  it('renders events the product normalizes with a location, since the IP has its ip_info entry', () => {
    for (const event of sampleEvents(world).slice(0, 60)) {
      const fromV4 = normalizeV4Event(renderV4Event(event));
      const fromV3 = normalizeV3Event(renderV3Event(event));
      const fromVisit = normalizeV3Visit(renderV3Visit(event), event.visitorId);
      for (const normalized of [fromV4, fromV3, fromVisit]) {
        expect(normalized).toMatchObject({
          requestId: event.requestId,
          visitorId: event.visitorId,
          timestamp: event.timestamp,
          ip: event.ip,
          location: { city: event.place.city, country: { code: event.place.countryCode } },
        });
      }
    }
  });

  it('answers the same event for the same id, in another process as much as in this one', () => {
    const requestId = `${NOW - 86_400_000}.Determ`;
    const again = new GeneratedWorld({ now: () => NOW + 3_600_000 });
    expect(again.lookup(requestId)).toEqual(world.lookup(requestId));
    expect(again.lookup('Ab3Cd4Ef5Gh6Ij7Kl8Mn')).toEqual(world.lookup('Ab3Cd4Ef5Gh6Ij7Kl8Mn'));
    expect(new GeneratedWorld({ now: () => NOW }).search({ visitorId: VISITOR_ID })).toEqual(
      world.search({ visitorId: VISITOR_ID }),
    );
  });

  it('keeps a history inside its retention window, newest first, and looks its events up as they are', () => {
    const history = world.search({ visitorId: VISITOR_ID });
    expect(history.length).toBeGreaterThanOrEqual(4);
    expect(history.every((event) => event.timestamp > NOW - RETENTION_MS && event.timestamp <= NOW)).toBe(
      true,
    );
    const timestamps = history.map((event) => event.timestamp);
    expect(timestamps).toEqual([...timestamps].sort((a, b) => b - a));
    for (const event of history.slice(0, 5)) {
      expect(world.lookup(event.requestId)).toEqual({ found: true, event });
    }
  });

  it('has nothing for a requestId older than its retention or in the future, and refuses a malformed one', () => {
    expect(world.lookup(`${NOW - RETENTION_MS - 1}.TooOld`)).toEqual({ found: false, reason: 'expired' });
    expect(world.lookup(`${NOW + 3_600_000}.Future`)).toEqual({ found: false, reason: 'future' });
    expect(world.lookup('nope')).toEqual({ found: false, reason: 'malformed' });
  });
});

describe.each(['v4', 'v3'] as const)(
  'the product client against the sandbox (Server API %s)',
  (apiVersion) => {
    let upstream: SandboxUpstream;
    const client = () =>
      createFingerprintClient({
        apiVersion,
        baseUrl: upstream.baseUrl,
        keys: new StaticKeyProvider('sandbox-test-key'),
        maxRps: Number.POSITIVE_INFINITY,
      });
    const deadline = () => ({ deadline: Date.now() + 20_000 });

    beforeAll(async () => {
      upstream = await startSandboxUpstream();
    });
    afterAll(async () => {
      await upstream.close();
    });

    it('pages a whole visitor history with no gap and no duplicate', async () => {
      const expected = upstream.world.search({ visitorId: VISITOR_ID }).map((event) => event.requestId);
      const { events, skipped, truncated } = await client().searchEvents(
        { visitorId: VISITOR_ID, maxEvents: 500 },
        deadline(),
      );
      expect([skipped, truncated]).toEqual([[], undefined]);
      expect(events.map((event) => event.requestId)).toEqual(expected);
      expect(events.every((event) => event.location?.city !== undefined)).toBe(true);
    });

    it('stops at maxEvents, newest first', async () => {
      const expected = upstream.world.search({ visitorId: VISITOR_ID }).slice(0, 3);
      const { events } = await client().searchEvents({ visitorId: VISITOR_ID, maxEvents: 3 }, deadline());
      expect(events.map((event) => event.requestId)).toEqual(expected.map((event) => event.requestId));
    });

    it('finds the events of a linkedId, alone and with a visitorId', async () => {
      const expected = upstream.world.search({ linkedId: 'order-123' });
      const { events } = await client().searchEvents({ linkedId: 'order-123', maxEvents: 500 }, deadline());
      expect(events.map((event) => event.requestId)).toEqual(expected.map((event) => event.requestId));
      expect(events.every((event) => event.linkedId === 'order-123')).toBe(true);

      const visitorId = expected[0]?.visitorId ?? '';
      const { events: both } = await client().searchEvents(
        { visitorId, linkedId: 'order-123', maxEvents: 500 },
        deadline(),
      );
      expect(both.length).toBeGreaterThan(0);
      expect(both.every((event) => event.visitorId === visitorId && event.linkedId === 'order-123')).toBe(
        true,
      );
    });

    it('gets one event, and a NotFound past the retention', async () => {
      const requestId = `${Date.now() - 60_000}.OneEvt`;
      await expect(client().getEvent(requestId, deadline())).resolves.toMatchObject({
        requestId,
        source: apiVersion,
      });
      await expect(client().getEvent('1708102555327.NLOjmg', deadline())).rejects.toMatchObject({
        code: 'NotFound',
        message: expect.stringContaining('30 days'),
      });
    });

    it('accepts the deletion of a visitor (200, no content), and refuses one without a key', async () => {
      await expect(client().deleteVisitor(VISITOR_ID, deadline())).resolves.toBeUndefined();
      const path = apiVersion === 'v4' ? `/v4/visitors/${VISITOR_ID}` : `/visitors/${VISITOR_ID}`;
      expect((await fetch(`${upstream.baseUrl}${path}`, { method: 'DELETE' })).status).toBe(403);
    });

    it('answers a malformed percent-encoding in a path id with a 400 in its version’s shape, and keeps serving', async () => {
      const headers: Record<string, string> =
        apiVersion === 'v4'
          ? { authorization: 'Bearer sandbox-test-key' }
          : { 'auth-api-key': 'sandbox-test-key' };
      const calls: [string, string][] =
        apiVersion === 'v4'
          ? [
              ['GET', '/v4/events/1708102555327.%zz'],
              ['DELETE', '/v4/visitors/Ibk1527CUFmcnjLwIs4%E0%A4%A'],
            ]
          : [
              ['GET', '/events/1708102555327.%zz'],
              ['DELETE', '/visitors/Ibk1527CUFmcnjLwIs4%E0%A4%A'],
            ];
      for (const [method, path] of calls) {
        const response = await fetch(`${upstream.baseUrl}${path}`, { method, headers });
        const body = (await response.json()) as { error: unknown };
        expect({ path, status: response.status }).toEqual({ path, status: 400 });
        expect(body.error).toEqual({
          code: expect.stringMatching(/^(request_cannot_be_parsed|RequestCannotBeParsed)$/),
          message: expect.any(String),
        });
      }
      const requestId = `${Date.now() - 60_000}.StilOk`;
      await expect(client().getEvent(requestId, deadline())).resolves.toMatchObject({ requestId });
    });

    it('refuses a call without a key', async () => {
      const path = apiVersion === 'v4' ? '/v4/events/' : '/events/';
      const response = await fetch(`${upstream.baseUrl}${path}${Date.now()}.NoKey0`);
      expect(response.status).toBe(403);
    });
  },
);

describe('the sandbox honors the documented search window', () => {
  const DAY = 86_400_000;
  const world = new GeneratedWorld({ now: () => NOW });
  let upstream: SandboxUpstream;
  beforeAll(async () => {
    upstream = await startSandboxUpstream({ world });
  });
  afterAll(async () => {
    await upstream.close();
  });

  const search = async (version: 'v3' | 'v4', query: Record<string, string>) => {
    const v4 = version === 'v4';
    const params = new URLSearchParams({ visitor_id: VISITOR_ID, limit: '100', ...query });
    const response = await fetch(`${upstream.baseUrl}${v4 ? '/v4/events' : '/events/search'}?${params}`, {
      headers: v4 ? { authorization: 'Bearer sandbox-key' } : { 'auth-api-key': 'sandbox-key' },
    });
    const body = (await response.json()) as { events?: Json[] };
    const timestamps = (body.events ?? []).map((event) =>
      v4
        ? Number(event.timestamp)
        : Number((event.products as { identification: { data: Json } }).identification.data.timestamp),
    );
    return { status: response.status, timestamps };
  };
  const all = () => world.search({ visitorId: VISITOR_ID }).map((event) => event.timestamp);

  it('holds a history older than 7 days, which a search without start does not see', () => {
    expect(all().some((timestamp) => timestamp < NOW - 7 * DAY)).toBe(true);
    expect(all().some((timestamp) => timestamp > NOW - 7 * DAY)).toBe(true);
  });

  it.each(['v4', 'v3'] as const)('%s: searches the last 7 days when start is absent', async (version) => {
    const { status, timestamps } = await search(version, {});
    expect(status).toBe(200);
    expect(timestamps).toEqual(all().filter((timestamp) => timestamp > NOW - 7 * DAY));
  });

  it.each(['v4', 'v3'] as const)(
    '%s: keeps the events strictly after start and strictly before end',
    async (version) => {
      const history = all();
      const start = history.at(-3) ?? 0;
      const end = history[1] ?? 0;
      const whole = await search(version, { start: String(NOW - 30 * DAY) });
      const between = await search(version, { start: String(start), end: String(end) });
      expect(whole.timestamps).toEqual(history);
      expect(between.timestamps).toEqual(history.slice(2, -3));
    },
  );

  it('takes an RFC3339 start and end in v4 only, and refuses what is neither form', async () => {
    const history = all();
    const start = new Date(NOW - 30 * DAY).toISOString();
    expect((await search('v4', { start })).timestamps).toEqual(history);
    expect((await search('v4', { start, end: new Date(history[0] ?? 0).toISOString() })).timestamps).toEqual(
      history.slice(1),
    );
    expect((await search('v3', { start })).status).toBe(400);
    expect((await search('v4', { start: 'yesterday' })).status).toBe(400);
    expect((await search('v3', { end: '-1' })).status).toBe(400);
  });
});

describe('one emulator: seeded events next to the generated world', () => {
  const DAY = 86_400_000;
  const world = new EmulatorWorld({ generated: new GeneratedWorld({ now: () => NOW }) });
  let emulator: FingerprintEmulator;
  beforeAll(async () => {
    emulator = await startFingerprintEmulator({ world, acceptAnyKey: true });
  });
  afterAll(async () => {
    await emulator.close();
  });

  const get = async (path: string, version: 'v3' | 'v4') => {
    const headers: Record<string, string> =
      version === 'v4' ? { authorization: 'Bearer any-key' } : { 'auth-api-key': 'any-key' };
    const response = await fetch(`${emulator.baseUrl}${path}`, { headers });
    return { status: response.status, body: (await response.json()) as Json };
  };

  it('renders a seeded event from the official examples, with their fields only, in both versions', async () => {
    const seed = {
      requestId: `${NOW - 1_000}.Seeded`,
      visitorId: VISITOR_ID,
      linkedId: 'order-9',
      timestamp: NOW - 1_000,
    };
    emulator.seed([seed]);
    const v4 = await get(`/v4/events/${seed.requestId}`, 'v4');
    const v3 = await get(`/events/${seed.requestId}`, 'v3');
    expect([v4.status, v3.status]).toEqual([200, 200]);
    expect([...strayFields(v4.body, V4_EVENT), ...strayFields(v3.body, V3_EVENT)]).toEqual([]);
    expect(normalizeV4Event(v4.body)).toMatchObject({
      requestId: seed.requestId,
      visitorId: VISITOR_ID,
      linkedId: 'order-9',
    });
    expect(normalizeV3Event(v3.body)).toMatchObject({
      requestId: seed.requestId,
      visitorId: VISITOR_ID,
      linkedId: 'order-9',
    });
  });

  it('serves seeded and generated events of a visitor as one newest-first history', async () => {
    const older = { requestId: `${NOW - 2 * DAY}.Seed02`, visitorId: VISITOR_ID, timestamp: NOW - 2 * DAY };
    emulator.seed([older]);
    const expected = world.search({ visitorId: VISITOR_ID }).map((event) => event.requestId);
    expect(expected).toContain(older.requestId);
    expect(expected.length).toBeGreaterThan(world.generated?.search({ visitorId: VISITOR_ID }).length ?? 0);
    const params = new URLSearchParams({
      visitor_id: VISITOR_ID,
      limit: '100',
      start: String(NOW - 30 * DAY),
    });
    const { body } = await get(`/v4/events?${params}`, 'v4');
    const ids = (body.events as Json[]).map((event) => event.event_id);
    expect(ids).toEqual(expected.slice(0, 100));
  });

  it('does not serve v3 GET /visitors/{visitor_id}, which Fingerprint removed and the product never calls', async () => {
    const { status, body } = await get(`/visitors/${VISITOR_ID}`, 'v3');
    expect(status).toBe(404);
    expect(body.error).toMatchObject({ code: 'NotFound' });
  });

  it('injects faults and records requests in front of the generated world too', async () => {
    emulator.requests.length = 0;
    emulator.failNext({ kind: 'status', status: 429 }, 1, (request) => request.version === 'v4');
    const limited = await get(`/v4/events/${NOW - 5_000}.Fault1`, 'v4');
    expect(limited).toEqual({ status: 429, body: fixture('v4/errors/429_too_many_requests.json') });
    const served = await get(`/v4/events/${NOW - 5_000}.Fault1`, 'v4');
    expect(served.status).toBe(200);
    expect(emulator.requests.map(({ path, authorized, version }) => ({ path, authorized, version }))).toEqual(
      [
        { path: `/v4/events/${NOW - 5_000}.Fault1`, authorized: true, version: 'v4' },
        { path: `/v4/events/${NOW - 5_000}.Fault1`, authorized: true, version: 'v4' },
      ],
    );
  });
});
