import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type Event,
  FingerprintServerApiClient,
  Region,
  type SearchEventsFilter,
  type SearchEventsResponse,
  ServerApiError,
} from '@fingerprint/node-sdk';
import type { ValidateFunction } from 'ajv';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type LocalServer, startLocalServer } from '../../local/app.js';
import { loadLocalConfig } from '../../local/config.js';
import {
  type FakeEventSeed,
  type FakeFingerprint,
  startFakeFingerprint,
} from '../../local/fingerprint-emulator/index.js';
import { normalizeWebhook } from '../../shared/fingerprint/normalize.js';
import { renderV4Event } from '../../shared/fingerprint/v4-event.js';
import { createLogger } from '../../shared/observability/logger.js';
import { OpenApiValidator } from './openapi.js';

/**
 * Fingerprint's official v4 Node SDK (`@fingerprint/node-sdk@7`) as a client of the local server, unchanged
 * except its `fetch`, which rewrites the host: the v4 read contract (`GET /v4/events/{event_id}`,
 * `GET /v4/events`) served from the cache, with the test's fake Fingerprint (serving the official v4 example)
 * as the upstream. Every answer, errors included, is checked against the official v4 document.
 */

// CommonJS whose `module.exports` also carries `default`; under NodeNext only `.default` is typed.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

type Json = Record<string, unknown>;

/** The official v4 document (OpenAPI 3.1.1: JSON Schema 2020-12). */
const V4_DOCUMENT = parse(
  readFileSync(
    new URL('../fixtures/fingerprint/openapi/fingerprint-server-api-v4-with-examples.yaml', import.meta.url),
    'utf8',
  ),
) as Json;

const fixture = (path: string): Json =>
  JSON.parse(readFileSync(new URL(`../fixtures/fingerprint/${path}`, import.meta.url), 'utf8')) as Json;

/** A validator of one of the official document's component schemas. */
function v4Validator(schema: 'Event' | 'EventSearch' | 'ErrorResponse'): ValidateFunction {
  // Not strict: the document carries OpenAPI-only keywords (`x-platforms`, `examples` inside properties…).
  // `timezone`, `int32`, `int64` and `double` are formats it names without defining: left unchecked.
  const ajv = new Ajv2020({
    strict: false,
    allErrors: true,
    formats: { timezone: true, int32: true, int64: true, double: true },
  });
  addFormats(ajv);
  ajv.addSchema({ ...V4_DOCUMENT, $id: 'v4' });
  return ajv.compile({ $ref: `v4#/components/schemas/${schema}` });
}

const VISITOR_ID = 'SdkV4Visitor00000001';
const OTHER_VISITOR = 'SdkV4Visitor00000002';
const LINKED_A = 'sdk-v4-linked-a';
const LINKED_B = 'sdk-v4-linked-b';
const SDK_KEY = 'fpsk_SdkV4ContractCanary_3kQ9';
const WEBHOOK_SECRET = 'sdk-v4-webhook-signing-secret';
const UNKNOWN_EVENT = '1708102555327.NoSuch';

