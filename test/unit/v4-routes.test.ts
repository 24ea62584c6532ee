import { readFileSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createEnrichHttpHandler } from '../../functions/enrich/http-handler.js';
import { createQueryHttpHandler } from '../../functions/query/http-handler.js';
import { buildApiEvent, buildContext } from '../../local/harness/lambda-events.js';
import { ERROR_CODES, NotFoundError, ValidationError } from '../../shared/domain/errors.js';
import { type NormalizedEvent, SCHEMA_VERSION } from '../../shared/domain/event.js';
import { upstreamV4Of } from '../../shared/domain/upstream.js';
import { normalizeV3Event, normalizeV4Event } from '../../shared/fingerprint/normalize.js';
import { renderV4Event, toV4Event } from '../../shared/fingerprint/v4-event.js';
import { toHttpError } from '../../shared/http/errors.js';
import { toV4ErrorAnswer } from '../../shared/http/v4-errors.js';
import { createLogger } from '../../shared/observability/logger.js';
import { FakeEventStore, FakeFingerprintClient } from '../support/fakes.js';
import { jsonBody } from '../support/http-assertions.js';

/**
 * The v4 answers built from the normalized view, checked against the official v4 document, and the setting
 * that keeps only the normalized view (`STORE_UPSTREAM_EVENTS=false`): both v4 routes then render every event.
 */

const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;
type Json = Record<string, unknown>;

const fixture = (path: string): Json =>
  JSON.parse(readFileSync(new URL(`../fixtures/fingerprint/${path}`, import.meta.url), 'utf8')) as Json;

function officialV4(schema: 'Event' | 'ErrorResponse'): ValidateFunction {
  const document = parse(
    readFileSync(
      new URL(
        '../fixtures/fingerprint/openapi/fingerprint-server-api-v4-with-examples.yaml',
        import.meta.url,
      ),
      'utf8',
    ),
  ) as Json;
  const ajv = new Ajv2020({
    strict: false,
    allErrors: true,
    formats: { timezone: true, int32: true, int64: true, double: true },
  });
  addFormats(ajv);
  ajv.addSchema({ ...document, $id: 'v4' });
  return ajv.compile({ $ref: `v4#/components/schemas/${schema}` });
}

const validEvent = officialV4('Event');
const validError = officialV4('ErrorResponse');

