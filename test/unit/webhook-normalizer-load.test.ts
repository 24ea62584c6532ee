import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebhookSecretSource } from '../../functions/webhook/credentials.js';
import { FakeEventStore } from '../support/fakes.js';

// The webhook loads Fingerprint's normalizer (and Zod) on its first delivery, starting the load before it reads
// the secret (functions/webhook/webhook.ts). Each test imports a fresh webhook module whose `import()` of the
// normalizer goes through a mock factory, to see when that load starts and what happens when it fails.

const NORMALIZER = '../../shared/fingerprint/normalize.js';
const SECRET = 'whsec-unit-current';
const REQUEST_ID = '1708102555327.NLOjmg';
/** The fixture's event happened at 1708102555327; the clock reads a few seconds later. */
const now = () => 1_708_102_555_327 + 5_000;
const OPTIONS = { basicAuth: false, maxEventAgeSeconds: 3_600 };
const BODY = readFileSync(new URL('../fixtures/fingerprint/v4/webhook/webhook_event.json', import.meta.url));

type NormalizerFactory = (importOriginal: () => Promise<unknown>) => Promise<unknown>;

/** A fresh webhook use case (and the modules it shares) whose normalizer's load runs `factory`. */
async function webhookLoadingNormalizerWith(factory: NormalizerFactory) {
  vi.resetModules();
  vi.doMock(NORMALIZER, factory);
  const [webhook, signature, credentials, errors, httpErrors] = await Promise.all([
    import('../../functions/webhook/webhook.js'),
    import('../../functions/webhook/signature.js'),
    import('../../functions/webhook/credentials.js'),
    import('../../shared/domain/errors.js'),
    import('../../shared/http/errors.js'),
  ]);
  return { ...webhook, ...signature, ...credentials, ...errors, ...httpErrors };
}

afterEach(() => {
  vi.doUnmock(NORMALIZER);
  vi.resetModules();
});

/** Collects the unhandled rejections of the process until `stop`. */
function watchUnhandledRejections() {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  return {
    seen,
    stop: () => process.off('unhandledRejection', listener),
  };
}

/**
 * `promise`'s value, or `false` if it has not settled after a few seconds: what a test waits for that a
 * regression would never bring fails the test instead of hanging it.
 */
function unlessTooLong<T>(promise: Promise<T>): Promise<T | false> {
  const giveUp = new Promise<false>((resolve) => setTimeout(() => resolve(false), 5_000).unref());
  return Promise.race([promise, giveUp]);
}

/** One turn of the event loop: Node reports an unhandled rejection once the microtasks after it have run. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('the webhook’s normalizer, loaded on the first delivery', () => {
  it('starts loading while the secret is read, and stores the delivery once loaded', async () => {
    let loadStarted!: () => void;
    const started = new Promise<true>((resolve) => {
      loadStarted = () => resolve(true);
    });
    const webhook = await webhookLoadingNormalizerWith(async (importOriginal) => {
      loadStarted();
      return { ...((await importOriginal()) as object) };
    });
    const source = new webhook.StaticWebhookSecrets(SECRET);
    let loadingDuringRead: boolean | undefined;
    const secrets: WebhookSecretSource = {
      // The read finishes once the load has started; were the load started after it, the read would give up
      // waiting (and the test fail) rather than hang.
      get: async () => {
        loadingDuringRead = await unlessTooLong(started);
        return source.get();
      },
    };
    const store = new FakeEventStore({ now });

    const receipt = await webhook.receiveWebhook(
      { body: BODY, signature: webhook.signatureHeaderFor(BODY, [SECRET]), authorization: undefined },
      { store, now, secrets },
      OPTIONS,
    );

    expect(loadingDuringRead, 'the load started while the secret was read').toBe(true);
    expect(receipt).toEqual({ requestId: REQUEST_ID, stored: true });
    expect(store.items.get(REQUEST_ID)).toMatchObject({ requestId: REQUEST_ID, source: 'webhook' });
  });

  it.each([
    ['signed with another secret', 'other-secret', undefined, 'UnauthorizedError'],
    ['whose secret cannot be read', SECRET, 'unreadable', 'WebhookSecretError'],
  ] as const)(
    'refuses a delivery %s without an unhandled rejection when the normalizer fails to load, and loads it again for the next one',
    async (_, signingSecret, secretFailure, refusal) => {
      let attempts = 0;
      let failed!: () => void;
      const firstFailure = new Promise<true>((resolve) => {
        failed = () => resolve(true);
      });
      const webhook = await webhookLoadingNormalizerWith(async (importOriginal) => {
        attempts += 1;
        if (attempts === 1) {
          failed();
          throw new Error('chunk not readable');
        }
        return { ...((await importOriginal()) as object) };
      });
      const source = new webhook.StaticWebhookSecrets(SECRET);
      const secrets: WebhookSecretSource = {
        get: () =>
          secretFailure === undefined
            ? source.get()
            : Promise.reject(
                new webhook.WebhookSecretError(`Cannot read the webhook secret: ${secretFailure}`),
              ),
      };
      const store = new FakeEventStore({ now });
      const watch = watchUnhandledRejections();
      try {
        const refused = webhook.receiveWebhook(
          {
            body: BODY,
            signature: webhook.signatureHeaderFor(BODY, [signingSecret]),
            authorization: undefined,
          },
          { store, now, secrets },
          OPTIONS,
        );
        await expect(refused).rejects.toBeInstanceOf(webhook[refusal]);
        // The refusal did not wait for the load: wait for it to fail, then for Node to report what is unhandled.
        expect(await unlessTooLong(firstFailure), 'the load started before the refusal').toBe(true);
        await nextTurn();
        await nextTurn();
        expect(watch.seen).toEqual([]);
      } finally {
        watch.stop();
      }
      expect(attempts).toBe(1);
      expect(store.items.size).toBe(0);

      // The failed load is not kept: the next delivery, signed and with its secret readable, loads it again.
      const receipt = await webhook.receiveWebhook(
        { body: BODY, signature: webhook.signatureHeaderFor(BODY, [SECRET]), authorization: undefined },
        { store, now, secrets: source },
        OPTIONS,
      );
      expect(attempts).toBe(2);
      expect(receipt).toEqual({ requestId: REQUEST_ID, stored: true });
    },
  );

  it('fails a signed delivery with the load’s error when the normalizer cannot be loaded', async () => {
    const unreadable = new Error('chunk not readable');
    const webhook = await webhookLoadingNormalizerWith(async () => {
      throw unreadable;
    });
    const store = new FakeEventStore({ now });

    const error = await webhook
      .receiveWebhook(
        { body: BODY, signature: webhook.signatureHeaderFor(BODY, [SECRET]), authorization: undefined },
        { store, now, secrets: new webhook.StaticWebhookSecrets(SECRET) },
        OPTIONS,
      )
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );

    // Vitest wraps a mock factory's error in one of its own; a failed `import()` in a bundle rejects with it as is.
    expect(error).toBeInstanceOf(Error);
    expect(error === unreadable || (error as Error).cause === unreadable).toBe(true);
    // Not a refusal of the delivery (4xx) but a failure of ours, answered 500 so that Fingerprint retries it.
    expect(error).not.toBeInstanceOf(webhook.AppError);
    expect(webhook.toHttpError(error)).toMatchObject({ statusCode: 500 });
    expect(store.items.size).toBe(0);
  });
});