describe('the official v4 Node SDK against the local server', () => {
  const validateEvent = v4Validator('Event');
  const validateSearch = v4Validator('EventSearch');
  const validateError = v4Validator('ErrorResponse');
  let fake: FakeFingerprint;
  let server: LocalServer;
  let client: FingerprintServerApiClient;
  /** What POST /enrich stored for the visitor, newest first. */
  let enriched: { requestId: string; timestamp: number; linkedId?: string }[] = [];
  let seeded: FakeEventSeed[] = [];
  const requests: URL[] = [];
  const ours = new OpenApiValidator();
  /** How each answer strays from our own document, `openapi/openapi.json` (checked as the SDK reads it). */
  const strays: string[] = [];
  let answers = 0;

  /** The SDK's call, sent to the local server instead of Fingerprint's host; nothing else changes. */
  const rewriteHost: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const local = new URL(`${url.pathname}${url.search}`, server.url);
    requests.push(local);
    const response = await fetch(local, init);
    answers += 1;
    strays.push(
      ...ours.check({
        method: init?.method ?? 'GET',
        path: local.pathname,
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body: await response.clone().json(),
      }),
    );
    return response;
  };

  /** What the fake Fingerprint itself answers for an event: the body our cache received. */
  const upstreamEvent = async (eventId: string): Promise<Json> => {
    const response = await fetch(`${fake.baseUrl}/v4/events/${eventId}`, {
      headers: { Authorization: `Bearer ${fake.apiKey}` },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Json;
  };

  const expectValid = (validate: ValidateFunction, value: unknown, what: string) => {
    const valid = validate(value);
    expect(validate.errors ?? [], what).toEqual([]);
    expect(valid).toBe(true);
  };

  const getEvent = async (eventId: string): Promise<Event> => {
    const event = await client.getEvent(eventId);
    expectValid(validateEvent, event, eventId);
    return event;
  };

  const searchEvents = async (filter: SearchEventsFilter): Promise<SearchEventsResponse> => {
    const page = await client.searchEvents(filter);
    expectValid(validateSearch, page, JSON.stringify(filter));
    return page;
  };

  /** Every page of a search, each asking for what the previous one said comes next. */
  const pageThrough = async (filter: SearchEventsFilter) => {
    const pages: SearchEventsResponse[] = [];
    let next: SearchEventsFilter = filter;
    for (;;) {
      const page = await searchEvents(next);
      pages.push(page);
      if (page.pagination_key === undefined) return pages;
      expect(pages.length).toBeLessThanOrEqual(seeded.length + 1);
      next = { ...filter, pagination_key: page.pagination_key };
    }
  };
  const idsOf = (pages: SearchEventsResponse[]) =>
    pages.flatMap((page) => page.events.map((e) => e.event_id));

  /** The SDK's error for a call that must fail, checked against the v4 document. */
  const failureOf = async (call: Promise<unknown>): Promise<ServerApiError> => {
    const error = await call.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ServerApiError);
    const refused = error as ServerApiError;
    expectValid(validateError, refused.responseBody, refused.message);
    expect(JSON.stringify(refused.responseBody)).not.toContain(SDK_KEY);
    expect(refused.response.headers.get('x-error-code')).toMatch(/^[A-Z]\w+$/);
    return refused;
  };

  const deliverWebhook = async (payload: Json) => {
    const body = JSON.stringify(payload);
    const signature = createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex');
    const response = await fetch(`${server.url}/webhooks/fingerprint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'FPJS-Event-Signature': `v1=${signature}` },
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ stored: true });
  };

  beforeAll(async () => {
    fake = await startFakeFingerprint();
    const now = Date.now();
    // Two linkedIds interleaved half a second apart: 300 events, each filter matching half of them.
    seeded = [
      ...fake.seedMany(150, { visitorId: VISITOR_ID, linkedId: LINKED_A, timestamp: now - 60_000 }),
      ...fake.seedMany(150, { visitorId: VISITOR_ID, linkedId: LINKED_B, timestamp: now - 60_500 }),
    ];
    fake.seedMany(3, { visitorId: OTHER_VISITOR, linkedId: LINKED_A, timestamp: now - 30_000 });
    const command = loadLocalConfig(['--in-memory'], {
      PORT: '0',
      FINGERPRINT_BASE_URL: fake.baseUrl,
      FINGERPRINT_SECRET_API_KEY: fake.apiKey,
      FINGERPRINT_MAX_RPS: '50',
      FINGERPRINT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      LOG_LEVEL: 'SILENT',
    });
    if (command.kind !== 'run') throw new Error('the local config did not give a run');
    server = await startLocalServer(command.config, createLogger('SILENT'));
    client = new FingerprintServerApiClient({ apiKey: SDK_KEY, region: Region.Global, fetch: rewriteHost });

    for (const visitorId of [VISITOR_ID, OTHER_VISITOR]) {
      const response = await fetch(`${server.url}/enrich`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ visitorId, maxEvents: 500 }),
      });
      expect(response.status).toBe(200);
      const answer = (await response.json()) as { events: typeof enriched; complete: boolean };
      expect(answer.complete).toBe(true);
      if (visitorId === VISITOR_ID) enriched = answer.events;
    }
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  it('checks answers with schemas that do refuse what the v4 document does not allow', () => {
    // Guards the checks below against a reference that resolved to nothing (which accepts anything).
    expect(validateEvent({ event_id: 'x' })).toBe(false);
    expect(validateEvent({ event_id: 'x', timestamp: 1, unknown_field: true })).toBe(false);
    expect(validateSearch({ events: [], cursor: 'x' })).toBe(false);
    expect(validateError({ error: { code: 'NotFound', message: 'x' } })).toBe(false);
    expect(validateEvent(fixture('v4/events/get_event_200.json'))).toBe(true);
  });

  it('is given a history of 300 events, stored from v4 search pages', () => {
    expect(enriched.map((event) => event.requestId)).toEqual(
      [...seeded].sort((a, b) => b.timestamp - a.timestamp).map((seed) => seed.requestId),
    );
  });

  it('getEvent answers a v4-sourced event exactly as Fingerprint sent it, for search and read-through events', async () => {
    for (const seed of [seeded[0], seeded[149], seeded[299]]) {
      if (seed === undefined) throw new Error('missing seed');
      expect(await getEvent(seed.requestId)).toEqual(await upstreamEvent(seed.requestId));
    }
    // Not cached yet: read through to Fingerprint, stored, then answered from the cache, both exact.
    const [late] = fake.seedMany(1, { visitorId: OTHER_VISITOR, timestamp: Date.now() - 5_000 });
    if (late === undefined) throw new Error('missing seed');
    const upstreamBefore = fake.requests.length;
    const first = await getEvent(late.requestId);
    const second = await getEvent(late.requestId);
    expect(first).toEqual(await upstreamEvent(late.requestId));
    expect(second).toEqual(first);
    // One upstream call for the read-through (plus the test's own direct read).
    expect(fake.requests.slice(upstreamBefore).filter((r) => r.path.endsWith(late.requestId))).toHaveLength(
      2,
    );
  });

  it('getEvent answers a v4 webhook delivery as delivered, and renders a v3 one from what is known', async () => {
    const now = Date.now();
    const v4 = { ...fixture('v4/webhook/webhook_event.json'), event_id: `${now}.SdkWh4`, timestamp: now };
    await deliverWebhook(v4);
    expect(await getEvent(String(v4.event_id))).toEqual(v4);

    const v3: Json = { ...fixture('v3/webhook.json'), requestId: `${now}.SdkWh3`, timestamp: now };
    await deliverWebhook(v3);
    const rendered = await getEvent(String(v3.requestId));
    expect(rendered).toEqual(renderV4Event(normalizeWebhook(v3)));
    expect(rendered).toMatchObject({
      event_id: v3.requestId,
      timestamp: now,
      identification: { visitor_id: v3.visitorId },
    });
  });

  it('answers an unknown event with the SDK’s own error: 404 event_not_found', async () => {
    const refused = await failureOf(client.getEvent(UNKNOWN_EVENT));
    expect(refused.statusCode).toBe(404);
    expect(refused.errorCode).toBe('event_not_found');
    expect(refused.response.headers.get('x-error-code')).toBe('NotFound');
  });

  it.each([1, 10, 100])(
    'searchEvents pages the whole history with limit %i by pagination_key: no gap, no duplicate',
    async (limit) => {
      const pages = await pageThrough({ visitor_id: VISITOR_ID, limit });
      expect(idsOf(pages)).toEqual(enriched.map((event) => event.requestId));
      expect(pages.length).toBe(Math.ceil(enriched.length / limit));
      for (const page of pages) expect(page.events.length).toBeLessThanOrEqual(limit);
    },
  );

  it('searchEvents answers the events exactly as Fingerprint sent them', async () => {
    const page = await searchEvents({ visitor_id: VISITOR_ID, limit: 3 });
    expect(page.events).toEqual(await Promise.all(page.events.map((event) => upstreamEvent(event.event_id))));
  });

  it('searchEvents defaults to 10 newest events', async () => {
    const page = await searchEvents({ visitor_id: VISITOR_ID });
    expect(page.events.map((event) => event.event_id)).toEqual(
      enriched.slice(0, 10).map((event) => event.requestId),
    );
    expect(page.pagination_key).toEqual(expect.any(String));
  });

  it('searchEvents pages oldest first with reverse', async () => {
    const pages = await pageThrough({ visitor_id: VISITOR_ID, limit: 100, reverse: true });
    expect(idsOf(pages)).toEqual(enriched.map((event) => event.requestId).reverse());
  });

  it('searchEvents filters by linked_id, alone and with visitor_id, every page full', async () => {
    const withA = enriched.filter((event) => event.linkedId === LINKED_A).map((event) => event.requestId);
    expect(withA).toHaveLength(150);
    const both = await pageThrough({ visitor_id: VISITOR_ID, linked_id: LINKED_A, limit: 10 });
    expect(idsOf(both)).toEqual(withA);
    // v4's limit counts the events answered: pages are filled, not cut by the filter.
    for (const page of both.slice(0, -1)) expect(page.events).toHaveLength(10);

    const alone = await pageThrough({ linked_id: LINKED_A, limit: 50 });
    const ids = idsOf(alone);
    // Every event carrying it, of both visitors, newest first.
    expect(ids).toHaveLength(153);
    expect(ids.filter((id) => withA.includes(id))).toEqual(withA);
    const timestamps = alone.flatMap((page) => page.events.map((event) => event.timestamp));
    expect(timestamps).toEqual([...timestamps].sort((a, b) => b - a));
  });

  it('searchEvents keeps to start and end, both exclusive, as RFC3339 or Unix ms, on every page', async () => {
    const newer = enriched[50];
    const older = enriched[200];
    if (newer === undefined || older === undefined) throw new Error('history too short');
    const expected = enriched.slice(51, 200).map((event) => event.requestId);
    for (const [start, end] of [
      [older.timestamp, newer.timestamp],
      [new Date(older.timestamp).toISOString(), new Date(newer.timestamp).toISOString()],
    ] as const) {
      const pages = await pageThrough({ visitor_id: VISITOR_ID, start, end, limit: 40 });
      expect(idsOf(pages)).toEqual(expected);
      const reversed = await pageThrough({ visitor_id: VISITOR_ID, start, end, limit: 40, reverse: true });
      expect(idsOf(reversed)).toEqual([...expected].reverse());
    }
    // Outside the default window (7 days): nothing.
    const old = await searchEvents({ visitor_id: VISITOR_ID, end: Date.now() - 8 * 86_400_000 });
    expect(old).toEqual({ events: [] });
  });

  it('answers an unknown visitor with no events', async () => {
    expect(await searchEvents({ visitor_id: 'SdkV4Nobody000000001' })).toEqual({ events: [] });
  });

  it.each([
    ['a limit above 100', { visitor_id: VISITOR_ID, limit: 101 }, 'limit'],
    ['a limit of 0', { visitor_id: VISITOR_ID, limit: 0 }, 'limit'],
    ['a visitor_id with a control character', { visitor_id: 'SdkV4\u0007Visitor0001' }, 'visitor_id'],
    ['no visitor_id and no linked_id', { limit: 10 }, 'visitor_id'],
    ['a filter the cache does not serve', { visitor_id: VISITOR_ID, bot: 'all' }, 'bot'],
    [
      'a pagination_key that is not ours',
      { visitor_id: VISITOR_ID, pagination_key: 'bm90LWEta2V5' },
      'pagination_key',
    ],
    ['a start that is no date', { visitor_id: VISITOR_ID, start: 'yesterday' }, 'start'],
    ['an end before start', { visitor_id: VISITOR_ID, start: 2_000, end: 1_000 }, 'end'],
  ] as [string, SearchEventsFilter, string][])(
    'surfaces %s as the SDK’s ServerApiError (400 request_cannot_be_parsed, naming the field)',
    async (_, filter, field) => {
      const refused = await failureOf(client.searchEvents(filter));
      expect(refused.statusCode).toBe(400);
      expect(refused.errorCode).toBe('request_cannot_be_parsed');
      expect(refused.message).toContain(field);
      expect(refused.response.headers.get('x-error-field')).toBe(field);
    },
  );

  it('refuses a pagination_key of another search, naming it', async () => {
    const first = await searchEvents({ visitor_id: VISITOR_ID, limit: 5 });
    const refused = await failureOf(
      client.searchEvents({
        visitor_id: VISITOR_ID,
        limit: 5,
        reverse: true,
        pagination_key: first.pagination_key,
      }),
    );
    expect(refused.statusCode).toBe(400);
    expect(refused.message).toContain('pagination_key');
  });

  it('surfaces a bad event id and ruleset_id as the SDK’s ServerApiError', async () => {
    const badId = await failureOf(client.getEvent('not an id\u0007'));
    expect([badId.statusCode, badId.errorCode]).toEqual([400, 'request_cannot_be_parsed']);
    const ruleset = await failureOf(client.getEvent(enriched[0]?.requestId ?? '', { ruleset_id: 'rs_1' }));
    expect([ruleset.statusCode, ruleset.errorCode]).toEqual([400, 'request_cannot_be_parsed']);
    expect(ruleset.message).toContain('ruleset_id');
  });

  it('sends what the SDK sends (ii, a Bearer key) and the routes accept it, showing the key nowhere', async () => {
    requests.length = 0;
    const event = await getEvent(enriched[0]?.requestId ?? '');
    const page = await searchEvents({ visitor_id: VISITOR_ID, limit: 2 });
    expect(requests.map((url) => url.searchParams.get('ii'))).toEqual([
      expect.stringMatching(/^fingerprint-pro-server-node-sdk\//),
      expect.stringMatching(/^fingerprint-pro-server-node-sdk\//),
    ]);
    expect(JSON.stringify([event, page])).not.toContain(SDK_KEY);
  });

  it('reads a miss through once for many concurrent getEvent calls, all answered exactly', async () => {
    const [late] = fake.seedMany(1, { visitorId: OTHER_VISITOR, timestamp: Date.now() - 2_000 });
    if (late === undefined) throw new Error('missing seed');
    const before = fake.requests.length;
    const answers = await Promise.all(Array.from({ length: 12 }, () => getEvent(late.requestId)));
    const upstreamCalls = fake.requests.slice(before).filter((r) => r.path.endsWith(late.requestId));
    expect(upstreamCalls).toHaveLength(1);
    const sent = await upstreamEvent(late.requestId);
    for (const answer of answers) expect(answer).toEqual(sent);
  });

  it('serves nothing of an erased visitor: getEvent is event_not_found (read through, dropped), searches are empty', async () => {
    const [kept] = (await searchEvents({ visitor_id: OTHER_VISITOR, limit: 1 })).events;
    if (kept === undefined) throw new Error('the other visitor has no cached event');
    const erased = await fetch(`${server.url}/visitors/${OTHER_VISITOR}`, { method: 'DELETE' });
    expect(erased.status).toBe(200);
    const before = fake.requests.length;
    const refused = await failureOf(client.getEvent(kept.event_id));
    expect([refused.statusCode, refused.errorCode]).toEqual([404, 'event_not_found']);
    // Fingerprint still has it: the read-through fetched it once and dropped it, as the erasure requires.
    expect(fake.requests.slice(before).filter((r) => r.path.endsWith(kept.event_id))).toHaveLength(1);
    expect(await searchEvents({ visitor_id: OTHER_VISITOR })).toEqual({ events: [] });
    const byLinkedId = idsOf(await pageThrough({ linked_id: LINKED_A, limit: 100 }));
    expect(byLinkedId).toHaveLength(150);
  });

  it('gave answers that all conform to our own document, openapi/openapi.json', () => {
    expect(answers).toBeGreaterThan(enriched.length);
    expect(strays).toEqual([]);
  });
});
