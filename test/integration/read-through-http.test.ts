import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { EVENT_SOURCE_HEADER } from '../../functions/enrich/http-handler.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { expectError, jsonBody } from '../support/http-assertions.js';
import { parseLogLines } from '../support/log-lines.js';
import { useService } from '../support/service.js';

const VISITOR_ID = 'Rdt1527CUFmcnjLwIs4A9';

describe('GET /events/{requestId} with read-through', () => {
  const service = useService();

  const read = (requestId: string, remainingMs?: number) =>
    service.call('GET', '/events/{requestId}', {
      params: { requestId },
      ...(remainingMs !== undefined && { remainingMs }),
    });
  const stored = (requestId: string) => service.item(requestId);

  it('answers a cached event from the cache, saying so, without calling Fingerprint', async () => {
    const [seed] = service.upstream.seedMany(1, { visitorId: VISITOR_ID, linkedId: 'cart-7' });
    if (seed === undefined) throw new Error('no seed');
    await service.call('POST', '/enrich', { body: { requestId: seed.requestId } });
    service.upstream.requests.length = 0;

    const response = await read(seed.requestId);

    expect(response.statusCode).toBe(200);
    expect(response.headers?.[EVENT_SOURCE_HEADER]).toBe('cache');
    const event = jsonBody<NormalizedEvent>(response);
    expect(event).toMatchObject({
      requestId: seed.requestId,
      visitorId: VISITOR_ID,
      source: 'v4',
      schemaVersion: 1,
    });
    expect(event).not.toHaveProperty('expiresAt');
    expect(service.upstream.requests).toEqual([]);
  });

  it('resolves a miss through Fingerprint, stores it, and answers the next read from the cache', async () => {
    const [seed] = service.upstream.seedMany(1, { visitorId: VISITOR_ID });
    if (seed === undefined) throw new Error('no seed');
    expect(await stored(seed.requestId)).toBeUndefined();

    const first = await read(seed.requestId);
    const second = await read(seed.requestId);
    expect(first.statusCode).toBe(200);
    expect(first.headers?.[EVENT_SOURCE_HEADER]).toBe('fingerprint');
    expect(jsonBody<NormalizedEvent>(first)).toMatchObject({
      requestId: seed.requestId,
      visitorId: VISITOR_ID,
    });
    expect(service.upstream.requests).toEqual([
      expect.objectContaining({ method: 'GET', path: `/v4/events/${seed.requestId}` }),
    ]);
    expect(await stored(seed.requestId)).toMatchObject({
      requestId: seed.requestId,
      expiresAt: expect.any(Number),
    });

    expect(second.headers?.[EVENT_SOURCE_HEADER]).toBe('cache');
    expect(second.body).toBe(first.body);
    expect(service.upstream.requests).toHaveLength(1);
    // The read-through is logged at INFO; the cache hit, like every plain read, only in the access log.
    const reads = parseLogLines(service.output.text()).lines.filter((line) => line.message === 'Event read');
    expect(reads).toEqual([expect.objectContaining({ level: 'INFO', source: 'fingerprint' })]);
  });

  it('answers 404 when Fingerprint does not know the event either, and stores nothing', async () => {
    const requestId = `${Date.now()}.Absent`;

    const error = expectError(await read(requestId), 404, 'NotFound');

    expect(error.message).toContain(requestId);
    expect(service.upstream.requests).toHaveLength(1);
    expect(await stored(requestId)).toBeUndefined();
  });

  it('never serves an expired item that DynamoDB has not deleted yet: it reads through instead', async () => {
    const [seed] = service.upstream.seedMany(1, { visitorId: VISITOR_ID });
    if (seed === undefined) throw new Error('no seed');
    const expired = `${Date.now()}.Expird`;
    for (const requestId of [seed.requestId, expired]) {
      await service.dynamo.documentClient.send(
        new PutCommand({
          TableName: service.tableName,
          Item: {
            requestId,
            visitorId: VISITOR_ID,
            timestamp: Date.now(),
            time: new Date().toISOString(),
            browser: {
              name: 'x',
              majorVersion: '1',
              fullVersion: '1',
              os: 'x',
              osVersion: '1',
              device: 'x',
              userAgent: 'x',
            },
            source: 'v4',
            schemaVersion: 1,
            expiresAt: Math.floor(Date.now() / 1000) - 60,
          },
        }),
      );
    }

    expectError(await read(expired), 404, 'NotFound');
    const refreshed = await read(seed.requestId);
    expect(refreshed.headers?.[EVENT_SOURCE_HEADER]).toBe('fingerprint');
    expect(jsonBody<NormalizedEvent>(refreshed).browser.name).not.toBe('x');
  });

  it('maps upstream failures as POST /enrich does', async () => {
    const requestId = `${Date.now()}.Down01`;
    service.upstream.failNext({ kind: 'status', status: 503 }, 100, (request) =>
      request.path.includes('Down01'),
    );

    expectError(await read(requestId, 2_500), 502, 'UpstreamUnavailable');
    expect(service.output.text()).toContain('"errorCode":"UpstreamUnavailable"');
    expect(await stored(requestId)).toBeUndefined();
  });

  it('answers 502 naming both ids when Fingerprint answers another event, storing neither, every time', async () => {
    const [asked, other] = service.upstream.seedMany(2, { visitorId: VISITOR_ID });
    if (asked === undefined || other === undefined) throw new Error('seedMany returned too few');
    service.upstream.setFaultInjector((request) =>
      request.path.endsWith(asked.requestId)
        ? { kind: 'edit', edit: (event) => ({ ...event, event_id: other.requestId }) }
        : undefined,
    );
    try {
      for (let round = 0; round < 2; round += 1) {
        const error = expectError(await read(asked.requestId), 502, 'UpstreamBadResponse');
        expect(error.message).toContain(asked.requestId);
        expect(error.message).toContain(other.requestId);
      }
    } finally {
      service.upstream.setFaultInjector(undefined);
    }

    // One call per read, none retried; and nothing stored under either id.
    expect(service.upstream.requests).toHaveLength(2);
    expect(await stored(asked.requestId)).toBeUndefined();
    expect(await stored(other.requestId)).toBeUndefined();
  });

  it('refuses a malformed requestId without calling Fingerprint', async () => {
    expectError(await read('DROP\tTABLE'), 400, 'ValidationFailed', 'requestId');
    expect(service.upstream.requests).toEqual([]);
  });
});

describe('GET /events/{requestId} with read-through disabled', () => {
  const service = useService({ env: { READ_THROUGH_ENABLED: 'false' } });

  it('answers a miss with 404 and never calls Fingerprint', async () => {
    const [seed] = service.upstream.seedMany(1, { visitorId: VISITOR_ID });
    if (seed === undefined) throw new Error('no seed');

    const error = expectError(await service.call('GET', `/events/${seed.requestId}`), 404, 'NotFound');

    expect(error.message).toMatch(/POST \/enrich/);
    expect(service.upstream.requests).toEqual([]);
  });
});
