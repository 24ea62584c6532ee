import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  StaticWebhookSecrets,
  WebhookSecretError,
  type WebhookSecretSource,
} from '../../functions/webhook/credentials.js';
import { signatureHeaderFor } from '../../functions/webhook/signature.js';
import {
  BASIC_AUTH_CHALLENGE,
  MAX_EVENT_CLOCK_SKEW_MS,
  receiveWebhook,
  type WebhookDelivery,
} from '../../functions/webhook/webhook.js';
import { PayloadTooLargeError, UnauthorizedError, ValidationError } from '../../shared/domain/errors.js';
import { toHttpError } from '../../shared/http/errors.js';
import { WEBHOOK_BODY_MAX_BYTES } from '../../shared/manifest/limits.js';
import { FakeEventStore } from '../support/fakes.js';

const SECRET = 'whsec-unit-current';
const REQUEST_ID = '1708102555327.NLOjmg';
/** The fixture's event happened at 1708102555327; the clock reads a few seconds later. */
const EVENT_TIME = 1_708_102_555_327;
const now = () => EVENT_TIME + 5_000;
const OPTIONS = { basicAuth: false, maxEventAgeSeconds: 3_600 };

const v4Event = (): Record<string, unknown> =>
  JSON.parse(
    readFileSync(new URL('../fixtures/fingerprint/v4/webhook/webhook_event.json', import.meta.url), 'utf8'),
  );

function delivery(payload: unknown, overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  const body = Buffer.isBuffer(payload)
    ? payload
    : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return { body, signature: signatureHeaderFor(body, [SECRET]), authorization: undefined, ...overrides };
}

/** A secret source that counts reads, and can fail like an unreadable secret. */
function secretsOf(value: string, failure?: Error) {
  const source = new StaticWebhookSecrets(value);
  const counted = {
    reads: 0,
    get: () => {
      counted.reads += 1;
      return failure === undefined ? source.get() : Promise.reject(failure);
    },
  } satisfies WebhookSecretSource & { reads: number };
  return counted;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the delivery to be refused');
}

