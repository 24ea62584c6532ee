import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signatureHeaderFor } from '../../functions/webhook/signature.js';
import type { ApiRequest } from '../../local/harness/lambda-events.js';
import { useService, WEBHOOK_SECRET } from '../support/service.js';
import { lowerCaseHeaders, type ObservedResponse, OpenApiValidator } from './openapi.js';

/**
 * The answers of the real handlers, for every route and for each error the handlers can give, conform to
 * `openapi/openapi.json`: documented status, body schema (strict: an undocumented field fails), headers.
 */
const validator = new OpenApiValidator();

describe.each(['v4', 'v3'] as const)('OpenAPI conformance of the handlers (Server API %s)', (apiVersion) => {
  const service = useService({
    apiVersion,
    env: { UPSTREAM_ERASURE_ENABLED: 'true', ERASURE_SETTLE_MS: '10' },
  });
  const seen: ObservedResponse[] = [];

  beforeEach(() => {
    seen.length = 0;
  });
  afterEach(() => {
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.flatMap((response) => validator.check(response))).toEqual([]);
  });

  /** Calls a route like API Gateway would and records what the caller gets. */
  const call = async (request: ApiRequest, remainingMs?: number): Promise<ObservedResponse> => {
    const result = await service.call(request.method, request.resource, {
      ...(request.pathParameters !== undefined && { params: request.pathParameters }),
      ...(request.query !== undefined && { query: request.query }),
      ...(request.body !== undefined && { body: request.body }),
      ...(request.headers !== undefined && { headers: request.headers }),
      ...(request.isBase64Encoded !== undefined && { isBase64Encoded: request.isBase64Encoded }),
      ...(remainingMs !== undefined && { remainingMs }),
    });
    const path = Object.entries(request.pathParameters ?? {}).reduce(
      (template, [name, value]) => template.replace(`{${name}}`, encodeURIComponent(value)),
      request.resource,
    );
    const response: ObservedResponse = {
      method: request.method,
      path,
      status: result.statusCode,
      headers: lowerCaseHeaders(result.headers),
      body: JSON.parse(result.body),
    };
    seen.push(response);
    return response;
  };
  const enrich = (body: unknown, remainingMs?: number) =>
    call(
      { method: 'POST', resource: '/enrich', body: typeof body === 'string' ? body : JSON.stringify(body) },
      remainingMs,
    );
  /** The error code: in the body, or in `X-Error-Code` beside v3's `{"error": "<message>"}`. */
  const codeOf = (response: ObservedResponse) => {
    const { error } = response.body as { error: string | { code: string } };
    return typeof error === 'string' ? response.headers['x-error-code'] : error.code;
  };

  it('documents the answers of POST /enrich for a requestId, from Fingerprint and then from the cache', async () => {
    const [seed] = service.upstream.seedMany(1, { visitorId: 'Conf1527CUFmcnjLwIs4A', linkedId: 'cart-9' });
    if (seed === undefined) throw new Error('no seed');
    expect((await enrich({ requestId: seed.requestId })).status).toBe(200);
    expect((await enrich({ requestId: seed.requestId })).body).toMatchObject({ source: 'cache' });
    expect((await enrich({ requestId: seed.requestId, refresh: true })).status).toBe(200);
  });

  it('documents the answers of POST /enrich for histories', async () => {
    service.upstream.seedMany(12, { visitorId: 'Hist1527CUFmcnjLwIs4A', linkedId: 'order-42' });
    expect((await enrich({ visitorId: 'Hist1527CUFmcnjLwIs4A', maxEvents: 10 })).status).toBe(200);
    expect((await enrich({ linkedId: 'order-42' })).status).toBe(200);
    expect((await enrich({ visitorId: 'Hist1527CUFmcnjLwIs4A', linkedId: 'order-42' })).status).toBe(200);
  });

  it('documents the client errors of POST /enrich', async () => {
    const answers = [
      await enrich(''),
      await enrich('{"requestId":'),
      await enrich({ requestId: '..' }),
      await enrich({ requestId: '1708102555327.NLOjmg', visitorId: 'Ibk1527CUFmcnjLwIs4A9' }),
      await enrich({ linkedId: 'x'.repeat(257) }),
      await enrich({ visitorId: 'Ibk1527CUFmcnjLwIs4A9', extra: 1 }),
      await enrich({ requestId: '1708102555327.Absent' }),
    ];
    expect(answers.map((answer) => [answer.status, codeOf(answer)])).toEqual([
      ...Array.from({ length: 6 }, () => [400, 'ValidationFailed']),
      [404, 'NotFound'],
    ]);
  });

  it('documents the upstream failures of POST /enrich', async () => {
    const only = (suffix: string) => (request: { path: string }) => request.path.includes(suffix);
    service.upstream.failNext({ kind: 'status', status: 429, retryAfter: '1' }, 1_000, only('Rate00'));
    service.upstream.failNext({ kind: 'status', status: 403 }, 2, only('Auth00'));
    service.upstream.failNext({ kind: 'status', status: 503 }, 1_000, only('Down00'));
    service.upstream.failNext({ kind: 'status', status: 400 }, 1, only('Rejt00'));
    service.upstream.failNext({ kind: 'delay', ms: 3_000 }, 1_000, only('Slow00'));

    const limited = await enrich({ requestId: '1708102555327.Rate00' }, 3_000);
    const refused = await enrich({ requestId: '1708102555327.Auth00' });
    const down = await enrich({ requestId: '1708102555327.Down00' }, 2_500);
    const rejected = await enrich({ requestId: '1708102555327.Rejt00' });
    const slow = await enrich({ requestId: '1708102555327.Slow00' }, 2_500);

    expect([limited, refused, down, rejected, slow].map((answer) => [answer.status, codeOf(answer)])).toEqual(
      [
        [429, 'UpstreamRateLimited'],
        [502, 'UpstreamAuthFailed'],
        [502, 'UpstreamUnavailable'],
        [400, 'UpstreamRejected'],
        [504, 'UpstreamTimeout'],
      ],
    );
    // Beyond the schema: the document promises Retry-After with every UpstreamRateLimited.
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('documents the answers of the cache routes, pages and errors included', async () => {
    const visitorId = 'Read1527CUFmcnjLwIs4A';
    const seeds = service.upstream.seedMany(5, { visitorId, linkedId: 'read-1' });
    await enrich({ visitorId });
    const first = seeds[0]?.requestId ?? '';
    const visitors = (query?: Record<string, string>) =>
      call({
        method: 'GET',
        resource: '/visitors/{visitorId}',
        pathParameters: { visitorId },
        ...(query && { query }),
      });
    const list = (query: Record<string, string>) => call({ method: 'GET', resource: '/events', query });

    const page = await visitors({ limit: '2' });
    expect(page.body).toHaveProperty('paginationKey');
    await visitors({ limit: '2', paginationKey: (page.body as { paginationKey: string }).paginationKey });
    await visitors({ request_id: first, linked_id: 'read-1' });
    await call({
      method: 'GET',
      resource: '/visitors/{visitorId}',
      pathParameters: { visitorId: 'Nobody1527CUFmcnjLwI' },
    });
    await call({ method: 'GET', resource: '/events/{requestId}', pathParameters: { requestId: first } });
    const events = await list({ visitorId, limit: '2' });
    expect(events.body).toHaveProperty('nextCursor');
    await list({ linkedId: 'read-1', limit: '100' });

    await visitors({ limit: '1', ii: 'fingerprint-pro-server-node-sdk/6.10.0', api_key: 'ignored' });
    const errors = [
      await visitors({ limit: '0' }),
      await visitors({ unknown: 'x' }),
      await call({ method: 'GET', resource: '/events/{requestId}', pathParameters: { requestId: '..' } }),
      await call({
        method: 'GET',
        resource: '/events/{requestId}',
        pathParameters: { requestId: '1708102555327.Absent' },
      }),
      await list({ limit: '5' }),
      await list({ visitorId, cursor: 'tampered' }),
    ];
    expect(errors.map((answer) => [answer.status, codeOf(answer)])).toEqual([
      [400, 'ValidationFailed'],
      [400, 'ValidationFailed'],
      [400, 'ValidationFailed'],
      [404, 'NotFound'],
      [400, 'ValidationFailed'],
      [400, 'ValidationFailed'],
    ]);
    // v3's route answers v3's error shape; our own routes keep theirs.
    expect(errors.map((answer) => typeof (answer.body as { error: unknown }).error)).toEqual([
      'string',
      'string',
      'object',
      'object',
      'object',
      'object',
    ]);
  });

  it('documents GET /events/{requestId} from the cache and read through to Fingerprint, with X-Event-Source', async () => {
    const [seed] = service.upstream.seedMany(1, { visitorId: 'Thru1527CUFmcnjLwIs4A' });
    if (seed === undefined) throw new Error('no seed');
    const read = () =>
      call({ method: 'GET', resource: '/events/{requestId}', pathParameters: { requestId: seed.requestId } });

    const miss = await read();
    const hit = await read();
    expect([miss.headers['x-event-source'], hit.headers['x-event-source']]).toEqual(['fingerprint', 'cache']);
    service.upstream.failNext({ kind: 'status', status: 429, retryAfter: '1' }, 1_000, (request) =>
      request.path.includes('Rate01'),
    );
    const limited = await call(
      {
        method: 'GET',
        resource: '/events/{requestId}',
        pathParameters: { requestId: '1708102555327.Rate01' },
      },
      3_000,
    );
    expect([limited.status, codeOf(limited)]).toEqual([429, 'UpstreamRateLimited']);
  });

  it('documents the answers of DELETE /visitors/{visitorId}, upstream outcomes included', async () => {
    const visitorId = 'Wipe1527CUFmcnjLwIs4A';
    service.upstream.seedMany(3, { visitorId });
    await enrich({ visitorId });
    const erase = (id: string, query?: Record<string, string>, remainingMs?: number) =>
      call(
        {
          method: 'DELETE',
          resource: '/visitors/{visitorId}',
          pathParameters: { visitorId: id },
          ...(query && { query }),
        },
        remainingMs,
      );

    const local = await erase(visitorId);
    expect(local.body).toEqual({
      visitorId,
      deleted: 3,
      erasedAt: expect.any(Number),
      upstream: { requested: false },
    });
    expect((await erase(visitorId, { upstream: 'true' })).body).toMatchObject({
      upstream: { requested: true, outcome: 'scheduled' },
    });
    expect((await erase(visitorId, { upstream: 'true' })).body).toMatchObject({
      upstream: { requested: true, outcome: 'notFound' },
    });
    service.upstream.failNext({ kind: 'status', status: 403 }, 2, (request) => request.method === 'DELETE');
    expect((await erase(visitorId, { upstream: 'true' })).body).toMatchObject({
      upstream: { requested: true, outcome: 'failed', error: { code: 'UpstreamAuthFailed' } },
    });
    const errors = [await erase('no\u2028line'), await erase(visitorId, { upstream: '1' })];
    expect(errors.map((answer) => [answer.status, codeOf(answer)])).toEqual([
      [400, 'ValidationFailed'],
      [400, 'ValidationFailed'],
    ]);
  });

  it('documents the answers of POST /webhooks/fingerprint', async () => {
    const [seed] = service.upstream.seedMany(1, { visitorId: 'Push1527CUFmcnjLwIs4A' });
    if (seed === undefined) throw new Error('no seed');
    const event = JSON.stringify({
      event_id: seed.requestId,
      timestamp: seed.timestamp,
      identification: { visitor_id: seed.visitorId },
    });
    const deliver = (body: string, headers: Record<string, string>) =>
      call({ method: 'POST', resource: '/webhooks/fingerprint', body, headers });
    const signed = (body: string) => ({
      'FPJS-Event-Signature': signatureHeaderFor(Buffer.from(body), [WEBHOOK_SECRET]),
    });

    expect((await deliver(event, signed(event))).body).toEqual({ requestId: seed.requestId, stored: true });
    expect((await deliver(event, signed(event))).body).toEqual({
      requestId: seed.requestId,
      stored: true,
      reason: 'alreadyStored',
    });
    const conflicting = JSON.stringify({
      event_id: seed.requestId,
      timestamp: seed.timestamp,
      identification: { visitor_id: 'Other1527CUFmcnjLwIs4A' },
    });
    expect((await deliver(conflicting, signed(conflicting))).body).toEqual({
      requestId: seed.requestId,
      stored: false,
      reason: 'conflict',
      conflictingFields: ['visitorId'],
    });
    const big = 'x'.repeat(300 * 1024);
    const refused = [
      await deliver(event, {}),
      await deliver(event, { 'FPJS-Event-Signature': 'v1=nope' }),
      await deliver('[]', signed('[]')),
      await deliver(big, signed(big)),
    ];
    expect(refused.map((answer) => [answer.status, codeOf(answer)])).toEqual([
      [401, 'Unauthorized'],
      [400, 'ValidationFailed'],
      [400, 'ValidationFailed'],
      [413, 'PayloadTooLarge'],
    ]);
  });

  it('documents the 500 a store failure gives, without its details', async () => {
    await service.dynamo.client.send(new DeleteTableCommand({ TableName: service.tableName }));
    const answer = await call({
      method: 'GET',
      resource: '/events/{requestId}',
      pathParameters: { requestId: '1708102555327.NLOjmg' },
    });
    expect([answer.status, codeOf(answer)]).toEqual([500, 'Internal']);
    expect(JSON.stringify(answer.body)).not.toContain(service.tableName);
    const history = await call({
      method: 'GET',
      resource: '/visitors/{visitorId}',
      pathParameters: { visitorId: 'Gone1527CUFmcnjLwIs4A' },
    });
    expect([history.status, codeOf(history), typeof (history.body as { error: unknown }).error]).toEqual([
      500,
      'Internal',
      'string',
    ]);
    expect(JSON.stringify(history.body)).not.toContain(service.tableName);
  });
});
