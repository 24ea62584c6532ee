import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toV3Visit } from '../../functions/query/v3-visit.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { type NormalizedEvent, SCHEMA_VERSION } from '../../shared/domain/event.js';
import { ID_MESSAGES } from '../../shared/domain/ids.js';
import {
  normalizeV3Event,
  normalizeV3Visit,
  normalizeV4Event,
  normalizeWebhook,
  readV3IdentificationError,
} from '../../shared/fingerprint/normalize.js';

type Json = Record<string, unknown>;

const JsonObject = z.record(z.string(), z.unknown());
const JsonObjects = z.array(JsonObject);

/** A fresh copy of an official example payload on every call, so a test may change it freely. */
function fixture(path: string): Json {
  const url = new URL(`../fixtures/fingerprint/${path}`, import.meta.url);
  return JsonObject.parse(JSON.parse(readFileSync(url, 'utf8')));
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets the value at a dotted path of a payload, in place; `undefined` deletes the field. Returns the payload. */
function set(payload: Json, path: string, value: unknown): Json {
  const keys = path.split('.');
  const last = keys.pop() ?? path;
  const parent = keys.reduce<Json>((node, key) => {
    const child = node[key];
    if (!isJson(child)) throw new Error(`${path}: ${key} is not an object`);
    return child;
  }, payload);
  if (value === undefined) Reflect.deleteProperty(parent, last);
  else parent[last] = value;
  return payload;
}

const v3History = () => fixture('v3/get_visitors_200_limit_500.json');
const v3Visits = () => JsonObjects.parse(v3History().visits);
const v3Visit = () => JsonObjects.parse(fixture('v3/get_visitors_200_limit_1.json').visits)[0] ?? {};
const v3Event = (name = 'get_event_200') => fixture(`v3/${name}.json`);
const v3Webhook = () => fixture('v3/webhook.json');
const v4Event = (name = 'get_event_200') => fixture(`v4/events/${name}.json`);
const v4Webhook = () => fixture('v4/webhook/webhook_event.json');

const HISTORY_VISITOR_ID = 'AcxioeQKffpXF8iGQK3P';

/** Everything the v3 Visit schema documents except `components`, which the product does not store. */
function withoutComponents(visit: Json): Json {
  const { components: _ignored, ...rest } = visit;
  return rest;
}

function rejection(normalize: () => unknown): ValidationError {
  try {
    normalize();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected the payload to be rejected');
}

const NORMALIZED_FIELDS = new Set<string>([
  'requestId',
  'visitorId',
  'linkedId',
  'timestamp',
  'time',
  'url',
  'ip',
  'incognito',
  'tag',
  'confidence',
  'visitorFound',
  'firstSeenAt',
  'lastSeenAt',
  'browser',
  'location',
  'signals',
  'source',
  'schemaVersion',
]);

function extraFields(event: NormalizedEvent): string[] {
  return Object.keys(event).filter((key) => !NORMALIZED_FIELDS.has(key));
}

const DUSSELDORF = {
  city: 'Dusseldorf',
  country: { code: 'DE', name: 'Germany' },
  continent: { code: 'EU', name: 'Europe' },
  subdivisions: [{ isoCode: '63', name: 'North Rhine-Westphalia' }],
  latitude: 49.982,
  longitude: 36.2566,
  postalCode: '61202',
  timezone: 'Europe/Dusseldorf',
  accuracyRadius: 10,
};

const CHROME_74_ON_WINDOWS_7 = {
  name: 'Chrome',
  majorVersion: '74',
  fullVersion: '74.0.3729',
  os: 'Windows',
  osVersion: '7',
  device: 'Other',
  userAgent: 'Mozilla/5.0 (Windows NT 6.1; Win64; x64) ....',
};

/** What every Smart Signal of the v3 and v4 `get_event_200` examples says. */
const EXAMPLE_SIGNALS = {
  bot: 'notDetected',
  vpn: false,
  proxy: true,
  tor: false,
  tampering: false,
  incognito: false,
  emulator: false,
  rootApps: false,
  jailbroken: false,
  frida: false,
  clonedApp: false,
  virtualMachine: false,
  privacySettings: false,
  developerTools: false,
  locationSpoofing: false,
  highActivity: false,
  ipBlocklisted: false,
};

describe('normalizeV3Visit', () => {
  it('normalizes a visit of GET /visitors with the visitorId of the response', () => {
    expect(normalizeV3Visit(v3Visit(), HISTORY_VISITOR_ID)).toStrictEqual({
      requestId: '1655373953086.DDlfmP',
      visitorId: HISTORY_VISITOR_ID,
      timestamp: 1655373953094,
      time: '2022-06-16T10:05:53Z',
      url: 'https://dashboard.fingerprint.com/',
      ip: '82.118.30.68',
      incognito: false,
      tag: {},
      confidence: { score: 1 },
      visitorFound: true,
      firstSeenAt: { global: '2022-02-04T11:31:20Z', subscription: '2022-02-04T11:31:20Z' },
      lastSeenAt: { global: '2022-06-16T10:03:00.912Z', subscription: '2022-06-16T10:03:00.912Z' },
      browser: {
        name: 'Chrome',
        majorVersion: '102',
        fullVersion: '102.0.5005',
        os: 'Mac OS X',
        osVersion: '10.15.7',
        device: 'Other',
        userAgent:
          'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/102.0.5005.61 Safari/537.36',
      },
      location: {
        city: 'Prague',
        country: { code: 'CZ', name: 'Czechia' },
        continent: { code: 'EU', name: 'Europe' },
        subdivisions: [{ isoCode: '10', name: 'Hlavni mesto Praha' }],
        latitude: 50.0805,
        longitude: 14.467,
        postalCode: '130 00',
        timezone: 'Europe/Prague',
        accuracyRadius: 1000,
      },
      source: 'v3',
      schemaVersion: SCHEMA_VERSION,
    });
  });

  it('normalizes every one of the 62 visits of the limit=500 example, newest first', () => {
    const visits = v3Visits();
    const events = visits.map((visit) => normalizeV3Visit(visit, HISTORY_VISITOR_ID));

    expect(events).toHaveLength(62);
    expect(events.map((event) => event.requestId)).toStrictEqual(visits.map((visit) => visit.requestId));
    expect(events.every((event) => event.visitorId === HISTORY_VISITOR_ID && event.source === 'v3')).toBe(
      true,
    );
    const timestamps = events.map((event) => event.timestamp);
    expect(timestamps).toStrictEqual([...timestamps].sort((a, b) => b - a));
  });

  it('leaves location out of the one visit of the limit=500 example that has no ipLocation', () => {
    const visits = v3Visits();
    const withoutLocation = visits.filter((visit) => visit.ipLocation === undefined);

    expect(withoutLocation).toHaveLength(1);
    const [visit] = withoutLocation;
    expect(normalizeV3Visit(visit, HISTORY_VISITOR_ID)).not.toHaveProperty('location');
  });

  it('keeps a partial ipLocation as it is, such as one with only a timezone', () => {
    const visit = set(v3Visit(), 'ipLocation', { timezone: 'Europe/Prague' });

    expect(normalizeV3Visit(visit, HISTORY_VISITOR_ID).location).toStrictEqual({ timezone: 'Europe/Prague' });
  });

  it('does not store the raw device attributes (components) of a visit', () => {
    const visit = set(v3Visit(), 'components', {
      canvas: { value: { Winding: true } },
      fonts: { value: ['Menlo'] },
    });

    const event = normalizeV3Visit(visit, HISTORY_VISITOR_ID);

    expect(extraFields(event)).toStrictEqual([]);
    expect(JSON.stringify(event)).not.toContain('Menlo');
  });

  it('derives time from the timestamp when the visit has none or an unreadable one', () => {
    expect(normalizeV3Visit(set(v3Visit(), 'time', undefined), HISTORY_VISITOR_ID).time).toBe(
      '2022-06-16T10:05:53.094Z',
    );
    expect(normalizeV3Visit(set(v3Visit(), 'time', 'yesterday'), HISTORY_VISITOR_ID).time).toBe(
      '2022-06-16T10:05:53.094Z',
    );
  });

  it('converts a time with a UTC offset to UTC', () => {
    const visit = set(v3Visit(), 'time', '2022-06-16T12:05:53+02:00');

    expect(normalizeV3Visit(visit, HISTORY_VISITOR_ID).time).toBe('2022-06-16T10:05:53.000Z');
  });

  it('drops wrong-typed optional fields instead of failing the visit', () => {
    const visit = v3Visit();
    set(visit, 'url', 42);
    set(visit, 'linkedId', { broken: 'format' });
    set(visit, 'tag', ['not', 'an', 'object']);
    set(visit, 'incognito', 'no');
    set(visit, 'confidence', { score: 'high' });
    set(visit, 'browserDetails', 'Chrome 102');
    set(visit, 'firstSeenAt', { global: 7, subscription: '2022-02-04T11:31:20Z' });
    set(visit, 'ipLocation.city', 5);

    const event = normalizeV3Visit(visit, HISTORY_VISITOR_ID);

    for (const field of ['url', 'linkedId', 'tag', 'incognito', 'confidence']) {
      expect(event).not.toHaveProperty(field);
    }
    expect(event.browser).toStrictEqual({
      name: '',
      majorVersion: '',
      fullVersion: '',
      os: '',
      osVersion: '',
      device: '',
      userAgent: '',
    });
    expect(event.firstSeenAt).toStrictEqual({ global: null, subscription: '2022-02-04T11:31:20Z' });
    expect(event.location).not.toHaveProperty('city');
    expect(event.location?.country).toStrictEqual({ code: 'CZ', name: 'Czechia' });
  });

  it('drops a linkedId that could not be stored as a key (control characters, over 256 characters)', () => {
    expect(normalizeV3Visit(set(v3Visit(), 'linkedId', 'a\nb'), HISTORY_VISITOR_ID)).not.toHaveProperty(
      'linkedId',
    );
    expect(
      normalizeV3Visit(set(v3Visit(), 'linkedId', 'x'.repeat(257)), HISTORY_VISITOR_ID),
    ).not.toHaveProperty('linkedId');
    expect(normalizeV3Visit(set(v3Visit(), 'linkedId', 'order-123'), HISTORY_VISITOR_ID).linkedId).toBe(
      'order-123',
    );
  });

  it('rejects a visitorId argument that is not a visitor id', () => {
    expect(rejection(() => normalizeV3Visit(v3Visit(), '')).field).toBe('visitorId');
    expect(rejection(() => normalizeV3Visit(v3Visit(), 'a\u0000b')).message).toContain(
      'not a valid visitor id',
    );
  });

  it('rejects a visit that is not an object', () => {
    expect(rejection(() => normalizeV3Visit('a visit', HISTORY_VISITOR_ID)).field).toBe('visit');
    expect(rejection(() => normalizeV3Visit(null, HISTORY_VISITOR_ID)).field).toBe('visit');
  });
});

describe('normalizeV3Event', () => {
  it('normalizes the GET /events example with its identification, location and every Smart Signal', () => {
    expect(normalizeV3Event(v3Event())).toStrictEqual({
      requestId: '1708102555327.NLOjmg',
      visitorId: 'Ibk1527CUFmcnjLwIs4A9',
      linkedId: 'somelinkedId',
      timestamp: 1582299576512,
      time: '2019-05-21T16:40:13Z',
      url: 'https://www.example.com/login?hope{this{works[!',
      ip: '61.127.217.15',
      incognito: true,
      tag: {},
      confidence: { score: 0.97 },
      visitorFound: false,
      firstSeenAt: { global: '2022-03-16T11:26:45.362Z', subscription: '2022-03-16T11:31:01.101Z' },
      lastSeenAt: { global: null, subscription: null },
      browser: CHROME_74_ON_WINDOWS_7,
      location: DUSSELDORF,
      signals: EXAMPLE_SIGNALS,
      source: 'v3',
      schemaVersion: SCHEMA_VERSION,
    });
  });

  it('keeps the identification incognito flag and the Incognito Smart Signal apart', () => {
    const event = normalizeV3Event(v3Event());

    expect(event.incognito).toBe(true);
    expect(event.signals?.incognito).toBe(false);
  });

  it('prefers ipLocation over ipInfo entries for other addresses than the event IP', () => {
    // The example's ipInfo describes 94.142.239.124 (Prague) and an IPv6 address (Berlin), not 61.127.217.15.
    expect(normalizeV3Event(v3Event()).location?.city).toBe('Dusseldorf');
  });

  it('takes the location from the ipInfo entry of the event IP when ipLocation is absent', () => {
    const body = v3Event();
    set(body, 'products.identification.data.ipLocation', undefined);
    set(body, 'products.identification.data.ip', '94.142.239.124');

    expect(normalizeV3Event(body).location).toStrictEqual({
      city: 'Prague',
      country: { code: 'CZ', name: 'Czechia' },
      continent: { code: 'EU', name: 'Europe' },
      subdivisions: [{ isoCode: '10', name: 'Hlavni mesto Praha' }],
      latitude: 50.05,
      longitude: 14.4,
      postalCode: '150 00',
      timezone: 'Europe/Prague',
      accuracyRadius: 20,
    });
  });

  it('has no location when neither ipLocation nor an ipInfo entry describes the event IP', () => {
    const body = set(v3Event(), 'products.identification.data.ipLocation', undefined);

    expect(normalizeV3Event(body)).not.toHaveProperty('location');
  });

  it('maps the extra-fields example: confidence revision kept, unknown products ignored', () => {
    const event = normalizeV3Event(v3Event('get_event_200_extra_fields'));

    expect(event.requestId).toBe('0KSh65EnVoB85JBmloQK');
    expect(event.confidence).toStrictEqual({ score: 0.97, revision: 'v1.1' });
    expect(event.visitorFound).toBe(true);
    expect(event.lastSeenAt).toStrictEqual({ global: '2022-03-16T11:28:34.023Z', subscription: null });
    expect(event.signals).toStrictEqual({ bot: 'notDetected' });
    expect(extraFields(event)).toStrictEqual([]);
  });

  it('ignores unknown fields at every level of the unknown-field example', () => {
    const event = normalizeV3Event(v3Event('get_event_200_with_unknown_field'));

    expect(event).toMatchObject({
      requestId: '1708102555327.NLOjmg',
      visitorId: 'Ibk1527CUFmcnjLwIs4A9',
      location: DUSSELDORF,
    });
    expect(extraFields(event)).toStrictEqual([]);
    expect(JSON.stringify(event)).not.toContain('unknown');
  });

  it('drops the object-valued linkedId of the broken-format example and keeps the rest', () => {
    const event = normalizeV3Event(v3Event('get_event_200_with_broken_format'));

    expect(event).not.toHaveProperty('linkedId');
    expect(event).toMatchObject({
      requestId: '1708102555327.NLOjmg',
      visitorId: 'Ibk1527CUFmcnjLwIs4A9',
      timestamp: 1582299576512,
      browser: CHROME_74_ON_WINDOWS_7,
      location: DUSSELDORF,
    });
    expect(event.signals).toMatchObject({ bot: 'notDetected', proxy: true });
  });

  it('keeps the identification when BotD failed, without a bot verdict', () => {
    const event = normalizeV3Event(v3Event('get_event_200_botd_failed_error'));

    expect(event.requestId).toBe('0KSh65EnVoB85JBmloQK');
    expect(event.location?.city).toBe('Dusseldorf');
    expect(event).not.toHaveProperty('signals');
  });

  it.each([
    ['get_event_200_all_errors', 'Failed'],
    ['get_event_200_identification_failed_error', 'Failed'],
    ['get_event_200_too_many_requests_error', '429 Too Many Requests'],
  ])('rejects %s, whose identification is an error, naming products.identification.data', (name, code) => {
    const error = rejection(() => normalizeV3Event(v3Event(name)));

    expect(error.field).toBe('products.identification.data');
    expect(error.message).toContain(code);
  });

  it('exposes the identification error so a caller can retry a rate-limited event', () => {
    expect(readV3IdentificationError(v3Event('get_event_200_too_many_requests_error'))).toStrictEqual({
      code: '429 Too Many Requests',
      message: 'too many requests',
    });
    expect(readV3IdentificationError(v3Event())).toBeUndefined();
    expect(readV3IdentificationError('not an event')).toBeUndefined();
  });

  it('normalizes each event of the GET /events/search example', () => {
    const events = JsonObjects.parse(fixture('v3/get_event_search_200.json').events).map(normalizeV3Event);

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      requestId: '1708102555327.NLOjmg',
      visitorId: 'Ibk1527CUFmcnjLwIs4A9',
      location: { city: 'Dusseldorf', country: { code: 'DE', name: 'Germany' } },
      signals: { bot: 'notDetected', vpn: false },
      source: 'v3',
    });
  });

  it('rejects a body without products, or one that is not an object', () => {
    expect(rejection(() => normalizeV3Event({ visits: [] })).field).toBe('products');
    expect(rejection(() => normalizeV3Event([])).field).toBe('body');
  });
});

