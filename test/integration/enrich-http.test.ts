import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { HISTORY_OVERLAP_MS } from '../../functions/enrich/history-window.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { recordFigures } from '../support/figures.js';
import { expectError, jsonBody } from '../support/http-assertions.js';
import { parseLogLines } from '../support/log-lines.js';
import { API_KEY, useService } from '../support/service.js';

const VISITOR_ID = 'Ibk1527CUFmcnjLwIs4A9';

interface EnrichAnswer {
  events: NormalizedEvent[];
  source: 'cache' | 'fingerprint';
  stored: number;
  skipped: { count: number; reasons: Record<string, number> };
  complete: boolean;
}

describe.each(['v4', 'v3'] as const)('POST /enrich (Server API %s)', (apiVersion) => {
  const service = useService({ apiVersion });
  const responses: string[] = [];

  afterEach(() => {
    const seen = service.output.text() + responses.join('\n');
    responses.length = 0;
    expect(seen).not.toContain(API_KEY);
    expect(seen).not.toMatch(/Bearer\s/);
  });

  const post = async (body: unknown, remainingMs?: number) => {
    const response = await service.call('POST', '/enrich', {
      body,
      ...(remainingMs !== undefined && { remainingMs }),
    });
    responses.push(response.body);
    return response;
  };

  it('answers a requestId from Fingerprint once, then from the cache with no upstream call', async () => {
    const [seed] = service.upstream.seedMany(1, { visitorId: VISITOR_ID });
    if (seed === undefined) throw new Error('no seed');

    const first = await post({ requestId: seed.requestId });
    const second = await post({ requestId: seed.requestId });

    expect(first.statusCode).toBe(200);
    expect(jsonBody<EnrichAnswer>(first)).toMatchObject({ source: 'fingerprint', stored: 1 });
    expect(jsonBody<EnrichAnswer>(second)).toMatchObject({ source: 'cache', stored: 0 });
    expect(jsonBody<EnrichAnswer>(second).events).toEqual(jsonBody<EnrichAnswer>(first).events);
    expect(jsonBody<EnrichAnswer>(first).events[0]).toMatchObject({
      requestId: seed.requestId,
      visitorId: VISITOR_ID,
      timestamp: seed.timestamp,
      source: apiVersion,
    });
    expect(service.upstream.requests).toHaveLength(1);
    // The upstream call is logged at INFO; the cache hit, a plain read, only in the access log.
    const enriched = parseLogLines(service.output.text()).lines.filter((line) => line.message === 'Enriched');
    expect(enriched).toEqual([expect.objectContaining({ level: 'INFO', source: 'fingerprint', stored: 1 })]);
  });

  it('calls Fingerprint again for a cached requestId when refresh is true', async () => {
    const [seed] = service.upstream.seedMany(1, { visitorId: VISITOR_ID });
    if (seed === undefined) throw new Error('no seed');

    await post({ requestId: seed.requestId });
    const refreshed = await post({ requestId: seed.requestId, refresh: true });

    expect(jsonBody<EnrichAnswer>(refreshed)).toMatchObject({ source: 'fingerprint', stored: 1 });
    expect(service.upstream.requests).toHaveLength(2);
  });

  it('pulls a visitor history newest first, following pagination up to maxEvents', async () => {
    const visitorId = `Hist${apiVersion}AAAAAAAAAAAAAAAA`.slice(0, 20);
    service.upstream.seedMany(30, { visitorId });

    const response = await post({ visitorId, maxEvents: 25 });

    const answer = jsonBody<EnrichAnswer>(response);
    expect(answer.stored).toBe(25);
    expect(answer.events).toHaveLength(25);
    const timestamps = answer.events.map((event) => event.timestamp);
    expect(timestamps).toEqual([...timestamps].sort((a, b) => b - a));
    expect(answer.events.every((event) => event.visitorId === visitorId)).toBe(true);
  });

  it('answers a history holding bad events with the others stored, the skips counted, and complete: false', async () => {
    const visitorId = `Skip${apiVersion}AAAAAAAAAAAAAAAA`.slice(0, 20);
    const seeds = service.upstream.seedMany(6, { visitorId });
    // Where an event's own fields sit: at the top of a v4 event, under the identification of a v3 one.
    const reason = apiVersion === 'v4' ? 'timestamp' : 'products.identification.data.timestamp';
    const fieldsOf = (event: Record<string, unknown>): Record<string, unknown> =>
      apiVersion === 'v4'
        ? event
        : ((event.products as Record<string, { data: Record<string, unknown> }>).identification?.data ?? {});
    service.upstream.failNext(
      {
        kind: 'edit',
        edit: (page) => {
          fieldsOf((page.events as Array<Record<string, unknown>>)[1] ?? {}).timestamp = 'soon';
          return page;
        },
      },
      1,
      (request) => request.query.visitor_id === visitorId || request.path.endsWith(visitorId),
    );

    const response = await post({ visitorId });

    expect(response.statusCode).toBe(200);
    const answer = jsonBody<EnrichAnswer>(response);
    expect(answer).toMatchObject({
      stored: 5,
      skipped: { count: 1, reasons: { [reason]: 1 } },
      complete: false,
    });
    expect(answer.events.map((event) => event.requestId)).not.toContain(seeds[1]?.requestId);
    const warning = parseLogLines(service.output.text()).lines.find(
      (line) => line.message === 'Events skipped',
    );
    expect(warning).toMatchObject({ level: 'WARN', skipped: { count: 1, reasons: { [reason]: 1 } } });
  });

  it('answers a whole history with complete: true and nothing skipped', async () => {
    const visitorId = `Whole${apiVersion}AAAAAAAAAAAAAAAA`.slice(0, 20);
    service.upstream.seedMany(4, { visitorId });

    const answer = jsonBody<EnrichAnswer>(await post({ visitorId }));

    expect(answer).toMatchObject({ stored: 4, skipped: { count: 0, reasons: {} }, complete: true });
  });

  it('answers 502 naming both ids, storing nothing, when Fingerprint answers another event', async () => {
    const [asked, other] = service.upstream.seedMany(2, { visitorId: VISITOR_ID });
    if (asked === undefined || other === undefined) throw new Error('seedMany returned too few');
    const swap = (body: Record<string, unknown>) => {
      if (apiVersion === 'v4') return { ...body, event_id: other.requestId };
      const data = (body.products as { identification: { data: Record<string, unknown> } }).identification
        .data;
      data.requestId = other.requestId;
      return body;
    };
    service.upstream.failNext({ kind: 'edit', edit: swap }, 10, (request) =>
      request.path.endsWith(asked.requestId),
    );

    const response = await post({ requestId: asked.requestId });

    const error = expectError(response, 502, 'UpstreamBadResponse');
    expect(error.message).toContain(asked.requestId);
    expect(error.message).toContain(other.requestId);
    expect(service.upstream.requests).toHaveLength(1);
    const keys = (await service.allItems()).map((item) => item.requestId);
    expect(keys).not.toContain(asked.requestId);
    expect(keys).not.toContain(other.requestId);
  });

  it("answers 502 UpstreamMisconfigured naming FINGERPRINT_BASE_URL for a proxy's route-not-found 404", async () => {
    service.upstream.failNext(
      { kind: 'status', status: 404, body: '{"message":"Not Found"}' },
      10,
      (request) => request.path.includes('Proxy4'),
    );

    const response = await post({ requestId: '1708102555327.Proxy4' });

    expect(expectError(response, 502, 'UpstreamMisconfigured').message).toContain('FINGERPRINT_BASE_URL');
    expect(service.upstream.requests).toHaveLength(1);
  });

  it('answers 404 NotFound for a requestId Fingerprint does not know', async () => {
    const response = await post({ requestId: '1708102555327.Nope00' });
    expectError(response, 404, 'NotFound');
  });

  it.each([
    ['malformed JSON', '{"requestId":', 'body'],
    ['an unknown field', { requestId: '1708102555327.NLOjmg', extra: true }, 'extra'],
    ['a dot-segment requestId', { requestId: '..' }, 'requestId'],
    ['a visitorId with a C1 control character', { visitorId: 'abc\u0085' }, 'visitorId'],
    ['a linkedId with a line separator', { linkedId: 'order\u2028-1' }, 'linkedId'],
    ['an over-long linkedId', { linkedId: 'x'.repeat(257) }, 'linkedId'],
    ['maxEvents above 500', { linkedId: 'order-1', maxEvents: 501 }, 'maxEvents'],
  ])('refuses %s with 400 naming the field, without calling Fingerprint', async (_, body, field) => {
    const response = await post(body);
    expectError(response, 400, 'ValidationFailed', field);
    expect(service.upstream.requests).toEqual([]);
  });

  it('sends a requestId with slashes and a query string as one encoded path segment, never another route', async () => {
    const requestId = '../../v4/visitors/x?api_key=1';

    const response = await post({ requestId });

    expectError(response, 404, 'NotFound');
    expect(service.upstream.requests.map((request) => request.path)).toEqual([
      `${apiVersion === 'v4' ? '/v4' : ''}/events/${encodeURIComponent(requestId)}`,
    ]);
  });

  it('answers 429 with Retry-After when Fingerprint keeps rate limiting past the deadline', async () => {
    service.upstream.failNext({ kind: 'status', status: 429, retryAfter: '1' }, 1_000, (request) =>
      request.path.includes('Rate00'),
    );

    const response = await post({ requestId: '1708102555327.Rate00' }, 4_000);

    expectError(response, 429, 'UpstreamRateLimited');
    expect(Number(response.headers?.['Retry-After'])).toBeGreaterThanOrEqual(1);
  });

  it('answers 502 naming FINGERPRINT_REGION when the key belongs to another region', async () => {
    const wrongRegion =
      apiVersion === 'v4'
        ? '{"error":{"code":"wrong_region","message":"Wrong region"}}'
        : '{"error":{"code":"WrongRegion","message":"wrong region"}}';
    service.upstream.failNext({ kind: 'status', status: 403, body: wrongRegion }, 1_000, (request) =>
      request.path.includes('Region'),
    );

    const response = await post({ requestId: '1708102555327.Region' });

    expect(expectError(response, 502, 'UpstreamAuthFailed').message).toContain('FINGERPRINT_REGION');
  });
});

