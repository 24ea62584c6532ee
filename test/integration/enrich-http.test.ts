import { readFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { EVENTS_ONLY } from '../support/dynalite.js';
import { expectError, jsonBody } from '../support/http-assertions.js';
import { buildApiEvent, buildContext } from '../support/lambda.js';
import { parseLogLines } from '../support/log-lines.js';
import { API_KEY, captureOutput, type Service, startService } from '../support/service.js';

const VISITOR_ID = 'Ibk1527CUFmcnjLwIs4A9';

interface EnrichAnswer {
  events: NormalizedEvent[];
  source: 'cache' | 'fingerprint';
  stored: number;
}

describe.each(['v4', 'v3'] as const)('POST /enrich (Server API %s)', (apiVersion) => {
  let service: Service;
  let output: ReturnType<typeof captureOutput>;
  const responses: string[] = [];

  beforeAll(async () => {
    service = await startService({ apiVersion });
  });
  afterAll(async () => {
    await service.stop();
  });
  beforeEach(() => {
    service.upstream.requests.length = 0;
    output = captureOutput();
  });
  afterEach(() => {
    output.stop();
    const seen = output.text() + responses.join('\n');
    responses.length = 0;
    expect(seen).not.toContain(API_KEY);
    expect(seen).not.toMatch(/Bearer\s/);
  });

  const post = async (body: unknown, remainingMs?: number) => {
    const response = await service.handlers.enrich(
      buildApiEvent({
        method: 'POST',
        resource: '/enrich',
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
      buildContext(remainingMs),
    );
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
    const enriched = parseLogLines(output.text()).lines.filter((line) => line.message === 'Enriched');
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

  it('answers 404 NotFound for a requestId Fingerprint does not know', async () => {
    const response = await post({ requestId: '1708102555327.Nope00' });
    expectError(response, 404, 'NotFound');
  });

  it.each([
    ['malformed JSON', '{"requestId":', 'body'],
    ['an unknown field', { requestId: '1708102555327.NLOjmg', extra: true }, 'extra'],
    ['a hostile requestId', { requestId: '../../v4/visitors/x?api_key=1' }, 'requestId'],
    ['a visitorId with a query string', { visitorId: 'abc?limit=1000' }, 'visitorId'],
    ['an over-long linkedId', { linkedId: 'x'.repeat(257) }, 'linkedId'],
    ['maxEvents above 500', { linkedId: 'order-1', maxEvents: 501 }, 'maxEvents'],
  ])('refuses %s with 400 naming the field, without calling Fingerprint', async (_, body, field) => {
    const response = await post(body);
    expectError(response, 400, 'ValidationFailed', field);
    expect(service.upstream.requests).toEqual([]);
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
  let service: Service;

  beforeAll(async () => {
    service = await startService({ apiVersion: 'v4' });
  });
  afterAll(async () => {
    await service.stop();
  });

  it('makes 3 upstream calls for maxEvents 500 and stores all 250', async () => {
    service.upstream.seedMany(250, { visitorId: VISITOR_ID, linkedId: 'order-250' });

    const response = await service.handlers.enrich(
      buildApiEvent({
        method: 'POST',
        resource: '/enrich',
        body: JSON.stringify({ linkedId: 'order-250', maxEvents: 500 }),
      }),
      buildContext(),
    );

    const answer = jsonBody<EnrichAnswer>(response);
    expect(answer).toMatchObject({ source: 'fingerprint', stored: 250 });
    expect(new Set(answer.events.map((event) => event.requestId)).size).toBe(250);
    expect(service.upstream.requests).toHaveLength(3);
    const count = await service.dynamo.documentClient.send(
      new ScanCommand({ TableName: service.tableName, Select: 'COUNT', ...EVENTS_ONLY }),
    );
    expect(count.Count).toBe(250);
  });
});

describe('POST /enrich of an event whose tag holds a 64-bit id as a JSON number (Server API v4)', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService({ apiVersion: 'v4' });
  });
  afterAll(async () => {
    await service.stop();
  });

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

    const enriched = await service.handlers.enrich(
      buildApiEvent({
        method: 'POST',
        resource: '/enrich',
        body: JSON.stringify({ requestId: seed.requestId }),
      }),
      buildContext(),
    );
    const cached = await service.handlers.enrich(
      buildApiEvent({
        method: 'GET',
        resource: '/events/{requestId}',
        pathParameters: { requestId: seed.requestId },
      }),
      buildContext(),
    );

    expect(jsonBody<EnrichAnswer>(enriched)).toMatchObject({ source: 'fingerprint', stored: 1 });
    expect(cached.statusCode).toBe(200);
    expect(jsonBody<NormalizedEvent>(cached).tag).toEqual({ orderId: '9007199254740993000' });
  });
});