describe('normalizeV4Event', () => {
  it('normalizes the GET /v4/events example: confidence version, seen-at times, Smart Signals', () => {
    expect(normalizeV4Event(v4Event())).toStrictEqual({
      requestId: '1708102555327.NLOjmg',
      visitorId: 'Ibk1527CUFmcnjLwIs4A9',
      linkedId: 'somelinkedId',
      timestamp: 1708102555327,
      time: '2024-02-16T16:55:55.327Z',
      url: 'https://www.example.com/login?hope{this{works[!',
      ip: '61.127.217.15',
      incognito: false,
      tag: {},
      confidence: { score: 0.97, revision: '1.1' },
      visitorFound: false,
      firstSeenAt: { global: null, subscription: '2024-02-16T16:55:55.327Z' },
      lastSeenAt: { global: null, subscription: '2024-02-16T16:55:55.327Z' },
      browser: CHROME_74_ON_WINDOWS_7,
      signals: EXAMPLE_SIGNALS,
      source: 'v4',
      schemaVersion: SCHEMA_VERSION,
    });
  });

  it('has no location when no ip_info entry is for the event IP, as in the example', () => {
    // The example's ip_address is 61.127.217.15; its ip_info describes 94.142.239.124 and an IPv6 address.
    expect(normalizeV4Event(v4Event())).not.toHaveProperty('location');
  });

  it('takes the location from the ip_info v4 entry of the event IP', () => {
    const body = set(v4Event(), 'ip_address', '94.142.239.124');

    expect(normalizeV4Event(body).location).toStrictEqual({
      city: 'Prague',
      country: { code: 'CZ', name: 'Czechia' },
      continent: { code: 'EU', name: 'Europe' },
      subdivisions: [{ isoCode: '10', name: 'Hlavni mesto Praha' }],
      latitude: 50.05,
      longitude: 14.4,
      postalCode: '150 00',
      timezone: 'Europe/Prague',
      accuracyRadius: 20,
    });
  });

  it('takes the location from the ip_info v6 entry, however the IPv6 address is spelled', () => {
    const body = set(v4Event(), 'ip_address', '2001:DB8:3333:4444:5555:6666:7777:8888');

    expect(normalizeV4Event(body).location).toMatchObject({
      city: 'Berlin',
      country: { code: 'DE', name: 'Germany' },
      subdivisions: [{ isoCode: 'BE', name: 'Land Berlin' }],
    });
  });

  it('ignores unknown fields, top-level and nested', () => {
    expect(normalizeV4Event(v4Event('get_event_200_with_unknown_field'))).toStrictEqual(
      normalizeV4Event(v4Event()),
    );
  });

  it('ignores the rule_action of a ruleset evaluation', () => {
    expect(normalizeV4Event(v4Event('get_event_ruleset_200'))).toStrictEqual(normalizeV4Event(v4Event()));
  });

  it('keeps the bot verdict and type of a detected bot', () => {
    const event = normalizeV4Event(v4Event('get_event_with_bot_info_200'));

    expect(event.signals).toMatchObject({ bot: 'good', botType: 'chatgpt_agent' });
    expect(extraFields(event)).toStrictEqual([]);
  });

  it('rejects an edge event, which has no identification and so no visitor', () => {
    const error = rejection(() => normalizeV4Event(v4Event('get_event_with_edge_200')));

    expect(error.field).toBe('identification.visitor_id');
    expect(error.message).toContain('no identification');
  });

  it('normalizes each event of the GET /v4/events search example', () => {
    const events = JsonObjects.parse(fixture('v4/events/search/get_event_search_200.json').events).map(
      normalizeV4Event,
    );

    expect(events.map((event) => [event.requestId, event.visitorId, event.source])).toStrictEqual([
      ['1708102555327.NLOjmg', 'Ibk1527CUFmcnjLwIs4A9', 'v4'],
    ]);
  });

  it('stores no raw device attributes, velocity, SDK or supplementary ids', () => {
    const event = normalizeV4Event(v4Event());

    expect(extraFields(event)).toStrictEqual([]);
    for (const text of [
      'raw_device_attributes',
      'WebGL',
      'Arial',
      'velocity',
      'fingerprint-pro-react',
      '0jnGMkPYXX37',
    ]) {
      expect(JSON.stringify(event)).not.toContain(text);
    }
  });

  it('reads the ip blocklist: email spam or attack source blocklists the IP, tor_node is the Tor signal', () => {
    const body = set(v4Event(), 'ip_blocklist', { email_spam: false, attack_source: true, tor_node: true });

    expect(normalizeV4Event(body).signals).toMatchObject({ ipBlocklisted: true, tor: true });
  });

  it('takes os, version and device from the top level of a mobile event without browser_details', () => {
    const body = v4Event();
    set(body, 'browser_details', undefined);
    set(body, 'os', 'Android');
    set(body, 'os_version', '14');
    set(body, 'device', 'Pixel 8');

    expect(normalizeV4Event(body).browser).toStrictEqual({
      name: '',
      majorVersion: '',
      fullVersion: '',
      os: 'Android',
      osVersion: '14',
      device: 'Pixel 8',
      userAgent: 'Mozilla/5.0 (Windows NT 6.1; Win64; x64) ....',
    });
  });

  it('drops wrong-typed optional fields instead of failing the event', () => {
    const body = v4Event();
    set(body, 'bot', 5);
    set(body, 'vpn', 'yes');
    set(body, 'tags', 'vip');
    set(body, 'ip_info', []);
    set(body, 'identification.confidence', 0.97);
    set(body, 'identification.first_seen_at', '2024-02-16');

    const event = normalizeV4Event(set(body, 'ip_address', '94.142.239.124'));

    expect(event.signals).not.toHaveProperty('bot');
    expect(event.signals).not.toHaveProperty('vpn');
    for (const field of ['tag', 'location', 'confidence', 'firstSeenAt']) {
      expect(event).not.toHaveProperty(field);
    }
    expect(event.lastSeenAt).toStrictEqual({ global: null, subscription: '2024-02-16T16:55:55.327Z' });
  });

  it('keeps a tag DynamoDB could not store as text: integers beyond 2^53, and nesting past 16 levels', () => {
    // A 64-bit id sent as a JSON number, and a tag nested 20 levels deep.
    let deep: unknown = { leaf: true };
    for (let level = 0; level < 19; level += 1) deep = { next: deep };
    const body = JSON.parse(
      JSON.stringify(set(v4Event(), 'tags', { plain: { list: [1, 'x', null, 2.5] }, deep })).replace(
        '"plain":',
        '"userId":1234567890123456789,"plain":',
      ),
    );

    const tag = normalizeV4Event(body).tag ?? {};

    expect(tag.userId).toBe('1234567890123456800');
    expect(tag.plain).toEqual({ list: [1, 'x', null, 2.5] });
    // The tag is level 1 and `deep` level 2; what sits at level 16 is kept as its JSON text, nothing lost.
    let stored = tag.deep as Record<string, unknown>;
    let original = deep as Record<string, unknown>;
    for (let level = 3; level < 16; level += 1) {
      stored = stored.next as Record<string, unknown>;
      original = original.next as Record<string, unknown>;
    }
    expect(typeof stored.next).toBe('string');
    expect(JSON.parse(stored.next as string)).toEqual(original.next);
  });
});