describe('POST /enrich with a linkedId of 250 events (Server API v4)', () => {
  const service = useService({ apiVersion: 'v4' });

  it('makes 3 upstream calls for maxEvents 500 and stores all 250', async () => {
    service.upstream.seedMany(250, { visitorId: VISITOR_ID, linkedId: 'order-250' });

    const response = await service.call('POST', '/enrich', {
      body: { linkedId: 'order-250', maxEvents: 500 },
    });

    const answer = jsonBody<EnrichAnswer>(response);
    expect(answer).toMatchObject({ source: 'fingerprint', stored: 250 });
    expect(new Set(answer.events.map((event) => event.requestId)).size).toBe(250);
    expect(service.upstream.requests).toHaveLength(3);
    expect(await service.eventItems()).toHaveLength(250);
  });
});

describe.each(['v4', 'v3'] as const)(
  'POST /enrich of a history over its window (Server API %s)',
  (apiVersion) => {
    const DAY = 86_400_000;
    const service = useService({ apiVersion });

    const post = async (body: unknown) => {
      const response = await service.call('POST', '/enrich', { body });
      expect(response.statusCode).toBe(200);
      return jsonBody<EnrichAnswer>(response);
    };
    /** Distinct visitors per test, so that each starts with nothing cached. */
    let visitors = 0;
    const newVisitor = () => {
      visitors += 1;
      return `Win${apiVersion}Visitor${String(visitors).padStart(6, '0')}`;
    };
    /** `count` events of a visitor, newest first, `gapMs` apart, the newest at `newest`. */
    const history = (visitorId: string, count: number, newest: number, gapMs: number) => {
      const seeds = Array.from({ length: count }, (_, index) => {
        const timestamp = newest - index * gapMs;
        return { requestId: `${timestamp}.Hst${String(index).padStart(3, '0')}`, visitorId, timestamp };
      });
      service.upstream.seed(seeds);
      return seeds;
    };
    const ids = (events: ReadonlyArray<{ requestId: string }>) => events.map((event) => event.requestId);

    it('enriches a 25-day history whole, where a search without start would have covered 7 days', async () => {
      const visitorId = newVisitor();
      const now = Date.now();
      const seeds = Array.from({ length: 50 }, (_, index) => {
        const timestamp = now - Math.round((index * 25 * DAY) / 50) - 60_000;
        return { requestId: `${timestamp}.Days${String(index).padStart(2, '0')}`, visitorId, timestamp };
      });
      service.upstream.seed(seeds);

      const answer = await post({ visitorId });

      expect(ids(answer.events)).toEqual(ids(seeds));
      expect(answer.stored).toBe(50);
      expect(service.upstream.requests).toHaveLength(1);
    });

    it('re-enriches a cached 250-event history with one upstream call, with 0 and with 3 new events', async () => {
      const visitorId = newVisitor();
      // Spread over 25 days, as a real history is: the overlap re-reads only the few newest.
      const old = history(visitorId, 250, Date.now() - DAY, (24 * DAY) / 250);

      const first = await post({ visitorId, maxEvents: 500 });
      const full = service.upstream.requests.splice(0);

      const again = await post({ visitorId, maxEvents: 500 });
      const nothingNew = service.upstream.requests.splice(0);

      const fresh = service.upstream.seedMany(3, { visitorId, timestamp: Date.now() - 1_000 });
      const withNew = await post({ visitorId, maxEvents: 500 });
      const threeNew = service.upstream.requests.splice(0);

      expect(full).toHaveLength(3);
      expect(ids(first.events)).toEqual(ids(old));
      expect(nothingNew).toHaveLength(1);
      expect(ids(again.events)).toEqual(ids(old));
      expect(threeNew).toHaveLength(1);
      // The cached history with the new events on top, newest first: the same answer a full fetch gives.
      expect(ids(withNew.events)).toEqual(ids([...fresh, ...old]));
      expect(withNew.stored).toBeGreaterThanOrEqual(3);
      // Asked only for what is newer than the newest event, less the overlap.
      const startOf = (request: { query: Record<string, string> } | undefined) => {
        const start = request?.query.start ?? '';
        return apiVersion === 'v4' ? Date.parse(start) : Number(start);
      };
      expect(startOf(nothingNew[0])).toBe((old[0]?.timestamp ?? 0) - HISTORY_OVERLAP_MS);
      expect(startOf(threeNew[0])).toBe((old[0]?.timestamp ?? 0) - HISTORY_OVERLAP_MS);
      recordFigures(`history-refresh-${apiVersion}`, {
        history: 250,
        upstreamCalls: {
          firstEnrichment: full.length,
          noNewEvents: nothingNew.length,
          threeNewEvents: threeNew.length,
        },
      });
    });

    it('fetches the whole window again with refresh: true', async () => {
      const visitorId = newVisitor();
      const seeds = service.upstream.seedMany(150, { visitorId, timestamp: Date.now() - 20 * DAY });
      await post({ visitorId, maxEvents: 500 });
      service.upstream.requests.length = 0;

      const answer = await post({ visitorId, maxEvents: 500, refresh: true });

      expect(service.upstream.requests).toHaveLength(2);
      expect(ids(answer.events)).toEqual(ids(seeds));
    });

    it('fetches the whole window after a single event was cached, which proves nothing about the history', async () => {
      const visitorId = newVisitor();
      const seeds = service.upstream.seedMany(20, { visitorId, timestamp: Date.now() - 10 * DAY });
      await post({ requestId: seeds[0]?.requestId });
      service.upstream.requests.length = 0;

      const answer = await post({ visitorId });

      expect(ids(answer.events)).toEqual(ids(seeds));
    });

    it('keeps a history of a linkedId apart from the same linkedId with a visitorId', async () => {
      const visitorId = newVisitor();
      const linkedId = `order-${visitorId}`;
      const mine = service.upstream.seedMany(5, { visitorId, linkedId, timestamp: Date.now() - DAY });
      await post({ visitorId, linkedId });
      const other = service.upstream.seedMany(5, { linkedId, timestamp: Date.now() - 3 * DAY });

      const answer = await post({ linkedId });

      expect(ids(answer.events)).toEqual(ids([...mine, ...other]));
    });
  },
);

