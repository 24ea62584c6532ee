import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StaticWebhookSecrets } from '../../functions/webhook/credentials.js';
import { createWebhookHttpHandler } from '../../functions/webhook/http-handler.js';
import { SecretsManagerWebhookSecrets } from '../../functions/webhook/secret.js';
import { signatureHeaderFor } from '../../functions/webhook/signature.js';
import { buildApiEvent, buildContext } from '../../local/harness/lambda-events.js';
import { WEBHOOK_BODY_MAX_BYTES } from '../../shared/manifest/limits.js';
import { createLogger } from '../../shared/observability/logger.js';
import { DynamoDbWebhookEventStore } from '../../shared/store/dynamodb-webhook-event-store.js';
import { expectError, jsonBody } from '../support/http-assertions.js';
import { useService, WEBHOOK_SECRET, WEBHOOK_SECRET_ID } from '../support/service.js';

/** Shaped like a key, so the leak guard fails the run if it is ever printed or answered. */
const NEXT_SECRET = 'fpsk_WebhookNextCanary_8pR3';
const STRANGER_SECRET = 'not-our-secret';

const fixture = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/fingerprint/${path}`, import.meta.url), 'utf8'));

let sequence = 0;

/** Fingerprint's v4 webhook example as a fresh event: its own ids, and a timestamp inside the TTL. */
function v4Payload(visitorId = 'Hook1527CUFmcnjLwIs4A9') {
  sequence += 1;
  const timestamp = Date.now() - sequence * 1000;
  const payload = fixture('v4/webhook/webhook_event.json');
  const requestId = `${timestamp}.Whk${String(sequence).padStart(3, '0')}`;
  payload.event_id = requestId;
  payload.timestamp = timestamp;
  (payload.identification as Record<string, unknown>).visitor_id = visitorId;
  return { payload, requestId, visitorId };
}

/** Fingerprint's legacy v3 (flat) webhook example, refreshed the same way. */
function v3Payload() {
  sequence += 1;
  const timestamp = Date.now() - sequence * 1000;
  const payload = fixture('v3/webhook.json');
  const requestId = `${timestamp}.Whk${String(sequence).padStart(3, '0')}`;
  payload.requestId = requestId;
  payload.timestamp = timestamp;
  payload.time = new Date(timestamp).toISOString();
  return { payload, requestId, visitorId: String(payload.visitorId) };
}

describe('POST /webhooks/fingerprint', () => {
  // No secret cache, so a test can rotate the secret between two deliveries.
  const service = useService({ env: { SECRET_CACHE_SECONDS: '0' } });

  const deliver = (
    body: string,
    headers: Record<string, string> = {
      'FPJS-Event-Signature': signatureHeaderFor(Buffer.from(body), [WEBHOOK_SECRET]),
    },
    isBase64Encoded = false,
  ) =>
    service.call('POST', '/webhooks/fingerprint', {
      body: isBase64Encoded ? Buffer.from(body).toString('base64') : body,
      headers,
      isBase64Encoded,
      remainingMs: 6_000,
    });
  const signedBy = (body: string, secrets: string[]) => ({
    'FPJS-Event-Signature': signatureHeaderFor(Buffer.from(body), secrets),
  });
  const stored = (requestId: string) => service.item(requestId);
  const itemsOf = (visitorId: string) => service.itemsOfVisitor(visitorId);

  afterEach(() => {
    service.setWebhookSecret(WEBHOOK_SECRET);
  });

  it('stores a signed v4 event, answering well within Fingerprint’s 3 seconds', async () => {
    const { payload, requestId, visitorId } = v4Payload();
    const started = performance.now();

    const response = await deliver(JSON.stringify(payload));

    expect(performance.now() - started).toBeLessThan(1_500);
    expect(response.statusCode).toBe(200);
    expect(jsonBody(response)).toEqual({ requestId, stored: true });
    expect(await stored(requestId)).toMatchObject({
      requestId,
      visitorId,
      source: 'webhook',
      ip: '61.127.217.15',
    });
    // Readable like any other cached event, without a call to Fingerprint.
    const read = await service.call('GET', `/events/${requestId}`);
    expect(read.headers?.['X-Event-Source']).toBe('cache');
    expect(service.upstream.requests).toEqual([]);
  });

  it('stores a signed legacy v3 (flat) webhook event', async () => {
    const { payload, requestId, visitorId } = v3Payload();

    expect(jsonBody(await deliver(JSON.stringify(payload)))).toEqual({ requestId, stored: true });
    expect(await stored(requestId)).toMatchObject({ requestId, visitorId, source: 'webhook' });
  });

  it('stores a replayed delivery (Fingerprint retries once, with the same event) only once', async () => {
    const { payload, requestId, visitorId } = v4Payload('Rply1527CUFmcnjLwIs4A9');
    const body = JSON.stringify(payload);

    const first = await deliver(body);
    const replay = await deliver(body);

    expect([first.statusCode, replay.statusCode]).toEqual([200, 200]);
    expect(jsonBody(first)).toEqual({ requestId, stored: true });
    expect(jsonBody(replay)).toEqual({ requestId, stored: true, reason: 'alreadyStored' });
    expect((await itemsOf(visitorId)).map((item) => item.requestId)).toEqual([requestId]);
  });

  it('accepts a body API Gateway passed as base64, signed over its raw bytes', async () => {
    const { payload, requestId } = v4Payload();
    const body = JSON.stringify(payload);

    expect(jsonBody(await deliver(body, signedBy(body, [WEBHOOK_SECRET]), true))).toEqual({
      requestId,
      stored: true,
    });
  });

  it('accepts a header with several v1 entries when one matches, and either secret during our rotation', async () => {
    const first = v4Payload();
    const several = JSON.stringify(first.payload);
    expect((await deliver(several, signedBy(several, [STRANGER_SECRET, WEBHOOK_SECRET]))).statusCode).toBe(
      200,
    );

    service.setWebhookSecret(JSON.stringify({ secrets: [NEXT_SECRET, WEBHOOK_SECRET] }));
    for (const secret of [NEXT_SECRET, WEBHOOK_SECRET]) {
      const { payload, requestId } = v4Payload();
      const body = JSON.stringify(payload);
      expect(jsonBody(await deliver(body, signedBy(body, [secret])))).toEqual({ requestId, stored: true });
    }
    // Once the rotation is over, the old secret is refused.
    service.setWebhookSecret(NEXT_SECRET);
    const { payload, requestId } = v4Payload();
    const body = JSON.stringify(payload);
    expectError(await deliver(body, signedBy(body, [WEBHOOK_SECRET])), 401, 'Unauthorized');
    expect(await stored(requestId)).toBeUndefined();
  });

  it.each([
    ['unsigned', () => ({}), 401, 'Unauthorized', undefined],
    [
      'signed with another secret',
      (body: string) => signedBy(body, [STRANGER_SECRET]),
      401,
      'Unauthorized',
      undefined,
    ],
    [
      'with a malformed signature',
      () => ({ 'FPJS-Event-Signature': 'sha256=deadbeef' }),
      400,
      'ValidationFailed',
      'FPJS-Event-Signature',
    ],
  ] as const)('refuses a delivery %s and stores nothing', async (_, headers, status, code, field) => {
    const { payload, requestId } = v4Payload();
    const body = JSON.stringify(payload);

    expectError(await deliver(body, headers(body)), status, code, field);
    expect(await stored(requestId)).toBeUndefined();
  });

  it('refuses a body changed by one byte after signing, and stores nothing', async () => {
    const { payload, requestId } = v4Payload();
    const body = JSON.stringify(payload);
    const headers = signedBy(body, [WEBHOOK_SECRET]);
    const tampered = body.replace('61.127.217.15', '61.127.217.16');
    expect(tampered).not.toBe(body);

    expectError(await deliver(tampered, headers), 401, 'Unauthorized');
    expect(await stored(requestId)).toBeUndefined();
  });

  it('refuses a body over the limit with 413, and a signed body that is not an event with 400', async () => {
    const big = JSON.stringify({ padding: 'x'.repeat(WEBHOOK_BODY_MAX_BYTES) });
    expectError(await deliver(big), 413, 'PayloadTooLarge');
    expectError(await deliver(big, signedBy(big, [WEBHOOK_SECRET]), true), 413, 'PayloadTooLarge');
    expectError(await deliver('{"event_id": 1'), 400, 'ValidationFailed', 'body');
    expectError(await deliver(JSON.stringify({ hello: 'world' })), 400, 'ValidationFailed', 'requestId');
  });

  it('acknowledges stale and future events without storing them, so Fingerprint does not retry them', async () => {
    for (const [age, reason] of [
      [365 * 86_400_000, 'stale'],
      [60 * 86_400_000, 'stale'],
      // WEBHOOK_MAX_EVENT_AGE_SECONDS defaults to an hour.
      [3_600_000 + 60_000, 'stale'],
      [-6 * 60_000, 'future'],
      // Times no event can have (years ahead, before 2015) are outside the window all the same.
      [-365 * 86_400_000, 'future'],
      [Date.now() - Date.UTC(2014, 5, 1), 'stale'],
    ] as const) {
      const { payload, requestId } = v4Payload();
      payload.timestamp = Date.now() - age;

      const response = await deliver(JSON.stringify(payload));

      expect({ age, status: response.statusCode, body: jsonBody(response) }).toEqual({
        age,
        status: 200,
        body: { requestId, stored: false, reason },
      });
      expect(await stored(requestId)).toBeUndefined();
    }
  });

  describe('a delivery of an event already stored', () => {
    const VICTIM = 'Victim1527CUFmcnjLwIs4';
    const ATTACKER = 'Attacker527CUFmcnjLwIs';

    /** The v4 example with this visitor (and any other change), under a requestId chosen by the caller. */
    function variant(base: Record<string, unknown>, visitorId: string, change: Record<string, unknown> = {}) {
      return {
        ...structuredClone(base),
        identification: { ...(base.identification as object), visitor_id: visitorId },
        ...change,
      };
    }

    it('never moves a stored event to another visitor nor erases its fraud signal: acknowledged, logged at WARN', async () => {
      const { payload, requestId } = v4Payload(VICTIM);
      payload.suspect_score = 73;
      expect(jsonBody(await deliver(JSON.stringify(payload)))).toEqual({ requestId, stored: true });
      const before = await stored(requestId);

      const forged = JSON.stringify(variant(payload, ATTACKER, { suspect_score: 0 }));
      const from = service.output.text().length;
      const response = await deliver(forged);
      const logs = service.output.text().slice(from);

      expect(response.statusCode).toBe(200);
      expect(jsonBody(response)).toEqual({
        requestId,
        stored: false,
        reason: 'conflict',
        conflictingFields: ['visitorId'],
      });
      expect(await stored(requestId)).toEqual(before);
      expect(before).toMatchObject({ visitorId: VICTIM, signals: { suspectScore: 73 } });
      expect(await itemsOf(ATTACKER)).toEqual([]);
      const warning = logs
        .split('\n')
        .filter((line) => line.includes('"level":"WARN"'))
        .map((line) => JSON.parse(line));
      expect(warning).toEqual([
        expect.objectContaining({
          message: 'Webhook delivery not stored',
          eventRequestId: requestId,
          reason: 'conflict',
          conflictingFields: ['visitorId'],
        }),
      ]);
      // Neither visitor is named in the log: the fields say what differs, not the values.
      expect(logs).not.toContain(ATTACKER);
    });

    it('never changes a stored event’s timestamp', async () => {
      const { payload, requestId } = v4Payload(VICTIM);
      await deliver(JSON.stringify(payload));
      const before = await stored(requestId);

      const moved = JSON.stringify({ ...payload, timestamp: (payload.timestamp as number) - 30_000 });

      expect(jsonBody(await deliver(moved))).toEqual({
        requestId,
        stored: false,
        reason: 'conflict',
        conflictingFields: ['timestamp'],
      });
      expect(await stored(requestId)).toEqual(before);
    });

    it('lets the first stored identity win a race of conflicting signed deliveries, every time', async () => {
      for (let trial = 0; trial < 20; trial++) {
        const { payload, requestId } = v4Payload(VICTIM);
        const bodies = [
          JSON.stringify(payload),
          JSON.stringify(variant(payload, ATTACKER, { suspect_score: 0 })),
          JSON.stringify(payload),
          JSON.stringify(variant(payload, ATTACKER, { suspect_score: 0 })),
        ];
        // Alternate which identity is sent first, so that either can win.
        if (trial % 2 === 1) bodies.reverse();

        const receipts = (await Promise.all(bodies.map((body) => deliver(body)))).map((response) => {
          expect(response.statusCode).toBe(200);
          return jsonBody<{ stored: boolean; reason?: string }>(response);
        });

        const winners = receipts.flatMap((receipt, index) =>
          receipt.stored && receipt.reason === undefined ? [index] : [],
        );
        expect({ trial, winners: winners.length }).toEqual({ trial, winners: 1 });
        const winner = JSON.parse(bodies[winners[0] ?? -1] ?? '{}') as {
          identification: { visitor_id: string };
        };
        const winnerVisitor = winner.identification.visitor_id;
        const item = await stored(requestId);
        expect({ trial, visitorId: item?.visitorId }).toEqual({ trial, visitorId: winnerVisitor });
        for (const [index, body] of bodies.entries()) {
          if (index === winners[0]) continue;
          const sameIdentity = body === bodies[winners[0] ?? -1];
          expect({ trial, index, receipt: receipts[index] }).toEqual({
            trial,
            index,
            receipt: sameIdentity
              ? { requestId, stored: true, reason: 'alreadyStored' }
              : { requestId, stored: false, reason: 'conflict', conflictingFields: ['visitorId'] },
          });
        }
        const loser = winnerVisitor === VICTIM ? ATTACKER : VICTIM;
        expect((await itemsOf(loser)).filter((other) => other.requestId === requestId)).toEqual([]);
      }
    });
  });

  it('never logs the signature, the secret or the body, whether it refuses or stores', async () => {
    const { payload } = v4Payload();
    const body = JSON.stringify(payload);
    const signature = signatureHeaderFor(Buffer.from(body), [WEBHOOK_SECRET]);
    await deliver(body, { 'FPJS-Event-Signature': signature });
    await deliver(body, signedBy(body, [STRANGER_SECRET]));
    await deliver(`${body} `, { 'FPJS-Event-Signature': signature });
    const logs = service.output.text();
    expect(logs).toContain('"message":"Webhook received"');
    expect(logs).toContain('"errorCode":"Unauthorized"');
    for (const secret of [
      signature.slice(3),
      signedBy(body, [STRANGER_SECRET])['FPJS-Event-Signature'].slice(3),
      WEBHOOK_SECRET,
    ]) {
      expect(logs).not.toContain(secret);
    }
    expect(logs).not.toContain('61.127.217.15');
    expect(logs).not.toContain('hope{this{works');
  });

  it('answers 503 WebhookNotConfigured (logged, naming the setting) while the webhook secret is empty, storing nothing', async () => {
    service.setWebhookSecret('');
    const { payload, requestId } = v4Payload();
    const response = await deliver(JSON.stringify(payload));

    expectError(response, 503, 'WebhookNotConfigured');
    expect(service.output.text()).toContain('FINGERPRINT_WEBHOOK_SECRET_ID');
    // The line the WebhookNotConfigured metric filter counts (infra/constructs/monitoring.ts).
    expect(service.output.text()).toContain('"errorCode":"WebhookNotConfigured"');
    expect(response.body).not.toContain('FINGERPRINT_WEBHOOK_SECRET_ID');
    expect(await stored(requestId)).toBeUndefined();
  });

  it('costs one secret read for a flood of signed requests while the secret is unset, answering each 503', async () => {
    service.setWebhookSecret('');
    // As deployed: the secret's value cached for SECRET_CACHE_SECONDS (default 300).
    const handler = createWebhookHttpHandler({
      logger: createLogger('SILENT'),
      settings: { basicAuth: false, maxEventAgeSeconds: 3_600 },
      store: new DynamoDbWebhookEventStore({
        client: service.dynamo.client,
        tableName: service.tableName,
        ttlDays: 90,
      }),
      secrets: new SecretsManagerWebhookSecrets({
        client: new SecretsManagerClient({ region: 'us-east-1' }),
        secretId: WEBHOOK_SECRET_ID,
        cacheSeconds: 300,
      }),
    });
    const reads = () =>
      service.secrets.commandCalls(GetSecretValueCommand, { SecretId: WEBHOOK_SECRET_ID }).length;
    const readsBefore = reads();
    const forged = (index: number) => {
      const body = JSON.stringify({ event_id: `1708102555327.Flood${index % 10}`, junk: index });
      // Any well-formed signature header gets past the cheap checks to the secret.
      return handler(
        buildApiEvent({
          method: 'POST',
          resource: '/webhooks/fingerprint',
          body,
          headers: { 'FPJS-Event-Signature': `v1=${'ab'.repeat(32)}` },
        }),
        buildContext(6_000, 'webhook'),
      );
    };

    const answers = [
      ...(await Promise.all(Array.from({ length: 50 }, (_, index) => forged(index)))),
      ...(await Promise.all(Array.from({ length: 50 }, (_, index) => forged(50 + index)))),
    ];

    for (const answer of answers) expectError(answer, 503, 'WebhookNotConfigured');
    expect(reads() - readsBefore).toBe(1);
  });

  describe('with basic auth enabled', () => {
    const credentials = { username: 'fingerprint', password: 'correct horse' };
    const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
    let handler: ReturnType<typeof createWebhookHttpHandler>;

    beforeAll(() => {
      handler = createWebhookHttpHandler({
        logger: createLogger('ERROR'),
        settings: { basicAuth: true, maxEventAgeSeconds: 3_600 },
        store: new DynamoDbWebhookEventStore({
          client: service.dynamo.client,
          tableName: service.tableName,
          ttlDays: 90,
        }),
        secrets: new StaticWebhookSecrets(
          JSON.stringify({ secrets: [WEBHOOK_SECRET], basicAuth: credentials }),
        ),
      });
    });
    const send = (body: string, authorization?: string) =>
      handler(
        buildApiEvent({
          method: 'POST',
          resource: '/webhooks/fingerprint',
          body,
          headers: {
            // Header names arrive as the sender spelled them.
            'fpjs-event-signature': signatureHeaderFor(Buffer.from(body), [WEBHOOK_SECRET]),
            ...(authorization !== undefined && { authorization }),
          },
        }),
        buildContext(6_000, 'webhook'),
      );

    it('stores a signed delivery that carries the credentials', async () => {
      const { payload, requestId } = v4Payload();
      expect(jsonBody(await send(JSON.stringify(payload), basic('fingerprint:correct horse')))).toEqual({
        requestId,
        stored: true,
      });
    });

    it('refuses a signed delivery without them, with a Basic challenge, storing nothing', async () => {
      for (const authorization of [undefined, basic('fingerprint:wrong')]) {
        const { payload, requestId } = v4Payload();
        const response = await send(JSON.stringify(payload), authorization);
        expectError(response, 401, 'Unauthorized');
        expect(response.headers?.['WWW-Authenticate']).toMatch(/^Basic realm=/);
        expect(await stored(requestId)).toBeUndefined();
      }
    });
  });
});
