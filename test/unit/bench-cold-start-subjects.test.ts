import { isValidWebhookSignature } from '@fingerprint/node-sdk';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Bundle, Bundles } from '../../bench/bundles.js';
import { type ColdStartSubject, eventOfStart } from '../../bench/cold-start.js';
import { coldStartSubjects } from '../../bench/phases/cold-start-subjects.js';
import { FUNCTIONS, WEBHOOK_SIGNING_SECRET } from '../../bench/settings.js';
import { FLOOR_ENTRIES, type FloorKey } from '../../bench/targets.js';
import { StaticWebhookSecrets } from '../../functions/webhook/credentials.js';
import { createWebhookHttpHandler } from '../../functions/webhook/http-handler.js';
import {
  parseSignatureHeader,
  SIGNATURE_HEADER,
  verifySignature,
} from '../../functions/webhook/signature.js';
import { buildContext } from '../../local/harness/lambda-events.js';
import { isId } from '../../shared/domain/ids.js';
import { createLogger } from '../../shared/observability/logger.js';
import { FakeEventStore } from '../support/fakes.js';

/**
 * The cold-start phase's first calls, without building a bundle or starting a process: every start of the
 * webhook gets a delivery of its own (a repeated one would time the replay's path), and its check passes a
 * delivery that was stored and nothing else.
 */

/** As many starts as the phase makes at most per subject (BENCH_COLD_RUNS is 25 by default). */
const STARTS = 40;

const bundle = (entry: string): Bundle => ({
  entry,
  bytes: 0,
  gzipBytes: 0,
  totalBytes: 0,
  totalGzipBytes: 0,
  files: ['index.mjs'],
  metafile: { inputs: {}, outputs: {} },
  file: `/bundles/${entry}/index.mjs`,
});
const BUNDLES: Bundles = {
  functions: Object.fromEntries(FUNCTIONS.map((key) => [key, bundle(key)])) as Bundles['functions'],
  floors: Object.fromEntries(
    (Object.keys(FLOOR_ENTRIES) as FloorKey[]).map((key) => [key, bundle(key)]),
  ) as Bundles['floors'],
};

/** The subjects of one runtime, as the phase builds them (once per runtime). */
const subjectsOfOneRuntime = () =>
  coldStartSubjects(BUNDLES, () => ({}), { requestId: '1708102555327.NLOjmg', visitorId: 'BenchVisitor' });

function subject(subjects: ReturnType<typeof subjectsOfOneRuntime>, key: string) {
  const found = subjects.find((candidate) => candidate.key === key);
  if (found === undefined) throw new Error(`no subject ${key}`);
  return found;
}

/** What a process hands the handler: the event after its round trip through JSON (`BENCH_EVENT`). */
const startEvent = (webhook: Pick<ColdStartSubject, 'event'>) =>
  JSON.parse(JSON.stringify(eventOfStart(webhook))) as APIGatewayProxyEvent;

describe('the cold-start phase’s first calls', () => {
  it('gives every start of the webhook, on every runtime, a new, current delivery signed with the bench’s secret', () => {
    const before = Date.now();
    const deliveries = [subjectsOfOneRuntime(), subjectsOfOneRuntime()].flatMap((subjects) =>
      Array.from({ length: STARTS }, () => startEvent(subject(subjects, 'webhook'))),
    );
    const after = Date.now();

    const bodies = deliveries.map((event) => {
      expect(event.body).toEqual(expect.any(String));
      const body = Buffer.from(event.body ?? '', 'utf8');
      const header = parseSignatureHeader(event.headers[SIGNATURE_HEADER]);
      expect(header.kind).toBe('signed');
      if (header.kind === 'signed') {
        expect(verifySignature(body, header.digests, [WEBHOOK_SIGNING_SECRET])).toBe(true);
        expect(verifySignature(body, header.digests, ['another secret'])).toBe(false);
      }
      // As Fingerprint's official v4 SDK verifies a delivery.
      const official = { header: event.headers[SIGNATURE_HEADER] ?? '', data: body };
      expect(isValidWebhookSignature({ ...official, secret: WEBHOOK_SIGNING_SECRET })).toBe(true);
      expect(isValidWebhookSignature({ ...official, secret: 'another secret' })).toBe(false);
      return JSON.parse(body.toString('utf8')) as { event_id: unknown; timestamp: number };
    });
    const ids = bodies.map((body) => body.event_id);
    expect(new Set(ids).size).toBe(deliveries.length);
    for (const body of bodies) {
      expect(isId(body.event_id)).toBe(true);
      // Fingerprint's shape: the event's time in ms, a dot, a random part.
      expect(body.event_id).toMatch(/^\d{13}\.[\w-]+$/);
      expect(body.timestamp).toBeGreaterThanOrEqual(before);
      expect(body.timestamp).toBeLessThanOrEqual(after);
    }
  });

  it('checks that each start’s delivery was stored by it, and fails a replay answered 200', async () => {
    const store = new FakeEventStore();
    const handler = createWebhookHttpHandler({
      logger: createLogger('SILENT'),
      settings: { basicAuth: false, maxEventAgeSeconds: 3_600 },
      store,
      secrets: new StaticWebhookSecrets(WEBHOOK_SIGNING_SECRET),
    });
    const webhook = subject(subjectsOfOneRuntime(), 'webhook');
    const deliver = (event: APIGatewayProxyEvent) => handler(event, buildContext(25_000, 'webhook'));

    const firsts = Array.from({ length: STARTS }, () => startEvent(webhook));
    for (const event of firsts) {
      const answer = await deliver(event);
      expect(answer).toMatchObject({ statusCode: 200 });
      expect(webhook.check(answer)).toBe(true);
    }
    expect(store.items.size).toBe(STARTS);

    // What every later process answered before each start had its own delivery: 200, stored, alreadyStored.
    const replay = await deliver(firsts[0] as APIGatewayProxyEvent);
    expect(JSON.parse(replay.body)).toMatchObject({ stored: true, reason: 'alreadyStored' });
    expect(webhook.check(replay)).toBe(false);
    expect(
      webhook.check({ statusCode: 200, body: '{"requestId":"1.a","stored":false,"reason":"stale"}' }),
    ).toBe(false);
    expect(webhook.check({ statusCode: 200, body: 'stored' })).toBe(false);
    expect(webhook.check({ statusCode: 401, body: '{"requestId":"1.a","stored":true}' })).toBe(false);
  });

  it('gives every start of the webhook’s floor a new item, as the function’s deliveries are', () => {
    const events = [subjectsOfOneRuntime(), subjectsOfOneRuntime()].flatMap((subjects) =>
      Array.from(
        { length: STARTS },
        () => eventOfStart(subject(subjects, 'floor:webhook')) as { requestId: string; visitorId: string },
      ),
    );
    expect(new Set(events.map((event) => event.requestId)).size).toBe(events.length);
    for (const event of events) {
      expect(isId(event.requestId)).toBe(true);
      expect(event.visitorId).toBe('BenchmarkFloorVisitor');
    }
  });

  it('keeps the other subjects’ first calls, and the other floors’, the same for every start', () => {
    const subjects = subjectsOfOneRuntime().filter(
      (candidate) => candidate.key !== 'webhook' && candidate.key !== 'floor:webhook',
    );
    expect(subjects.map((candidate) => candidate.key)).toContain('floor:enrichHttp');
    for (const fixed of subjects) {
      expect(typeof fixed.event, fixed.key).not.toBe('function');
      expect(eventOfStart(fixed), fixed.key).toBe(eventOfStart(fixed));
    }
  });
});