function expectValidV4(value: unknown): void {
  const valid = validEvent(value);
  expect(validEvent.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
}

/** A web event with every field of the normalized view set. */
const FULL: NormalizedEvent = {
  requestId: '1708102555327.FullEv',
  visitorId: 'Ibk1527CUFmcnjLwIs4A9',
  linkedId: 'order-1',
  timestamp: 1_708_102_555_327,
  time: '2024-02-16T16:55:55.327Z',
  url: 'https://example.com/checkout',
  ip: '2001:db8::7',
  incognito: true,
  tag: { plan: 'pro' },
  tagAltered: true,
  confidence: { score: 0.5, revision: 'v1.1', comment: 'low' },
  visitorFound: true,
  firstSeenAt: { global: '2024-01-01T00:00:00Z', subscription: '2024-02-01T00:00:00.000Z' },
  lastSeenAt: { global: null, subscription: null },
  browser: {
    name: 'Safari',
    majorVersion: '17',
    fullVersion: '17.2',
    os: 'Mac OS X',
    osVersion: '14',
    device: 'Other',
    userAgent: 'Mozilla/5.0 (Macintosh)',
  },
  location: {
    city: 'Prague',
    country: { code: 'CZ', name: 'Czechia' },
    continent: { code: 'EUR', name: 'Europe' },
    subdivisions: [{ isoCode: '10', name: 'Praha' }],
    latitude: 50.05,
    longitude: 14.4,
    postalCode: '150 00',
    timezone: 'Europe/Prague',
    accuracyRadius: 20,
  },
  signals: {
    bot: 'notDetected',
    botType: 'none',
    vpn: false,
    proxy: true,
    tor: false,
    tampering: false,
    emulator: false,
    rootApps: false,
    jailbroken: false,
    frida: false,
    clonedApp: false,
    virtualMachine: false,
    privacySettings: false,
    developerTools: true,
    locationSpoofing: false,
    highActivity: false,
    ipBlocklisted: true,
    suspectScore: 2.5,
  },
  source: 'v3',
  schemaVersion: SCHEMA_VERSION,
};

describe('a v4 Event rendered from the normalized view', () => {
  it('is valid against the official v4 document and carries what the view knows', () => {
    const rendered = renderV4Event(FULL);
    expectValidV4(rendered);
    expect(rendered).toEqual({
      event_id: FULL.requestId,
      timestamp: FULL.timestamp,
      linked_id: 'order-1',
      tags: { plan: 'pro' },
      url: FULL.url,
      ip_address: FULL.ip,
      user_agent: 'Mozilla/5.0 (Macintosh)',
      browser_details: {
        browser_name: 'Safari',
        browser_major_version: '17',
        browser_full_version: '17.2',
        os: 'Mac OS X',
        os_version: '14',
        device: 'Other',
      },
      identification: {
        visitor_id: FULL.visitorId,
        visitor_found: true,
        confidence: { score: 0.5, version: 'v1.1', comment: 'low' },
        first_seen_at: Date.parse('2024-02-01T00:00:00.000Z'),
      },
      ip_info: {
        v6: {
          address: FULL.ip,
          // A continent code that is not two letters is left out rather than answered invalid.
          geolocation: {
            accuracy_radius: 20,
            latitude: 50.05,
            longitude: 14.4,
            postal_code: '150 00',
            timezone: 'Europe/Prague',
            city_name: 'Prague',
            country_code: 'CZ',
            country_name: 'Czechia',
            subdivisions: [{ iso_code: '10', name: 'Praha' }],
          },
        },
      },
      bot: 'not_detected',
      bot_type: 'none',
      vpn: false,
      proxy: true,
      tampering: false,
      incognito: true,
      emulator: false,
      root_apps: false,
      jailbroken: false,
      frida: false,
      cloned_app: false,
      virtual_machine: false,
      privacy_settings: false,
      developer_tools: true,
      location_spoofing: false,
      high_activity_device: false,
      // A fractional suspect score (v4's is an integer) is left out.
      ip_blocklist: { tor_node: false },
    });
  });

  it('renders the official v3 example, and a minimal event, validly', () => {
    const v3 = normalizeV3Event(fixture('v3/get_event_200.json'));
    expect(upstreamV4Of(v3)).toBeUndefined();
    expectValidV4(toV4Event(v3));
    const minimal: NormalizedEvent = {
      requestId: '1708102555327.MinEvt',
      visitorId: 'Ibk1527CUFmcnjLwIs4A9',
      timestamp: 1_708_102_555_327,
      time: '2024-02-16T16:55:55.327Z',
      browser: {
        name: '',
        majorVersion: '',
        fullVersion: '',
        os: 'Android',
        osVersion: '14',
        device: 'Pixel',
        userAgent: '',
      },
      source: 'webhook',
      schemaVersion: SCHEMA_VERSION,
    };
    const rendered = renderV4Event(minimal);
    expectValidV4(rendered);
    // A mobile event has no browser details: its os, version and device are top-level fields in v4.
    expect(rendered).toEqual({
      event_id: minimal.requestId,
      timestamp: minimal.timestamp,
      os: 'Android',
      os_version: '14',
      device: 'Pixel',
      identification: { visitor_id: minimal.visitorId, visitor_found: false },
    });
  });

  it('answers the upstream copy of a v4 event as it came', () => {
    const body = fixture('v4/events/get_event_200.json');
    expect(toV4Event(normalizeV4Event(structuredClone(body)))).toEqual(body);
  });
});

describe('errors in v4 shape', () => {
  it('map every code of ours to a code of the official v4 ErrorCode, keeping ours in X-Error-Code', () => {
    for (const code of Object.values(ERROR_CODES)) {
      const answer = toHttpError(
        code === ERROR_CODES.ValidationFailed
          ? new ValidationError('limit', 'Invalid "limit".')
          : code === ERROR_CODES.NotFound
            ? new NotFoundError('No such event.')
            : new Error('boom'),
      );
      const v4 = toV4ErrorAnswer(answer);
      const valid = validError(v4.body);
      expect(validError.errors ?? [], code).toEqual([]);
      expect(valid).toBe(true);
      expect(v4.headers['X-Error-Code']).toBe(answer.body.error.code);
    }
  });
});

describe('with STORE_UPSTREAM_EVENTS off', () => {
  const v4 = normalizeV4Event(fixture('v4/events/get_event_200.json'));

  it('GET /v4/events/{event_id} renders even an event that carries its copy', async () => {
    const store = new FakeEventStore({ now: () => v4.timestamp });
    await store.storeEvents([v4]);
    const answers = [];
    for (const storeUpstream of [true, false]) {
      const handler = createEnrichHttpHandler({
        logger: createLogger('SILENT'),
        settings: { readThrough: false, upstreamErasure: false, storeUpstream },
        store,
        fingerprint: new FakeFingerprintClient(),
      });
      const response = await handler(
        buildApiEvent({
          method: 'GET',
          resource: '/v4/events/{event_id}',
          pathParameters: { event_id: v4.requestId },
        }),
        buildContext(),
      );
      expect(response.statusCode).toBe(200);
      answers.push(jsonBody(response));
    }
    expect(answers).toEqual([fixture('v4/events/get_event_200.json'), renderV4Event(v4)]);
  });

  it('GET /v4/events renders every event and reads no copy', async () => {
    const store = new FakeEventStore();
    store.nextPage = { events: [v4] };
    let copiesRead = 0;
    store.getUpstreamEvents = async () => {
      copiesRead += 1;
      return new Map();
    };
    const handler = createQueryHttpHandler({ logger: createLogger('SILENT'), store, storeUpstream: false });
    const response = await handler(
      buildApiEvent({ method: 'GET', resource: '/v4/events', query: { visitor_id: v4.visitorId } }),
      buildContext(),
    );
    expect(response.statusCode).toBe(200);
    expect(jsonBody(response)).toEqual({ events: [renderV4Event(v4)] });
    expect(copiesRead).toBe(0);
  });
});