describe('normalizeWebhook', () => {
  it('reads the legacy v3 flat webhook, with its bot verdict, suspect score and location', () => {
    expect(normalizeWebhook(v3Webhook())).toStrictEqual({
      requestId: 'Px6VxbRC6WBkA39yeNH3',
      visitorId: '3HNey93AkBW6CRbxV6xP',
      linkedId: 'any-string',
      timestamp: 1554910997788,
      time: '2019-10-12T07:20:50.52Z',
      url: 'https://banking.example.com/signup',
      ip: '216.3.128.12',
      incognito: false,
      tag: { requestType: 'signup', yourCustomId: 45321 },
      confidence: { score: 0.97 },
      visitorFound: true,
      firstSeenAt: { global: '2022-03-16T11:26:45.362Z', subscription: '2022-03-16T11:31:01.101Z' },
      lastSeenAt: { global: '2022-03-16T11:28:34.023Z', subscription: null },
      browser: {
        name: 'Chrome',
        majorVersion: '73',
        fullVersion: '73.0.3683.86',
        os: 'Mac OS X',
        osVersion: '10.14.3',
        device: 'Other',
        userAgent: '(Macintosh; Intel Mac OS X 10_14_3) Chrome/73.0.3683.86',
      },
      location: {
        city: 'Bolingbrook',
        country: { code: 'US', name: 'United States' },
        continent: { code: 'NA', name: 'North America' },
        subdivisions: [{ isoCode: 'IL', name: 'Illinois' }],
        latitude: 41.12933,
        longitude: -88.9954,
        postalCode: '60547',
        timezone: 'America/Chicago',
        accuracyRadius: 1,
      },
      signals: {
        bot: 'bad',
        botType: 'selenium',
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
        developerTools: false,
        locationSpoofing: true,
        highActivity: false,
        ipBlocklisted: false,
        suspectScore: 0,
      },
      source: 'webhook',
      schemaVersion: SCHEMA_VERSION,
    });
  });

  it('reads the v4 webhook as a v4 event, marked as coming from a webhook', () => {
    const event = normalizeWebhook(v4Webhook());

    expect(event).toStrictEqual({ ...normalizeV4Event(v4Webhook()), source: 'webhook' });
    expect(event).toMatchObject({
      requestId: '1708102555327.NLOjmg',
      visitorId: 'Ibk1527CUFmcnjLwIs4A9',
      browser: CHROME_74_ON_WINDOWS_7,
      signals: { bot: 'notDetected', proxy: true, vpn: false },
    });
  });

  it('stores none of the supplementary ids, SDK or raw attributes of the v3 webhook', () => {
    const event = normalizeWebhook(v3Webhook());

    expect(extraFields(event)).toStrictEqual([]);
    for (const text of ['supplementaryIds', 'clientReferrer', 'rawDeviceAttributes', 'srgb', 'preact']) {
      expect(JSON.stringify(event)).not.toContain(text);
    }
  });

  it('rejects an empty payload, naming requestId and mentioning event_id', () => {
    const error = rejection(() => normalizeWebhook({}));

    expect(error.field).toBe('requestId');
    expect(error.message).toContain('event_id');
  });
});