describe('webhook delivery', () => {
  it('stores the normalized event of a signed v4 delivery, marked as coming from a webhook', async () => {
    const store = new FakeEventStore({ now });

    const receipt = await receiveWebhook(
      delivery(v4Event()),
      { store, now, secrets: secretsOf(SECRET) },
      OPTIONS,
    );

    expect(receipt).toEqual({ requestId: REQUEST_ID, stored: true });
    expect(store.items.get(REQUEST_ID)).toMatchObject({
      requestId: REQUEST_ID,
      visitorId: 'Ibk1527CUFmcnjLwIs4A9',
      source: 'webhook',
    });
  });

  it.each([
    ['unsigned', { signature: undefined }, UnauthorizedError],
    [
      'signed with another secret',
      { signature: signatureHeaderFor(Buffer.from('{}'), ['other']) },
      UnauthorizedError,
    ],
    ['with a malformed signature header', { signature: 'sha256=abc' }, ValidationError],
  ])('refuses a delivery %s and stores nothing', async (_, overrides, type) => {
    const store = new FakeEventStore({ now });
    const error = await rejectionOf(
      receiveWebhook(delivery(v4Event(), overrides), { store, now, secrets: secretsOf(SECRET) }, OPTIONS),
    );
    expect(error).toBeInstanceOf(type);
    expect(store.items.size).toBe(0);
  });

  it('refuses unsigned and oversized deliveries before reading the secret', async () => {
    const secrets = secretsOf(SECRET, new WebhookSecretError('Cannot read the webhook secret: unreadable'));
    const store = new FakeEventStore({ now });
    const big = delivery('x'.repeat(WEBHOOK_BODY_MAX_BYTES + 1));

    await expect(receiveWebhook(big, { store, now, secrets }, OPTIONS)).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
    await expect(
      receiveWebhook(delivery(v4Event(), { signature: undefined }), { store, now, secrets }, OPTIONS),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    expect(secrets.reads).toBe(0);
    // A signed delivery needs the secret: a deployment problem, answered 503 WebhookNotConfigured.
    const misconfigured = await rejectionOf(
      receiveWebhook(delivery(v4Event()), { store, now, secrets }, OPTIONS),
    );
    expect(misconfigured).toBeInstanceOf(WebhookSecretError);
    expect(toHttpError(misconfigured)).toMatchObject({
      statusCode: 503,
      body: { error: { code: 'WebhookNotConfigured' } },
    });
    // The details (which setting, what is wrong with it) go to the logs, not to an anonymous caller.
    expect(toHttpError(misconfigured).body.error.message).not.toContain('unreadable');
    expect(toHttpError(misconfigured).body.error.message).toMatch(/not configured/);
  });

  it.each([
    ['not JSON', '{"event_id":', 'body'],
    ['not an object', '[1, 2]', 'body'],
    ['not UTF-8', Buffer.from('{"event_id": "\xff"}', 'latin1'), 'body'],
    [
      'without a visitor id',
      JSON.stringify({ event_id: REQUEST_ID, identification: {}, timestamp: 1 }),
      undefined,
    ],
  ])('refuses a signed body that is %s with a 400, storing nothing', async (_, payload, field) => {
    const store = new FakeEventStore({ now });
    const error = await rejectionOf(
      receiveWebhook(delivery(payload), { store, now, secrets: secretsOf(SECRET) }, OPTIONS),
    );
    expect(error).toBeInstanceOf(ValidationError);
    if (field !== undefined) expect(error).toMatchObject({ field });
    expect(toHttpError(error).statusCode).toBe(400);
    expect(store.items.size).toBe(0);
  });

  it('acknowledges an Edge analysis (no identification, no visitor) without storing it', async () => {
    const store = new FakeEventStore({ now });
    const { identification: _, ...edge } = v4Event();

    const receipt = await receiveWebhook(delivery(edge), { store, now, secrets: secretsOf(SECRET) }, OPTIONS);

    expect(receipt).toEqual({ requestId: REQUEST_ID, stored: false, reason: 'noVisitor' });
    expect(store.items.size).toBe(0);
  });

  describe('with basic auth enabled', () => {
    const credentials = { username: 'fingerprint', password: 'hunter2' };
    const secret = JSON.stringify({ secrets: [SECRET], basicAuth: credentials });
    const authorization = `Basic ${Buffer.from('fingerprint:hunter2').toString('base64')}`;

    it('accepts a signed delivery with the credentials', async () => {
      const store = new FakeEventStore({ now });
      await expect(
        receiveWebhook(
          delivery(v4Event(), { authorization }),
          { store, now, secrets: secretsOf(secret) },
          { ...OPTIONS, basicAuth: true },
        ),
      ).resolves.toMatchObject({ stored: true });
    });

    it('refuses a signed delivery without them, with a Basic challenge, storing nothing', async () => {
      const store = new FakeEventStore({ now });
      const error = await rejectionOf(
        receiveWebhook(
          delivery(v4Event(), {
            authorization: `Basic ${Buffer.from('fingerprint:wrong').toString('base64')}`,
          }),
          { store, now, secrets: secretsOf(secret) },
          { ...OPTIONS, basicAuth: true },
        ),
      );
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect(toHttpError(error)).toMatchObject({
        statusCode: 401,
        headers: { 'WWW-Authenticate': BASIC_AUTH_CHALLENGE },
      });
      expect(store.items.size).toBe(0);
    });

    it('still requires the signature', async () => {
      const store = new FakeEventStore({ now });
      const error = await rejectionOf(
        receiveWebhook(
          delivery(v4Event(), { authorization, signature: signatureHeaderFor(Buffer.from('x'), [SECRET]) }),
          { store, now, secrets: secretsOf(secret) },
          { ...OPTIONS, basicAuth: true },
        ),
      );
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect(toHttpError(error).headers).toEqual({});
    });

    it('fails closed, as a deployment problem, when the secret has no credentials', async () => {
      const error = await rejectionOf(
        receiveWebhook(
          delivery(v4Event(), { authorization }),
          { store: new FakeEventStore({ now }), now, secrets: secretsOf(SECRET) },
          { ...OPTIONS, basicAuth: true },
        ),
      );
      expect(error).toBeInstanceOf(WebhookSecretError);
      expect((error as Error).message).toMatch(/WEBHOOK_BASIC_AUTH_ENABLED/);
    });
  });
});

describe('a delivery of an event already stored', () => {
  const ATTACKER_VISITOR = 'Attacker1527CUFmcnjLw';

  /** A store holding the fixture's event, as a first delivery stored it, with a suspect score of 73. */
  async function storedOnce() {
    const store = new FakeEventStore({ now });
    const original: Record<string, unknown> = { ...v4Event(), suspect_score: 73 };
    const first = await receiveWebhook(
      delivery(original),
      { store, now, secrets: secretsOf(SECRET) },
      OPTIONS,
    );
    expect(first).toEqual({ requestId: REQUEST_ID, stored: true });
    const before = structuredClone(store.items.get(REQUEST_ID));
    expect(before).toMatchObject({ visitorId: 'Ibk1527CUFmcnjLwIs4A9', signals: { suspectScore: 73 } });
    return { store, original, before };
  }

  const receive = (store: FakeEventStore, payload: unknown) =>
    receiveWebhook(delivery(payload), { store, now, secrets: secretsOf(SECRET) }, OPTIONS);

  it('acknowledges a signed delivery moving it to another visitor with its fraud signal erased, changing nothing', async () => {
    const { store, original, before } = await storedOnce();
    const forged = {
      ...original,
      suspect_score: 0,
      identification: { ...(original.identification as object), visitor_id: ATTACKER_VISITOR },
    };

    expect(await receive(store, forged)).toEqual({
      requestId: REQUEST_ID,
      stored: false,
      reason: 'conflict',
      conflictingFields: ['visitorId'],
    });
    expect(store.items.get(REQUEST_ID)).toEqual(before);
    expect([...store.items.values()].filter((event) => event.visitorId === ATTACKER_VISITOR)).toEqual([]);
  });

  it.each([
    ['another timestamp', { timestamp: EVENT_TIME - 60_000 }, ['timestamp']],
    [
      'another visitor and timestamp',
      { timestamp: EVENT_TIME + 1, identification: { visitor_id: ATTACKER_VISITOR } },
      ['visitorId', 'timestamp'],
    ],
  ])('refuses a delivery with %s as a conflict, changing nothing', async (_, change, fields) => {
    const { store, original, before } = await storedOnce();

    const receipt = await receive(store, { ...original, ...change });

    expect(receipt).toEqual({
      requestId: REQUEST_ID,
      stored: false,
      reason: 'conflict',
      conflictingFields: fields,
    });
    expect(store.items.get(REQUEST_ID)).toEqual(before);
  });

  it('keeps a same-content re-delivery idempotent: acknowledged as stored, the item unchanged', async () => {
    const { store, original, before } = await storedOnce();

    for (let attempt = 0; attempt < 3; attempt++) {
      expect(await receive(store, original)).toEqual({
        requestId: REQUEST_ID,
        stored: true,
        reason: 'alreadyStored',
      });
    }
    expect(store.items.get(REQUEST_ID)).toEqual(before);
    expect(store.items.size).toBe(1);
  });

  it('never lowers a stored fraud signal, nor drops tags or the linkedId, through a re-delivery of the same identity', async () => {
    const { store, original, before } = await storedOnce();
    const whitewashed = {
      ...original,
      suspect_score: 0,
      tags: {},
      linked_id: undefined,
      bot: { result: 'notDetected' },
    };

    expect(await receive(store, whitewashed)).toMatchObject({ stored: true, reason: 'alreadyStored' });
    expect(store.items.get(REQUEST_ID)).toEqual(before);
  });
});

describe('the age of a delivered event', () => {
  const at = (timestamp: number) => ({ ...v4Event(), timestamp });
  const receiveAt = (store: FakeEventStore, timestamp: number, maxEventAgeSeconds = 3_600) =>
    receiveWebhook(
      delivery(at(timestamp)),
      { store, now: () => EVENT_TIME, secrets: secretsOf(SECRET) },
      { ...OPTIONS, maxEventAgeSeconds },
    );

  it.each([
    ['61 days old', EVENT_TIME - 61 * 86_400_000, 3_600, 'stale'],
    ['one ms older than WEBHOOK_MAX_EVENT_AGE_SECONDS', EVENT_TIME - 3_600_001, 3_600, 'stale'],
    ['older than a lower limit', EVENT_TIME - 601_000, 600, 'stale'],
    ['more than 5 minutes in the future', EVENT_TIME + MAX_EVENT_CLOCK_SKEW_MS + 1, 3_600, 'future'],
    ['a year in the future', EVENT_TIME + 365 * 86_400_000, 3_600, 'future'],
  ])('acknowledges an event %s without storing it', async (_, timestamp, maxAge, reason) => {
    const store = new FakeEventStore({ now });

    expect(await receiveAt(store, timestamp, maxAge)).toEqual({
      requestId: REQUEST_ID,
      stored: false,
      reason,
    });
    expect(store.items.size).toBe(0);
  });

  it.each([
    ['exactly WEBHOOK_MAX_EVENT_AGE_SECONDS old', EVENT_TIME - 3_600_000],
    ['as old as Fingerprint’s retry, 5 minutes later', EVENT_TIME - 5 * 60_000 - 2_000],
    ['exactly 5 minutes in the future (clock skew)', EVENT_TIME + MAX_EVENT_CLOCK_SKEW_MS],
  ])('stores an event %s', async (_, timestamp) => {
    const store = new FakeEventStore({ now });

    expect(await receiveAt(store, timestamp)).toEqual({ requestId: REQUEST_ID, stored: true });
    expect(store.items.get(REQUEST_ID)?.timestamp).toBe(timestamp);
  });

  it('checks the age before the store: a stale replay conflicting with a stored event touches nothing', async () => {
    const store = new FakeEventStore({ now });
    await receiveAt(store, EVENT_TIME);
    store.failWith = new Error('the store must not be called');

    expect(await receiveAt(store, EVENT_TIME - 7_200_000)).toMatchObject({ stored: false, reason: 'stale' });
  });
});
