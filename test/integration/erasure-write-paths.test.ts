import type { SQSBatchResponse } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { EnrichResult } from '../../functions/enrich/enrich.js';
import type { VisitorErasure } from '../../functions/enrich/erase.js';
import { signatureHeaderFor } from '../../functions/webhook/signature.js';
import type { WebhookReceipt } from '../../functions/webhook/webhook.js';
import type { FakeEventSeed } from '../../local/fingerprint-emulator/index.js';
import { buildContext } from '../../local/harness/lambda-events.js';
import { buildRecord } from '../../local/harness/sqs-events.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { erasureRecordKey, v4WebhookBody } from '../support/erasure.js';
import { expectError, jsonBody } from '../support/http-assertions.js';
import { useService, WEBHOOK_SECRET } from '../support/service.js';

const DAY_MS = 86_400_000;
const EVENT_TTL_DAYS = 90;

let visitorSequence = 0;
/** A fresh visitorId per test, so that one test's erasure never covers another's events. */
const newVisitorId = (tag: string) => `${tag}${String(++visitorSequence).padStart(4, '0')}CUFmcnjLwIs4A9`;

/**
 * An erasure lasts on every write path: after `DELETE /visitors/{id}`, no `POST /enrich`, read-through, queue
 * record or webhook delivery stores an event of the visitor that happened before the erasure again, and each
 * says so; events that happen after it are new data and are stored.
 */
