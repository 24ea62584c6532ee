import { readFileSync } from 'node:fs';
import type { SQSBatchResponse } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { signatureHeaderFor } from '../../functions/webhook/signature.js';
import { buildContext } from '../../local/harness/lambda-events.js';
import { buildSqsEvent } from '../../local/harness/sqs-events.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { MAX_TAG_DEPTH } from '../../shared/domain/values.js';
import { OpenApiValidator } from '../contract/openapi.js';
import { jsonBody } from '../support/http-assertions.js';
import { useService, WEBHOOK_SECRET } from '../support/service.js';

/**
 * Tags are set by the browser agent, so anyone can plant one under a victim's linkedId. Whatever tag
 * Fingerprint hands us, over any path (POST /enrich, the queue, the webhook), is stored, served valid and
 * flagged when it had to be changed: never a 5xx, never a retried or dead-lettered record.
 */

const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Tag bodies as JSON text: `JSON.stringify` could not even write the deepest of them. */
const HOSTILE_TAGS: [string, string][] = [
  ['a number below DynamoDB underflow', '{"n":1e-200}'],
  ['+Infinity from JSON 1e999', '{"n":1e999}'],
  ['-Infinity from JSON -1e999', '{"n":[-1e999]}'],
  ['a number above 9.99e125', '{"n":1e200}'],
  ['an integer beyond 2^53', '{"n":1234567890123456789}'],
  ['nesting 1,000 levels deep', nested(1_000)],
  ['nesting 100,000 levels deep', nested(100_000)],
  ['an empty key deep inside', '{"a":{"":1}}'],
];

const fixtureText = (path: string) =>
  readFileSync(new URL(`../fixtures/fingerprint/${path}`, import.meta.url), 'utf8');

let sequence = 0;

/** A fresh v4 event (the official example) with its own ids and `tags` as the given JSON text. */
function v4EventText(tagsText: string, visitorId: string): { text: string; requestId: string } {
  sequence += 1;
  const timestamp = Date.now() - sequence * 1_000;
  const requestId = `${timestamp}.Tag${String(sequence).padStart(3, '0')}`;
  const event = JSON.parse(fixtureText('v4/events/get_event_200.json')) as Record<string, unknown>;
  event.event_id = requestId;
  event.timestamp = timestamp;
  (event.identification as Record<string, unknown>).visitor_id = visitorId;
  event.tags = '__TAGS__';
  return { text: JSON.stringify(event).replace('"__TAGS__"', tagsText), requestId };
}

describe('tags DynamoDB refuses, on every write path', () => {
  const service = useService({ apiVersion: 'v4' });
  const validator = new OpenApiValidator();

  /** Reads the stored event back over GET /events/{requestId} and checks it against the API document. */
  async function served(requestId: string): Promise<NormalizedEvent> {
    const response = await service.call('GET', '/events/{requestId}', { params: { requestId } });
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['X-Event-Source']).toBe('cache');
    const event = jsonBody(response) as NormalizedEvent;
    expect(validator.matches('NormalizedEvent', event)).toEqual([]);
    return event;
  }

  function expectFlaggedTag(event: NormalizedEvent, tagsText: string): void {
    expect(event.tagAltered).toBe(true);
    if (event.tag === undefined) {
      // Only a tag too large to keep is dropped.
      expect(tagsText.length).toBeGreaterThan(64 * 1024);
      return;
    }
    // Nothing nests deeper than the limit; the rest of the tag is text.
    let node: unknown = event.tag;
    for (let level = 1; typeof node === 'object' && node !== null; level++) {
      expect(level).toBeLessThan(MAX_TAG_DEPTH);
      node = Object.values(node)[0];
    }
  }

  it.each(HOSTILE_TAGS)('POST /enrich stores an event whose tag holds %s', async (_, tagsText) => {
    const { text, requestId } = v4EventText(tagsText, 'TagHttp1527CUFmcnjLw');
    service.upstream.failNext({ kind: 'body', body: text }, 1, (request) => request.path.includes(requestId));

    const response = await service.call('POST', '/enrich', { body: { requestId } });

    expect(response.statusCode, response.body).toBe(200);
    expectFlaggedTag(await served(requestId), tagsText);
  });

  it.each(HOSTILE_TAGS)(
    'the queue stores an event whose tag holds %s, without retry or dead letter',
    async (_, tagsText) => {
      const { text, requestId } = v4EventText(tagsText, 'TagQueue1527CUFmcnjL');
      service.upstream.failNext({ kind: 'body', body: text }, 1, (request) =>
        request.path.includes(requestId),
      );
      const lettersBefore = service.deadLettered.length;

      const result = (await service.handlers.queue(
        buildSqsEvent([JSON.stringify({ requestId })]),
        buildContext(),
      )) as SQSBatchResponse;

      expect(result.batchItemFailures).toEqual([]);
      expect(service.deadLettered.length).toBe(lettersBefore);
      expectFlaggedTag(await served(requestId), tagsText);
    },
  );

  it.each(HOSTILE_TAGS)('the webhook stores a delivery whose tag holds %s', async (_, tagsText) => {
    const { text, requestId } = v4EventText(tagsText, 'TagHook1527CUFmcnjLw');

    const response = await service.call('POST', '/webhooks/fingerprint', {
      body: text,
      headers: { 'FPJS-Event-Signature': signatureHeaderFor(Buffer.from(text), [WEBHOOK_SECRET]) },
      remainingMs: 6_000,
    });

    if (text.length > 256 * 1024) {
      // Over the webhook's body limit: refused with 413 before it is parsed, never a 5xx.
      expect(response.statusCode).toBe(413);
      return;
    }
    expect(response.statusCode, response.body).toBe(200);
    expect(jsonBody(response)).toEqual({ requestId, stored: true });
    expectFlaggedTag(await served(requestId), tagsText);
  });

  it('keeps an ordinary tag exactly, unflagged, 40 significant digits included (JSON.parse keeps 17)', async () => {
    const tagsText =
      '{"orderId":"o-1","amount":12.5,"precise":1.234567890123456789012345678901234567890,"items":[1,2,{"sku":"x"}],"nested":{"deep":{"ok":true}}}';
    const { text, requestId } = v4EventText(tagsText, 'TagPlain1527CUFmcnjL');
    service.upstream.failNext({ kind: 'body', body: text }, 1, (request) => request.path.includes(requestId));

    await service.call('POST', '/enrich', { body: { requestId } });

    const event = await served(requestId);
    expect(event.tag).toEqual(JSON.parse(tagsText));
    expect(event).not.toHaveProperty('tagAltered');
  });
});