describe('required fields', () => {
  const cases = [
    {
      shape: 'v3 visit',
      field: 'requestId',
      build: v3Visit,
      normalize: (p: Json) => normalizeV3Visit(p, 'abc'),
    },
    {
      shape: 'v3 visit',
      field: 'timestamp',
      build: v3Visit,
      normalize: (p: Json) => normalizeV3Visit(p, 'abc'),
    },
    {
      shape: 'v3 event',
      field: 'products.identification.data.requestId',
      build: v3Event,
      normalize: normalizeV3Event,
    },
    {
      shape: 'v3 event',
      field: 'products.identification.data.visitorId',
      build: v3Event,
      normalize: normalizeV3Event,
    },
    {
      shape: 'v3 event',
      field: 'products.identification.data.timestamp',
      build: v3Event,
      normalize: normalizeV3Event,
    },
    { shape: 'v3 webhook', field: 'requestId', build: v3Webhook, normalize: normalizeWebhook },
    { shape: 'v3 webhook', field: 'visitorId', build: v3Webhook, normalize: normalizeWebhook },
    { shape: 'v3 webhook', field: 'timestamp', build: v3Webhook, normalize: normalizeWebhook },
    { shape: 'v4 event', field: 'event_id', build: () => v4Event(), normalize: normalizeV4Event },
    {
      shape: 'v4 event',
      field: 'identification.visitor_id',
      build: () => v4Event(),
      normalize: normalizeV4Event,
    },
    { shape: 'v4 event', field: 'timestamp', build: () => v4Event(), normalize: normalizeV4Event },
    { shape: 'v4 webhook', field: 'event_id', build: v4Webhook, normalize: normalizeWebhook },
    {
      shape: 'v4 webhook',
      field: 'identification.visitor_id',
      build: v4Webhook,
      normalize: normalizeWebhook,
    },
    { shape: 'v4 webhook', field: 'timestamp', build: v4Webhook, normalize: normalizeWebhook },
  ];

  it.each(cases)('rejects a $shape without $field, naming the field', ({ field, build, normalize }) => {
    const error = rejection(() => normalize(set(build(), field, undefined)));

    expect(error.field).toBe(field);
    expect(error.message).toContain(`${field} is missing`);
  });

  it.each(cases)(
    'rejects a $shape whose $field has the wrong type, naming the field',
    ({ field, build, normalize }) => {
      const wrong = field.endsWith('timestamp') ? '2024-02-16T16:55:55Z' : 1708102555327;

      const error = rejection(() => normalize(set(build(), field, wrong)));

      expect(error.field).toBe(field);
      expect(error.message).toMatch(/must be/);
    },
  );

  it('rejects ids that break the id rule, with the rule and how to fix it', () => {
    expect(rejection(() => normalizeV4Event(set(v4Event(), 'event_id', '..'))).message).toBe(
      `event_id is not a valid request id. ${ID_MESSAGES.requestId}`,
    );
    expect(rejection(() => normalizeWebhook(set(v3Webhook(), 'visitorId', 'abc\u2029'))).message).toBe(
      `visitorId is not a valid visitor id. ${ID_MESSAGES.visitorId}`,
    );
    expect(rejection(() => normalizeV4Event(set(v4Event(), 'event_id', 'x'.repeat(257)))).field).toBe(
      'event_id',
    );
  });

  it('accepts every id the documents allow that the table can key', () => {
    for (const id of ['a/b', '../visitors/x', 'with space', 'é😀', 'x'.repeat(256)]) {
      const event = normalizeV4Event(set(set(v4Event(), 'event_id', id), 'identification.visitor_id', id));
      expect(event).toMatchObject({ requestId: id, visitorId: id });
    }
  });

  it('rejects a negative or fractional timestamp', () => {
    expect(rejection(() => normalizeV4Event(set(v4Event(), 'timestamp', -1))).field).toBe('timestamp');
    expect(rejection(() => normalizeV4Event(set(v4Event(), 'timestamp', 1.5))).field).toBe('timestamp');
  });
});