describe('erasure against every write path', () => {
  const service = useService({ env: { ERASURE_SETTLE_MS: '10' } });
  // The table as it is, beneath the store.
  const probe = service;

  const erase = async (visitorId: string) => {
    const response = await service.call('DELETE', `/visitors/${visitorId}`);
    expect(response.statusCode).toBe(200);
    return jsonBody<VisitorErasure>(response);
  };
  const enrich = async (body: Record<string, unknown>) => {
    const response = await service.call('POST', '/enrich', { body });
    expect(response.statusCode).toBe(200);
    return jsonBody<EnrichResult>(response);
  };
  const readThrough = (requestId: string) =>
    service.call('GET', '/events/{requestId}', { params: { requestId } });
  const deliver = async (body: string) => {
    const response = await service.call('POST', '/webhooks/fingerprint', {
      body,
      headers: { 'FPJS-Event-Signature': signatureHeaderFor(Buffer.from(body), [WEBHOOK_SECRET]) },
      remainingMs: 6_000,
    });
    expect(response.statusCode).toBe(200);
    return jsonBody<WebhookReceipt>(response);
  };
  /** Seeds the fake upstream with `count` events of the visitor, the newest `newestAgoMs` before now. */
  const seed = (visitorId: string, count: number, extra: Partial<FakeEventSeed> = {}, newestAgoMs = 60_000) =>
    service.upstream.seedMany(count, { visitorId, timestamp: Date.now() - newestAgoMs, ...extra });
  /** A moment strictly after `erasedAt` on this machine's clock. */
  const momentAfter = async (erasedAt: number) => {
    while (Date.now() <= erasedAt) await new Promise((resolve) => setTimeout(resolve, 2));
    return Date.now();
  };
  const ids = (events: readonly Record<string, unknown>[] | readonly { requestId: string }[]) =>
    events.map((event) => String(event.requestId)).sort();

  it('records the erasure of a visitor never seen, keyed by a hash, in neither index, kept past EVENT_TTL_DAYS', async () => {
    const visitorId = newVisitorId('Nevr');

    const erasure = await erase(visitorId);

    expect(erasure).toMatchObject({ visitorId, deleted: 0, upstream: { requested: false } });
    const record = await probe.item(erasureRecordKey(visitorId));
    // The visitorId itself is nowhere in the record: only its hash, the time and the expiry.
    expect(record).toEqual({
      requestId: erasureRecordKey(visitorId),
      erasedAt: erasure.erasedAt,
      expiresAt: expect.any(Number),
    });
    expect(JSON.stringify(record)).not.toContain(visitorId);
    // Kept at least as long as any older event could still be stored (EVENT_TTL_DAYS), then expired by TTL.
    const expiresAtMs = Number(record?.expiresAt) * 1000;
    expect(expiresAtMs).toBeGreaterThan(erasure.erasedAt + EVENT_TTL_DAYS * DAY_MS);
    expect(expiresAtMs).toBeLessThan(erasure.erasedAt + 2 * EVENT_TTL_DAYS * DAY_MS);
    const indexed = [...(await probe.itemsOfVisitor(visitorId)), ...(await probe.itemsOfLinkedId(visitorId))];
    expect(indexed).toEqual([]);

    // Requests can precede data: the visitor's history, first seen now, is refused all the same.
    const history = seed(visitorId, 3);
    const answer = await enrich({ visitorId });
    expect(answer).toEqual({
      events: [],
      source: 'fingerprint',
      stored: 0,
      suppressed: history.length,
      skipped: { count: 0, reasons: {} },
      complete: true,
    });
    expect(await probe.baseItemsOf(visitorId)).toEqual([]);
  });

  it('moves the erasure time forward when the same visitor is erased again, never back', async () => {
    const visitorId = newVisitorId('Twce');
    const first = await erase(visitorId);
    await momentAfter(first.erasedAt);
    // An event between the two erasures is new data after the first, covered by the second.
    const [between] = seed(visitorId, 1, {}, 0);
    if (between === undefined) throw new Error('no seed');
    expect((await enrich({ requestId: between.requestId })).stored).toBe(1);
    await momentAfter(between.timestamp);

    const second = await erase(visitorId);

    expect(second.erasedAt).toBeGreaterThan(first.erasedAt);
    expect(second.deleted).toBe(1);
    expect((await probe.item(erasureRecordKey(visitorId)))?.erasedAt).toBe(second.erasedAt);
    expect(await enrich({ requestId: between.requestId, refresh: true })).toMatchObject({
      events: [],
      stored: 0,
      suppressed: 1,
    });
  });

  it('POST /enrich by requestId: drops the erased event, answers suppressed: 1, stores nothing', async () => {
    const visitorId = newVisitorId('Rqst');
    const [event] = seed(visitorId, 1);
    if (event === undefined) throw new Error('no seed');
    expect((await enrich({ requestId: event.requestId })).stored).toBe(1);
    expect((await erase(visitorId)).deleted).toBe(1);

    // Not cached any more, so it is fetched again: Fingerprint still has it.
    const answer = await enrich({ requestId: event.requestId });

    expect(answer).toEqual({
      events: [],
      source: 'fingerprint',
      stored: 0,
      suppressed: 1,
      skipped: { count: 0, reasons: {} },
      complete: true,
    });
    expect(await probe.item(event.requestId)).toBeUndefined();
    expect(await probe.itemsOfVisitor(visitorId)).toEqual([]);
  });

  it('POST /enrich by visitorId: drops the whole erased history, keeps what happened after the erasure', async () => {
    const visitorId = newVisitorId('Hist');
    const old = seed(visitorId, 4);
    await enrich({ visitorId });
    const { erasedAt } = await erase(visitorId);
    const [fresh] = seed(visitorId, 1, { timestamp: await momentAfter(erasedAt) });
    if (fresh === undefined) throw new Error('no seed');
    expect(fresh.timestamp).toBeGreaterThan(erasedAt);

    const answer = await enrich({ visitorId });

    expect(answer.suppressed).toBe(old.length);
    expect(answer.stored).toBe(1);
    expect(ids(answer.events)).toEqual([fresh.requestId]);
    expect(ids(await probe.baseItemsOf(visitorId))).toEqual([fresh.requestId]);
    expect(ids(await probe.itemsOfVisitor(visitorId))).toEqual([fresh.requestId]);
  });

  it('POST /enrich by linkedId: drops only the erased visitor, other visitors of the linkedId are stored', async () => {
    const visitorId = newVisitorId('Link');
    const neighbourId = newVisitorId('Nbor');
    const linkedId = `order-${visitorId}`;
    const erasedEvents = seed(visitorId, 2, { linkedId });
    const neighbourEvents = seed(neighbourId, 2, { linkedId }, 120_000);
    await erase(visitorId);

    const answer = await enrich({ linkedId });

    expect(answer.suppressed).toBe(erasedEvents.length);
    expect(answer.stored).toBe(neighbourEvents.length);
    expect(ids(answer.events)).toEqual(ids(neighbourEvents));
    expect(ids(await probe.itemsOfLinkedId(linkedId))).toEqual(ids(neighbourEvents));
    expect(await probe.baseItemsOf(visitorId)).toEqual([]);
  });

  it('read-through: GET /events/{requestId} of an erased event is 404 and stores nothing; a later event reads through', async () => {
    const visitorId = newVisitorId('Read');
    const [event] = seed(visitorId, 1);
    if (event === undefined) throw new Error('no seed');
    expect((await readThrough(event.requestId)).statusCode).toBe(200);
    const { erasedAt } = await erase(visitorId);

    const refused = await readThrough(event.requestId);

    expect(expectError(refused, 404, 'NotFound').message).toMatch(/erased/);
    expect(await probe.item(event.requestId)).toBeUndefined();
    const [later] = seed(visitorId, 1, { timestamp: await momentAfter(erasedAt) });
    if (later === undefined) throw new Error('no seed');
    const read = await readThrough(later.requestId);
    expect(read.statusCode).toBe(200);
    expect(jsonBody<NormalizedEvent>(read).requestId).toBe(later.requestId);
    expect(ids(await probe.baseItemsOf(visitorId))).toEqual([later.requestId]);
  });

  it('queue: a record of an erased event is done (not retried, not dead-lettered), logged as suppressed, stores nothing', async () => {
    const visitorId = newVisitorId('Queu');
    const [event] = seed(visitorId, 1);
    if (event === undefined) throw new Error('no seed');
    await erase(visitorId);
    service.deadLettered.length = 0;
    const record = buildRecord(JSON.stringify({ requestId: event.requestId }));
    const history = buildRecord(JSON.stringify({ visitorId }));

    const from = service.output.text().length;
    const result = (await service.handlers.queue(
      { Records: [record, history] },
      buildContext(),
    )) as SQSBatchResponse;
    const logs = service.output.text().slice(from);

    expect(result.batchItemFailures).toEqual([]);
    expect(service.deadLettered).toEqual([]);
    const lines = logs
      .split('\n')
      .filter((line) => line.includes('"Record enriched"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatchObject({ stored: 0, suppressed: 1 });
    expect(await probe.baseItemsOf(visitorId)).toEqual([]);
  });

  it('webhook: a replayed delivery of an erased event is acknowledged stored:false with a reason; a later one is stored', async () => {
    const visitorId = newVisitorId('Hook');
    const event = { requestId: `${Date.now() - 5_000}.Hook01`, visitorId, timestamp: Date.now() - 5_000 };
    const body = v4WebhookBody(event);
    expect(await deliver(body)).toEqual({ requestId: event.requestId, stored: true });
    const { erasedAt } = await erase(visitorId);

    const replay = await deliver(body);

    expect(replay).toEqual({ requestId: event.requestId, stored: false, reason: 'visitorErased' });
    expect(await probe.item(event.requestId)).toBeUndefined();
    expect(
      await probe
        .itemsOfLinkedId('somelinkedId')
        .then((items) => items.filter((i) => i.visitorId === visitorId)),
    ).toEqual([]);
    const laterAt = await momentAfter(erasedAt);
    const later = { requestId: `${laterAt}.Hook02`, visitorId, timestamp: laterAt };
    expect(await deliver(v4WebhookBody(later))).toEqual({ requestId: later.requestId, stored: true });
    expect(ids(await probe.baseItemsOf(visitorId))).toEqual([later.requestId]);
  });
});