describe('POST /enrich of an event whose tag holds a 64-bit id as a JSON number (Server API v4)', () => {
  const service = useService({ apiVersion: 'v4' });

  it('stores it, with the id as text, and serves it from the cache', async () => {
    const [seed] = service.upstream.seedMany(1, { visitorId: VISITOR_ID });
    if (seed === undefined) throw new Error('no seed');
    const example = JSON.parse(
      readFileSync(new URL('../fixtures/fingerprint/v4/events/get_event_200.json', import.meta.url), 'utf8'),
    );
    const body = JSON.stringify({
      ...example,
      event_id: seed.requestId,
      timestamp: seed.timestamp,
      identification: { ...example.identification, visitor_id: VISITOR_ID },
      tags: { orderId: 'PLACEHOLDER' },
    }).replace('"PLACEHOLDER"', '9007199254740993123');
    service.upstream.failNext({ kind: 'body', body });

    const enriched = await service.call('POST', '/enrich', { body: { requestId: seed.requestId } });
    const cached = await service.call('GET', `/events/${encodeURIComponent(seed.requestId)}`);

    expect(jsonBody<EnrichAnswer>(enriched)).toMatchObject({ source: 'fingerprint', stored: 1 });
    expect(cached.statusCode).toBe(200);
    expect(jsonBody<NormalizedEvent>(cached).tag).toEqual({ orderId: '9007199254740993000' });
  });
});