describe('toV3Visit', () => {
  it('renders every visit of the limit=500 example back unchanged, minus components', () => {
    const { visitorId, visits } = z.object({ visitorId: z.string(), visits: JsonObjects }).parse(v3History());

    const rendered = visits.map((visit) => toV3Visit(normalizeV3Visit(visit, visitorId)));

    expect(rendered).toStrictEqual(visits.map(withoutComponents));
  });

  it('renders the limit=1 example back unchanged, and a visit with components back without them', () => {
    const original = v3Visit();
    const withComponents = set(v3Visit(), 'components', { audio: { value: 35.7 } });

    expect(toV3Visit(normalizeV3Visit(original, HISTORY_VISITOR_ID))).toStrictEqual(original);
    expect(toV3Visit(normalizeV3Visit(withComponents, HISTORY_VISITOR_ID))).toStrictEqual(original);
  });

  it('renders a v4 event with its location as ipLocation and its confidence version as revision', () => {
    const visit = toV3Visit(normalizeV4Event(set(v4Event(), 'ip_address', '94.142.239.124')));

    expect(visit).toStrictEqual({
      requestId: '1708102555327.NLOjmg',
      browserDetails: {
        browserName: 'Chrome',
        browserMajorVersion: '74',
        browserFullVersion: '74.0.3729',
        os: 'Windows',
        osVersion: '7',
        device: 'Other',
        userAgent: 'Mozilla/5.0 (Windows NT 6.1; Win64; x64) ....',
      },
      incognito: false,
      ip: '94.142.239.124',
      ipLocation: {
        accuracyRadius: 20,
        latitude: 50.05,
        longitude: 14.4,
        postalCode: '150 00',
        timezone: 'Europe/Prague',
        city: { name: 'Prague' },
        country: { code: 'CZ', name: 'Czechia' },
        continent: { code: 'EU', name: 'Europe' },
        subdivisions: [{ isoCode: '10', name: 'Hlavni mesto Praha' }],
      },
      linkedId: 'somelinkedId',
      timestamp: 1708102555327,
      time: '2024-02-16T16:55:55.327Z',
      url: 'https://www.example.com/login?hope{this{works[!',
      tag: {},
      confidence: { score: 0.97, revision: '1.1' },
      visitorFound: false,
      firstSeenAt: { global: null, subscription: '2024-02-16T16:55:55.327Z' },
      lastSeenAt: { global: null, subscription: '2024-02-16T16:55:55.327Z' },
    });
  });

  it('fills the required v3 fields a sparse event lacks with schema-valid empty values', () => {
    const body = v4Event();
    const absent = [
      'url',
      'ip_address',
      'incognito',
      'tags',
      'browser_details',
      'user_agent',
      'os',
      'os_version',
      'device',
    ];
    for (const field of absent) set(body, field, undefined);
    set(body, 'identification', { visitor_id: 'Ibk1527CUFmcnjLwIs4A9' });

    expect(toV3Visit(normalizeV4Event(body))).toStrictEqual({
      requestId: '1708102555327.NLOjmg',
      browserDetails: {
        browserName: '',
        browserMajorVersion: '',
        browserFullVersion: '',
        os: '',
        osVersion: '',
        device: '',
        userAgent: '',
      },
      incognito: false,
      ip: '',
      linkedId: 'somelinkedId',
      timestamp: 1708102555327,
      time: '2024-02-16T16:55:55.327Z',
      url: '',
      tag: {},
      visitorFound: false,
      firstSeenAt: { global: null, subscription: null },
      lastSeenAt: { global: null, subscription: null },
    });
  });

  it('returns a visit that shares no objects with the stored event', () => {
    const event = normalizeV3Visit(v3Visit(), HISTORY_VISITOR_ID);

    const visit = toV3Visit(event);
    visit.tag.changed = true;
    visit.firstSeenAt.global = null;

    expect(event.tag).toStrictEqual({});
    expect(event.firstSeenAt?.global).toBe('2022-02-04T11:31:20Z');
  });
});
