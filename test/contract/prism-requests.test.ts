import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFingerprintClient, DEFAULT_HISTORY_DAYS } from '../../shared/fingerprint/client.js';
import type { FingerprintClient } from '../../shared/fingerprint/types.js';
import {
  type Exchange,
  type PrismProcess,
  type RecordingProxy,
  requestProblems,
  startPrism,
  startRecordingProxy,
} from '../support/prism.js';
import { API_KEY } from '../support/service.js';

/**
 * Every request our Server API client sends, in each dialect, is checked by Stoplight Prism against
 * Fingerprint's official document (`test/fixtures/fingerprint/openapi/`): paths, parameters and their limits,
 * and the security scheme. Prism runs in static mode (answers are the documents' own examples), which keeps
 * the client on its normal path (pagination included) and the suite deterministic.
 */

/** Long enough for Prism to start on a busy 2-core machine; the requests themselves take milliseconds. */
const SUITE_TIMEOUT_MS = 120_000;
const DAY_MS = 86_400_000;

describe.each(['v4', 'v3'] as const)('requests of the %s client, validated by Prism', (apiVersion) => {
  let prism: PrismProcess;
  let proxy: RecordingProxy;
  let client: FingerprintClient;

  beforeAll(async () => {
    prism = await startPrism({ apiVersion, dynamic: false });
    proxy = await startRecordingProxy({ apiVersion, target: prism.url, apiKey: API_KEY });
    client = createFingerprintClient({
      apiVersion,
      baseUrl: proxy.url,
      keys: { getKey: async () => API_KEY, invalidate: () => undefined },
      maxRps: Number.POSITIVE_INFINITY,
      // Retries send the same request again: nothing new for Prism to check, so they need not wait.
      sleep: async () => undefined,
    });
  }, SUITE_TIMEOUT_MS);
  afterAll(async () => {
    await proxy?.close();
    await prism?.stop();
  }, SUITE_TIMEOUT_MS);
  beforeEach(() => {
    proxy.exchanges.length = 0;
  });

  const deadline = () => ({ deadline: Date.now() + 20_000 });

  /** Runs one client call, whatever its outcome: only the requests it sent are under test here. */
  const sent = async (call: () => Promise<unknown>): Promise<Exchange[]> => {
    await call().catch(() => undefined);
    const exchanges = [...proxy.exchanges];
    expect(exchanges.length, 'the call reached Prism').toBeGreaterThan(0);
    expect(exchanges.flatMap(requestProblems)).toEqual([]);
    return exchanges;
  };

  const routes = (exchanges: Exchange[]) => [...new Set(exchanges.map((e) => `${e.method} ${e.route}`))];

  it.each([
    ['the usual form', '1708102555327.NLOjmg'],
    ['the 20-character form of older examples', 'Px6VxbRC6WBkA39yeNH3'],
  ])('getEvent with a requestId of %s', async (_, requestId) => {
    const exchanges = await sent(() => client.getEvent(requestId, deadline()));
    expect(routes(exchanges)).toEqual([`GET /events/${requestId}`]);
  });

  it.each([1, 7, 100, 101, 500])(
    'searchEvents by visitorId with maxEvents %i sends a limit the document allows',
    async (maxEvents) => {
      const exchanges = await sent(() =>
        client.searchEvents({ visitorId: 'Ibk1527CUFmcnjLwIs4A9', maxEvents }, deadline()),
      );
      // v3 histories search `/events/search` too: `GET /visitors` was removed (ADR 0009).
      expect(routes(exchanges)).toEqual([apiVersion === 'v4' ? 'GET /events' : 'GET /events/search']);
      for (const exchange of exchanges) {
        expect(exchange.query.get('visitor_id')).toBe('Ibk1527CUFmcnjLwIs4A9');
        expect(Number(exchange.query.get('limit'))).toBeGreaterThanOrEqual(1);
      }
    },
  );

  // Both documents: without `start` a search covers the last 7 days only. Prism checks the type (v3 int64, v4
  // date-time or int64); the form each version documents as its own is checked here.
  /** The instant a `start` or `end` stands for, once checked to be in the form the version documents. */
  const instant = (value: string | null): number => {
    if (apiVersion === 'v3') {
      expect(value, 'v3: unix ms').toMatch(/^\d+$/);
      return Number(value);
    }
    expect(value, 'v4: RFC3339').toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    return Date.parse(value ?? '');
  };

  it('searchEvents sends start, by default the history window, in the documented form', async () => {
    const before = Date.now();
    const exchanges = await sent(() =>
      client.searchEvents({ visitorId: 'Ibk1527CUFmcnjLwIs4A9', maxEvents: 10 }, deadline()),
    );
    const after = Date.now();
    for (const exchange of exchanges) {
      // The client's default window: DEFAULT_HISTORY_DAYS before the call.
      const start = instant(exchange.query.get('start'));
      expect(start).toBeGreaterThanOrEqual(before - DEFAULT_HISTORY_DAYS * DAY_MS);
      expect(start).toBeLessThanOrEqual(after - DEFAULT_HISTORY_DAYS * DAY_MS);
      expect(exchange.query.has('end'), 'end is left to default to now').toBe(false);
    }
  });

  it('searchEvents sends a given start and end in the documented form', async () => {
    const start = 1_767_225_600_000;
    const end = 1_769_903_999_000;
    const exchanges = await sent(() =>
      client.searchEvents({ linkedId: 'order-1', maxEvents: 10, start, end }, deadline()),
    );
    for (const exchange of exchanges) {
      expect(instant(exchange.query.get('start'))).toBe(start);
      expect(instant(exchange.query.get('end'))).toBe(end);
    }
  });

  it.each([
    ['a plain one', 'order-1'],
    ['reserved URL characters and non-ASCII text', 'order #42 & co/ü?=+%20'],
    ['the longest accepted (256 characters)', 'L'.repeat(256)],
  ])('searchEvents by a linkedId of %s', async (_, linkedId) => {
    const exchanges = await sent(() => client.searchEvents({ linkedId, maxEvents: 50 }, deadline()));
    expect(routes(exchanges)).toEqual([apiVersion === 'v4' ? 'GET /events' : 'GET /events/search']);
    // The id arrives as the caller gave it: encoded, not cut or mangled.
    for (const exchange of exchanges) expect(exchange.query.get('linked_id')).toBe(linkedId);
  });

  it('searchEvents by visitorId and linkedId together', async () => {
    const exchanges = await sent(() =>
      client.searchEvents(
        { visitorId: 'Ibk1527CUFmcnjLwIs4A9', linkedId: 'order-1', maxEvents: 20 },
        deadline(),
      ),
    );
    expect(routes(exchanges)).toEqual([apiVersion === 'v4' ? 'GET /events' : 'GET /events/search']);
    for (const exchange of exchanges) {
      expect(exchange.query.get('visitor_id')).toBe('Ibk1527CUFmcnjLwIs4A9');
      expect(exchange.query.get('linked_id')).toBe('order-1');
    }
  });

  // The documents' example pages carry a pagination key, so a history longer than a page asks for the next.
  it.each([
    ['visitorId', { visitorId: 'Ibk1527CUFmcnjLwIs4A9' }],
    ['linkedId', { linkedId: 'order-1' }],
  ])('follows pagination of a %s history with a valid page key', async (_, filter) => {
    const exchanges = await sent(() => client.searchEvents({ ...filter, maxEvents: 500 }, deadline()));
    const paged = exchanges.filter((exchange) => exchange.query.has('pagination_key'));
    expect(paged.length, 'a request carried pagination_key').toBeGreaterThan(0);
  });

  it('deleteVisitor', async () => {
    const exchanges = await sent(() => client.deleteVisitor('Ibk1527CUFmcnjLwIs4A9', deadline()));
    expect(routes(exchanges)).toEqual(['DELETE /visitors/Ibk1527CUFmcnjLwIs4A9']);
  });

  // The checks above are only as good as the harness: requests that break the document must be reported.
  it('reports a request that breaks the document: wrong auth, a limit out of range, a missing parameter, a start of the wrong form', async () => {
    const base = apiVersion === 'v4' ? `${proxy.url}/v4` : proxy.url;
    const auth = apiVersion === 'v4' ? { Authorization: `Bearer ${API_KEY}` } : { 'Auth-API-Key': API_KEY };
    const wrongAuth =
      apiVersion === 'v4' ? { 'Auth-API-Key': API_KEY } : { Authorization: `Bearer ${API_KEY}` };
    const broken =
      apiVersion === 'v4'
        ? [
            [`${base}/events?visitor_id=Ibk1527CUFmcnjLwIs4A9&limit=101`, auth],
            [`${base}/events/1708102555327.NLOjmg`, wrongAuth],
            [`${proxy.url}/events/1708102555327.NLOjmg`, auth],
            [`${base}/events?visitor_id=Ibk1527CUFmcnjLwIs4A9&start=yesterday`, auth],
          ]
        : [
            [`${base}/events/search?linked_id=order-1`, auth],
            [`${base}/visitors/Ibk1527CUFmcnjLwIs4A9?limit=-1`, auth],
            [`${base}/events/1708102555327.NLOjmg`, wrongAuth],
            // v4's form of start, which v3 does not document.
            [
              `${base}/events/search?visitor_id=Ibk1527CUFmcnjLwIs4A9&limit=10&start=2026-01-01T00:00:00Z`,
              auth,
            ],
          ];
    for (const [url, headers] of broken as Array<[string, Record<string, string>]>) {
      await (await fetch(url, { headers })).arrayBuffer();
    }
    expect(proxy.exchanges).toHaveLength(broken.length);
    for (const exchange of proxy.exchanges) expect(requestProblems(exchange)).not.toEqual([]);
  });
});
