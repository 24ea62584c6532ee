import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SQSBatchResponse } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { buildContext } from '../../local/harness/lambda-events.js';
import { buildRecord } from '../../local/harness/sqs-events.js';
import type { UpstreamV4Event } from '../../shared/domain/upstream.js';
import { UPSTREAM_ATTRIBUTE, UPSTREAM_FORMAT_ATTRIBUTE } from '../../shared/store/schema.js';
import { decodeUpstreamV4 } from '../../shared/store/upstream-codec.js';
import { type Service, useService, WEBHOOK_SECRET } from '../support/service.js';

/**
 * Every write path of the deployed handlers, loaded as Lambda loads them from their environment, keeps the
 * upstream's v4 copy of what it stores (or, with `STORE_UPSTREAM_EVENTS=false`, none): `POST /enrich` for a
 * requestId and for a history, the queue consumer, the read-through of `GET /v4/events/{event_id}`, and the
 * webhook.
 */

type Json = Record<string, unknown>;

const fixture = (path: string): Json =>
  JSON.parse(readFileSync(new URL(`../fixtures/fingerprint/${path}`, import.meta.url), 'utf8')) as Json;

async function storedCopy(
  service: Service,
  requestId: string,
): Promise<UpstreamV4Event | undefined | 'none'> {
  const item = await service.item(requestId);
  if (item === undefined) return undefined;
  if (item[UPSTREAM_ATTRIBUTE] === undefined) return 'none';
  return decodeUpstreamV4(item[UPSTREAM_FORMAT_ATTRIBUTE], item[UPSTREAM_ATTRIBUTE]);
}

/** What the fake Fingerprint answers for an event: what the handlers received. */
async function sent(service: Service, requestId: string): Promise<Json> {
  const response = await fetch(`${service.upstream.baseUrl}/v4/events/${requestId}`, {
    headers: { Authorization: `Bearer ${service.upstream.apiKey}` },
  });
  return (await response.json()) as Json;
}

/** Stores one event through each write path; answers each path's requestId and what it was sent. */
async function writeThroughEveryPath(service: Service): Promise<[string, string, Json][]> {
  const visitorId = `WritePathVisitor${Math.random().toString(36).slice(2, 6)}`;
  const seeds = service.upstream.seedMany(4, { visitorId, timestamp: Date.now() - 10_000 });
  const [viaEnrich, viaQueue, viaReadThrough, inHistory] = seeds.map((seed) => seed.requestId);
  if (!viaEnrich || !viaQueue || !viaReadThrough || !inHistory) throw new Error('missing seeds');
  const paths: [string, string, Json][] = [];

  const enriched = await service.call('POST', '/enrich', { body: { requestId: viaEnrich } });
  expect(enriched.statusCode).toBe(200);
  paths.push(['POST /enrich (requestId)', viaEnrich, await sent(service, viaEnrich)]);

  const queued = (await service.handlers.queue(
    { Records: [buildRecord(JSON.stringify({ requestId: viaQueue }))] },
    buildContext(),
  )) as SQSBatchResponse;
  expect(queued.batchItemFailures).toEqual([]);
  paths.push(['the queue', viaQueue, await sent(service, viaQueue)]);

  const read = await service.call('GET', `/v4/events/${viaReadThrough}`);
  expect(read.statusCode).toBe(200);
  paths.push([
    'GET /v4/events/{event_id} (read-through)',
    viaReadThrough,
    await sent(service, viaReadThrough),
  ]);

  const history = await service.call('POST', '/enrich', { body: { visitorId, refresh: true } });
  expect(history.statusCode).toBe(200);
  paths.push(['POST /enrich (history)', inHistory, await sent(service, inHistory)]);

  const now = Date.now();
  const delivery = { ...fixture('v4/webhook/webhook_event.json'), event_id: `${now}.WPhook`, timestamp: now };
  const body = JSON.stringify(delivery);
  const signature = createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex');
  const hooked = await service.call('POST', '/webhooks/fingerprint', {
    body,
    headers: { 'FPJS-Event-Signature': `v1=${signature}` },
  });
  expect(hooked.statusCode).toBe(200);
  paths.push(['the webhook', String(delivery.event_id), delivery]);
  return paths;
}

describe.each([
  ['on (the default)', {}, true],
  ['off (STORE_UPSTREAM_EVENTS=false)', { STORE_UPSTREAM_EVENTS: 'false' }, false],
] as const)('with upstream copies %s', (_, env, kept) => {
  const service = useService({ env });

  it(
    kept ? 'every write path keeps the v4 event exactly as it came' : 'no write path keeps a copy',
    async () => {
      for (const [path, requestId, upstream] of await writeThroughEveryPath(service)) {
        expect(await storedCopy(service, requestId), path).toEqual(kept ? upstream : 'none');
      }
    },
  );
});
