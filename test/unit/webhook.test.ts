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
  MAX_WEBHOOK_BODY_BYTES,
  receiveWebhook,
  type WebhookDelivery,
} from '../../functions/webhook/webhook.js';
import { PayloadTooLargeError, UnauthorizedError, ValidationError } from '../../shared/domain/errors.js';
import { toHttpError } from '../../shared/http/errors.js';
import { FakeEventStore } from '../support/fakes.js';

const SECRET = 'whsec-unit-current';
const REQUEST_ID = '1708102555327.NLOjmg';

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
    const store = new FakeEventStore();

    const receipt = await receiveWebhook(
      delivery(v4Event()),
      { store, secrets: secretsOf(SECRET) },
      {
        basicAuth: false,
      },
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
    const store = new FakeEventStore();
    const error = await rejectionOf(
      receiveWebhook(
        delivery(v4Event(), overrides),
        { store, secrets: secretsOf(SECRET) },
        { basicAuth: false },
      ),
    );
    expect(error).toBeInstanceOf(type);
    expect(store.items.size).toBe(0);
  });

  it('refuses unsigned and oversized deliveries before reading the secret', async () => {
    const secrets = secretsOf(SECRET, new WebhookSecretError('unreadable'));
    const store = new FakeEventStore();
    const big = delivery('x'.repeat(MAX_WEBHOOK_BODY_BYTES + 1));

    await expect(receiveWebhook(big, { store, secrets }, { basicAuth: false })).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
    await expect(
      receiveWebhook(delivery(v4Event(), { signature: undefined }), { store, secrets }, { basicAuth: false }),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    expect(secrets.reads).toBe(0);
    // A signed delivery needs the secret: a deployment problem, answered as a 500.
    const misconfigured = await rejectionOf(
      receiveWebhook(delivery(v4Event()), { store, secrets }, { basicAuth: false }),
    );
    expect(misconfigured).toBeInstanceOf(WebhookSecretError);
    expect(toHttpError(misconfigured).statusCode).toBe(500);
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
    const store = new FakeEventStore();
    const error = await rejectionOf(
      receiveWebhook(delivery(payload), { store, secrets: secretsOf(SECRET) }, { basicAuth: false }),
    );
    expect(error).toBeInstanceOf(ValidationError);
    if (field !== undefined) expect(error).toMatchObject({ field });
    expect(toHttpError(error).statusCode).toBe(400);
    expect(store.items.size).toBe(0);
  });

  it('acknowledges an Edge analysis (no identification, no visitor) without storing it', async () => {
    const store = new FakeEventStore();
    const { identification: _, ...edge } = v4Event();

    const receipt = await receiveWebhook(
      delivery(edge),
      { store, secrets: secretsOf(SECRET) },
      { basicAuth: false },
    );

    expect(receipt).toEqual({ requestId: REQUEST_ID, stored: false });
    expect(store.items.size).toBe(0);
  });

  describe('with basic auth enabled', () => {
    const credentials = { username: 'fingerprint', password: 'hunter2' };
    const secret = JSON.stringify({ secrets: [SECRET], basicAuth: credentials });
    const authorization = `Basic ${Buffer.from('fingerprint:hunter2').toString('base64')}`;

    it('accepts a signed delivery with the credentials', async () => {
      const store = new FakeEventStore();
      await expect(
        receiveWebhook(
          delivery(v4Event(), { authorization }),
          { store, secrets: secretsOf(secret) },
          { basicAuth: true },
        ),
      ).resolves.toMatchObject({ stored: true });
    });

    it('refuses a signed delivery without them, with a Basic challenge, storing nothing', async () => {
      const store = new FakeEventStore();
      const error = await rejectionOf(
        receiveWebhook(
          delivery(v4Event(), {
            authorization: `Basic ${Buffer.from('fingerprint:wrong').toString('base64')}`,
          }),
          { store, secrets: secretsOf(secret) },
          { basicAuth: true },
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
      const store = new FakeEventStore();
      const error = await rejectionOf(
        receiveWebhook(
          delivery(v4Event(), { authorization, signature: signatureHeaderFor(Buffer.from('x'), [SECRET]) }),
          { store, secrets: secretsOf(secret) },
          { basicAuth: true },
        ),
      );
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect(toHttpError(error).headers).toEqual({});
    });

    it('fails closed, as a deployment problem, when the secret has no credentials', async () => {
      const error = await rejectionOf(
        receiveWebhook(
          delivery(v4Event(), { authorization }),
          { store: new FakeEventStore(), secrets: secretsOf(SECRET) },
          { basicAuth: true },
        ),
      );
      expect(error).toBeInstanceOf(WebhookSecretError);
      expect((error as Error).message).toMatch(/WEBHOOK_BASIC_AUTH_ENABLED/);
    });
  });
});
