import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeFingerprint, startFakeFingerprint } from '../../local/fingerprint-emulator/index.js';
import {
  NotFoundError,
  UpstreamAuthError,
  UpstreamBadResponseError,
  UpstreamBudgetExhaustedError,
  UpstreamMisconfiguredError,
  UpstreamRateLimitedError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
  ValidationError,
} from '../../shared/domain/errors.js';
import { createFingerprintClient, type FingerprintClientOptions } from '../../shared/fingerprint/client.js';
import { SpacingRateLimiter } from '../../shared/fingerprint/rate-limiter.js';
import { StaticKeyProvider } from '../../shared/fingerprint/secret.js';
import type { ApiKeyProvider, ApiVersion } from '../../shared/fingerprint/types.js';
import { startAndFinish } from '../support/limiter.js';

/** Looks like a real secret key, so a leak is easy to spot. */
const API_KEY = 'fpsk_ClientTestCanary_5hQ8zR2mW7';
const VISITOR_ID = 'Ibk1527CUFmcnjLwIs4A9';
const VERSIONS: ApiVersion[] = ['v4', 'v3'];

const fixture = (path: string): string =>
  readFileSync(new URL(`../fixtures/fingerprint/${path}`, import.meta.url), 'utf8');

let fake: FakeFingerprint;

beforeEach(async () => {
  fake = await startFakeFingerprint({ apiKey: API_KEY });
});

afterEach(async () => {
  await fake.close();
});

/**
 * A client of the fake upstream that never really sleeps: waits are recorded in `sleeps` instead, and the
 * limiter is off unless a test sets `maxRps`.
 */
function buildClient(apiVersion: ApiVersion, overrides: Partial<FingerprintClientOptions> = {}) {
  const sleeps: number[] = [];
  const client = createFingerprintClient({
    apiVersion,
    region: 'us',
    baseUrl: fake.baseUrl,
    keys: new StaticKeyProvider(API_KEY),
    maxRps: Number.POSITIVE_INFINITY,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
  return { client, sleeps };
}

/** A provider that hands out `keys` in turn, moving to the next one on `invalidate()`. */
function rotatingKeys(keys: string[]) {
  const state = { index: 0, invalidations: 0 };
  const provider: ApiKeyProvider = {
    getKey: async () => keys[Math.min(state.index, keys.length - 1)] ?? '',
    invalidate: () => {
      state.invalidations += 1;
      state.index += 1;
    },
  };
  return { provider, state };
}

const withinSeconds = (seconds: number) => ({ deadline: Date.now() + seconds * 1000 });

function seedOne(overrides: { linkedId?: string } = {}) {
  const [seed] = fake.seedMany(1, { visitorId: VISITOR_ID, linkedId: 'order-123', ...overrides });
  if (seed === undefined) throw new Error('seedMany returned nothing');
  return seed;
}

/** Every text an error carries: its message and its cause chain's messages. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current = error;
  while (current instanceof Error) {
    parts.push(current.message, String(current.stack));
    current = current.cause;
  }
  return parts.join('\n');
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe.each(VERSIONS)('Fingerprint client, Server API %s', (version) => {
  describe('getEvent', () => {
    it('returns the normalized event of a requestId', async () => {
      const seed = seedOne();
      const { client } = buildClient(version);

      const event = await client.getEvent(seed.requestId, withinSeconds(5));

      expect(event).toMatchObject({
        requestId: seed.requestId,
        visitorId: VISITOR_ID,
        linkedId: 'order-123',
        timestamp: seed.timestamp,
        source: version,
      });
    });

    it("authenticates with the version's header and never with a query-string key", async () => {
      const seed = seedOne();
      const headers: Headers[] = [];
      const { client } = buildClient(version, {
        fetch: (input, init) => {
          headers.push(new Headers(init?.headers));
          return fetch(input, init);
        },
      });

      await client.getEvent(seed.requestId, withinSeconds(5));
      await client.searchEvents({ visitorId: VISITOR_ID, maxEvents: 5 }, withinSeconds(5));

      expect(fake.requests.map((request) => request.authorized)).toEqual([true, true]);
      for (const request of fake.requests) {
        expect(request.query).not.toHaveProperty('api_key');
        expect(request.query).not.toHaveProperty('auth_token');
      }
      for (const sent of headers) {
        if (version === 'v4') {
          expect(sent.get('authorization')).toBe(`Bearer ${API_KEY}`);
          expect(sent.get('auth-api-key')).toBeNull();
        } else {
          expect(sent.get('auth-api-key')).toBe(API_KEY);
          expect(sent.get('authorization')).toBeNull();
        }
      }
    });

    it('throws NotFoundError for an unknown requestId, without retrying', async () => {
      const { client } = buildClient(version);

      const error = await rejectionOf(client.getEvent('1708102555327.NoSuch', withinSeconds(5)));

      expect(error).toBeInstanceOf(NotFoundError);
      expect(fake.requests).toHaveLength(1);
    });

    it('throws UpstreamRejectedError for a 400, without retrying', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'status', status: 400 });
      const { client } = buildClient(version);

      const error = await rejectionOf(client.getEvent(seed.requestId, withinSeconds(5)));

      expect(error).toBeInstanceOf(UpstreamRejectedError);
      expect(fake.requests).toHaveLength(1);
    });
    it.each(
      version === 'v4'
        ? ['v4/errors/404_event_not_found.json', 'v4/errors/404_visitor_not_found.json']
        : ['v3/errors/404_request_not_found.json', 'v3/errors/404_visitor_not_found.json'],
    )("keeps Fingerprint's own 404 body %s a NotFoundError, not retried", async (path) => {
      const seed = seedOne();
      fake.failNext({ kind: 'status', status: 404, body: fixture(path) });
      const { client } = buildClient(version);

      const error = await rejectionOf(client.getEvent(seed.requestId, withinSeconds(5)));

      expect(error).toBeInstanceOf(NotFoundError);
      expect(fake.requests).toHaveLength(1);
    });

    it.each([
      ['an HTML page', '<html><body>Cannot GET</body></html>'],
      ['an API Gateway route-not-found', '{"message":"Not Found"}'],
      ['a plain error string', '{"error":"Not Found"}'],
      ['an empty body', ''],
    ])(
      'reports a 404 with %s as UpstreamMisconfigured naming the settings, not as not found',
      async (_, body) => {
        const seed = seedOne();
        fake.failNext({ kind: 'status', status: 404, body }, 10);
        const { client } = buildClient(version);

        const error = await rejectionOf(client.getEvent(seed.requestId, withinSeconds(5)));

        expect(error).toBeInstanceOf(UpstreamMisconfiguredError);
        expect(error).toMatchObject({ retryable: true, code: 'UpstreamMisconfigured' });
        expect((error as Error).message).toContain('FINGERPRINT_BASE_URL');
        expect((error as Error).message).toContain('FINGERPRINT_REGION');
        expect(errorText(error)).not.toContain(API_KEY);
        expect(fake.requests).toHaveLength(1);
      },
    );

    it('refuses an answer for another id, naming both ids, without retrying', async () => {
      const [asked, other] = fake.seedMany(2, { visitorId: VISITOR_ID });
      if (asked === undefined || other === undefined) throw new Error('seedMany returned too few');
      const { client } = buildClient(version, {
        // A confused proxy or cache in between: it answers the request for one event with another.
        fetch: (input, init) => fetch(String(input).replace(asked.requestId, other.requestId), init),
      });

      const error = await rejectionOf(client.getEvent(asked.requestId, withinSeconds(5)));

      expect(error).toBeInstanceOf(UpstreamBadResponseError);
      expect((error as Error).message).toContain(asked.requestId);
      expect((error as Error).message).toContain(other.requestId);
      expect(fake.requests).toHaveLength(1);
    });

    it.each(['', '/', '//'])(
      "reaches the routes whether the base URL ends in the documents' server path or not (suffix %j)",
      async (slash) => {
        const seed = seedOne();
        const withPath = version === 'v4' ? `${fake.baseUrl}/v4${slash}` : `${fake.baseUrl}${slash}`;
        for (const baseUrl of [withPath, `${fake.baseUrl}${slash}`]) {
          const { client } = buildClient(version, { baseUrl });
          const event = await client.getEvent(seed.requestId, withinSeconds(5));
          expect(event.requestId).toBe(seed.requestId);
        }
        const prefix = version === 'v4' ? '/v4/events/' : '/events/';
        expect(fake.requests.map((request) => request.path)).toEqual([
          `${prefix}${seed.requestId}`,
          `${prefix}${seed.requestId}`,
        ]);
      },
    );
  });

  describe('retries', () => {
    it('waits for the Retry-After of a 429, then succeeds', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'status', status: 429, retryAfter: '2' });
      const { client, sleeps } = buildClient(version);

      const event = await client.getEvent(seed.requestId, withinSeconds(10));

      expect(event.requestId).toBe(seed.requestId);
      expect(sleeps).toEqual([2000]);
      expect(fake.requests).toHaveLength(2);
    });

    it('honors a Retry-After given as an HTTP date', async () => {
      const seed = seedOne();
      const now = Date.parse('2030-01-01T00:00:00Z');
      fake.failNext({ kind: 'status', status: 429, retryAfter: 'Tue, 01 Jan 2030 00:00:03 GMT' });
      const { client, sleeps } = buildClient(version, { now: () => now });

      await client.getEvent(seed.requestId, { deadline: now + 10_000 });

      expect(sleeps).toEqual([3000]);
    });

    it('backs off with jitter after a 429 without Retry-After, then succeeds', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'status', status: 429 }, 2);
      const { client, sleeps } = buildClient(version, { random: () => 0.5, backoffBaseMs: 100 });

      await client.getEvent(seed.requestId, withinSeconds(5));

      expect(sleeps).toEqual([50, 100]);
      expect(fake.requests).toHaveLength(3);
    });

    it('gives up with UpstreamRateLimitedError and the upstream delay once attempts run out', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'status', status: 429, retryAfter: '1' }, 10);
      const { client } = buildClient(version, { maxAttempts: 3 });

      const error = await rejectionOf(client.getEvent(seed.requestId, withinSeconds(10)));

      expect(error).toBeInstanceOf(UpstreamRateLimitedError);
      expect(error).toMatchObject({ retryAfterSeconds: 1 });
      expect(fake.requests).toHaveLength(3);
    });

    it('gives up with a retryAfterSeconds of at least 1 when 429s carry no Retry-After', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'status', status: 429 }, 10);
      const { client } = buildClient(version, { maxAttempts: 2 });

      const error = await rejectionOf(client.getEvent(seed.requestId, withinSeconds(10)));

      expect(error).toBeInstanceOf(UpstreamRateLimitedError);
      expect((error as UpstreamRateLimitedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    });

    it('does not wait for a Retry-After that would cross the deadline', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'status', status: 429, retryAfter: '30' });
      const { client, sleeps } = buildClient(version);

      const error = await rejectionOf(client.getEvent(seed.requestId, withinSeconds(5)));

      expect(error).toBeInstanceOf(UpstreamRateLimitedError);
      expect(error).toMatchObject({ retryAfterSeconds: 30 });
      expect(sleeps).toEqual([]);
      expect(fake.requests).toHaveLength(1);
    });

    it('retries 5xx answers, then succeeds', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'status', status: 503 });
      fake.failNext({ kind: 'status', status: 500 });
      const { client } = buildClient(version);

      const event = await client.getEvent(seed.requestId, withinSeconds(5));

      expect(event.requestId).toBe(seed.requestId);
      expect(fake.requests).toHaveLength(3);
    });

    it('gives up with UpstreamUnavailableError after repeated 5xx answers', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'status', status: 502 }, 10);
      const { client } = buildClient(version, { maxAttempts: 4 });

      const error = await rejectionOf(client.getEvent(seed.requestId, withinSeconds(5)));

      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect(fake.requests).toHaveLength(4);
    });

    it('retries StateNotReady (409), then succeeds', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'status', status: 409 });
      const { client } = buildClient(version);

      const event = await client.getEvent(seed.requestId, withinSeconds(5));

      expect(event.requestId).toBe(seed.requestId);
      expect(fake.requests).toHaveLength(2);
    });

    it('retries a connection reset, then succeeds', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'reset' });
      const { client } = buildClient(version);

      const event = await client.getEvent(seed.requestId, withinSeconds(5));

      expect(event.requestId).toBe(seed.requestId);
      expect(fake.requests).toHaveLength(2);
    });

    it('gives up with UpstreamUnavailableError when every connection is reset', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'reset' }, 10);
      const { client } = buildClient(version, { maxAttempts: 2 });

      const error = await rejectionOf(client.getEvent(seed.requestId, withinSeconds(5)));

      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect((error as Error).cause).toBeInstanceOf(Error);
    });

    it.each([
      ['not JSON', '<html>Bad gateway</html>', 'not JSON'],
      ['truncated JSON', '{"event_id": "17081025', 'not JSON'],
      ['JSON of another shape', '{"unexpected": true}', 'documented shape'],
      ['a JSON array', '[]', 'documented shape'],
    ])(
      'never retries a 200 whose body is %s: UpstreamBadResponseError naming the cause',
      async (_, body, cause) => {
        const seed = seedOne();
        fake.failNext({ kind: 'body', body }, 10);
        const { client, sleeps } = buildClient(version);

        const error = await rejectionOf(client.getEvent(seed.requestId, withinSeconds(5)));

        expect(error).toBeInstanceOf(UpstreamBadResponseError);
        expect(error).toMatchObject({ retryable: false });
        expect((error as Error).message).toContain(cause);
        expect((error as Error).message).toContain('not retried');
        expect(fake.requests).toHaveLength(1);
        expect(sleeps).toEqual([]);
      },
    );

    it('answers an upstream 504 as a timeout: retried, then UpstreamTimeoutError', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'status', status: 504 }, 10);
      const { client } = buildClient(version, { maxAttempts: 3 });

      const error = await rejectionOf(client.getEvent(seed.requestId, withinSeconds(5)));

      expect(error).toBeInstanceOf(UpstreamTimeoutError);
      expect((error as Error).message).toContain('504');
      expect(fake.requests).toHaveLength(3);
    });

    it('retries an upstream 504, then succeeds', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'status', status: 504 });
      const { client } = buildClient(version);

      const event = await client.getEvent(seed.requestId, withinSeconds(5));

      expect(event.requestId).toBe(seed.requestId);
      expect(fake.requests).toHaveLength(2);
    });

    it('abandons an attempt after attemptTimeoutMs and retries', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'delay', ms: 5_000 });
      const { client } = buildClient(version, { attemptTimeoutMs: 500 });
      const started = Date.now();

      const event = await client.getEvent(seed.requestId, withinSeconds(10));

      expect(event.requestId).toBe(seed.requestId);
      expect(fake.requests).toHaveLength(2);
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it('gives up with UpstreamTimeoutError when every attempt times out', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'delay', ms: 5_000 }, 10);
      const { client } = buildClient(version, { attemptTimeoutMs: 100, maxAttempts: 2 });

      const error = await rejectionOf(client.getEvent(seed.requestId, withinSeconds(10)));

      expect(error).toBeInstanceOf(UpstreamTimeoutError);
      expect(fake.requests).toHaveLength(2);
    });

    it('returns by the deadline when the upstream hangs, whatever attemptTimeoutMs says', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'delay', ms: 10_000 }, 10);
      const { client } = buildClient(version, {
        attemptTimeoutMs: 10_000,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      });
      const started = Date.now();

      const error = await rejectionOf(client.getEvent(seed.requestId, { deadline: started + 300 }));

      expect(error).toBeInstanceOf(UpstreamTimeoutError);
      // Generous margin for a busy machine; without the clipping the call would take 10 s or more.
      expect(Date.now() - started).toBeLessThan(300 + 1_500);
    });

    it('starts no attempt whose backoff would end past the deadline', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'status', status: 503 }, 10);
      let clock = 1_000_000;
      const { client } = buildClient(version, {
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
        random: () => 0.999,
        backoffBaseMs: 1_000,
        maxAttempts: 10,
      });

      const error = await rejectionOf(client.getEvent(seed.requestId, { deadline: clock + 2_500 }));

      // Attempt 1 at 0 ms, attempt 2 after ~1 s; the next backoff (~2 s) would end past 2.5 s.
      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect(fake.requests).toHaveLength(2);
      expect(clock).toBeLessThan(1_000_000 + 2_500);
    });

    it('caps the exponential backoff at backoffCapMs', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'status', status: 503 }, 4);
      const { client, sleeps } = buildClient(version, {
        random: () => 0.999,
        backoffBaseMs: 200,
        backoffCapMs: 500,
        maxAttempts: 5,
      });

      await client.getEvent(seed.requestId, withinSeconds(10));

      expect(sleeps).toEqual([199, 399, 499, 499]);
    });
  });

  describe('403 and the secret API key', () => {
    it('fetches the key again after a 403 and retries once with it (key rotation)', async () => {
      const seed = seedOne();
      const keys = rotatingKeys(['fpsk_RotatedAwayOldKey', API_KEY]);
      const { client } = buildClient(version, { keys: keys.provider });

      const event = await client.getEvent(seed.requestId, withinSeconds(5));

      expect(event.requestId).toBe(seed.requestId);
      expect(keys.state.invalidations).toBe(1);
      expect(fake.requests.map((request) => request.authorized)).toEqual([false, true]);
    });

    it('names FINGERPRINT_SECRET_ID when the key is still refused after a refetch', async () => {
      const seed = seedOne();
      const keys = rotatingKeys(['fpsk_WrongKeyOne', 'fpsk_WrongKeyTwo']);
      const { client } = buildClient(version, { keys: keys.provider });

      const error = await rejectionOf(client.getEvent(seed.requestId, withinSeconds(5)));

      expect(error).toBeInstanceOf(UpstreamAuthError);
      expect(error).toMatchObject({ setting: 'FINGERPRINT_SECRET_ID' });
      expect((error as Error).message).toContain('FINGERPRINT_SECRET_ID');
      expect(fake.requests).toHaveLength(2);
    });

    it('names FINGERPRINT_REGION when the key belongs to another region', async () => {
      const seed = seedOne();
      const body = fixture(
        version === 'v4' ? 'v4/errors/403_wrong_region.json' : 'v3/errors/403_wrong_region.json',
      );
      fake.failNext({ kind: 'status', status: 403, body }, 2);
      const { client } = buildClient(version);

      const error = await rejectionOf(client.getEvent(seed.requestId, withinSeconds(5)));

      expect(error).toBeInstanceOf(UpstreamAuthError);
      expect(error).toMatchObject({ setting: 'FINGERPRINT_REGION' });
      expect((error as Error).message).toContain('FINGERPRINT_REGION');
    });

    it('names the Fingerprint subscription when it is not active', async () => {
      const seed = seedOne();
      const body = fixture(
        version === 'v4'
          ? 'v4/errors/403_subscription_not_active.json'
          : 'v3/errors/403_subscription_not_active.json',
      );
      fake.failNext({ kind: 'status', status: 403, body }, 2);
      const { client } = buildClient(version);

      const error = await rejectionOf(client.getEvent(seed.requestId, withinSeconds(5)));

      expect(error).toBeInstanceOf(UpstreamAuthError);
      expect((error as Error).message).toContain('Fingerprint subscription');
    });

    it('never puts the key in an error message, stack or cause', async () => {
      const seed = seedOne();
      const { client } = buildClient(version, { maxAttempts: 1 });
      const { client: impatient } = buildClient(version, { maxAttempts: 1, attemptTimeoutMs: 100 });
      const echo = JSON.stringify({ error: { code: 'Failed', message: `rejected key ${API_KEY}` } });
      const errors: unknown[] = [];
      const faults = [
        { fault: { kind: 'status', status: 500, body: echo }, times: 1 },
        { fault: { kind: 'status', status: 400, body: echo }, times: 1 },
        { fault: { kind: 'status', status: 403, body: echo }, times: 2 },
        { fault: { kind: 'reset' }, times: 1 },
      ] as const;

      for (const { fault, times } of faults) {
        fake.failNext(fault, times);
        errors.push(await rejectionOf(client.getEvent(seed.requestId, withinSeconds(5))));
      }
      fake.failNext({ kind: 'delay', ms: 2_000 });
      errors.push(await rejectionOf(impatient.getEvent(seed.requestId, withinSeconds(5))));

      expect(errors).toHaveLength(5);
      for (const error of errors) {
        expect(error).toBeInstanceOf(Error);
        expect(errorText(error)).not.toContain(API_KEY);
      }
      expect(errorText(errors[0])).toContain('[redacted]');
    });

    it('refuses a key that cannot be sent in a header, naming FINGERPRINT_SECRET_ID and not the key', async () => {
      const seed = seedOne();
      const badKey = `${API_KEY}\nInjected: header`;
      const { client } = buildClient(version, { keys: rotatingKeys([badKey]).provider });

      const error = await rejectionOf(client.getEvent(seed.requestId, withinSeconds(5)));

      expect(error).toMatchObject({ setting: 'FINGERPRINT_SECRET_ID' });
      expect(errorText(error)).not.toContain(API_KEY);
      expect(fake.requests).toHaveLength(0);
    });
  });

  describe('input validation', () => {
    it.each([
      // A path segment ".." is resolved away by every URL parser, even percent-encoded.
      ['requestId', () => buildClient(version).client.getEvent('..', withinSeconds(5))],
      [
        'requestId',
        () => buildClient(version).client.getEvent('1708102555327.NLOjmg\u0085', withinSeconds(5)),
      ],
      [
        'visitorId',
        () =>
          buildClient(version).client.searchEvents(
            { visitorId: 'abc\u2028def', maxEvents: 5 },
            withinSeconds(5),
          ),
      ],
      [
        'linkedId',
        () => buildClient(version).client.searchEvents({ linkedId: '', maxEvents: 5 }, withinSeconds(5)),
      ],
      [
        'linkedId',
        () =>
          buildClient(version).client.searchEvents(
            { linkedId: 'x'.repeat(257), maxEvents: 5 },
            withinSeconds(5),
          ),
      ],
      [
        'linkedId',
        () =>
          buildClient(version).client.searchEvents({ linkedId: 'a\r\nb', maxEvents: 5 }, withinSeconds(5)),
      ],
      ['visitorId', () => buildClient(version).client.searchEvents({ maxEvents: 5 }, withinSeconds(5))],
    ])('rejects an invalid %s before making any request', async (field, call) => {
      const error = await rejectionOf(call());

      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ field });
      expect(fake.requests).toHaveLength(0);
    });

    it('URL-encodes any allowed requestId so it reaches the upstream as one path segment', async () => {
      const requestId = '1708102555327.a/b c?d#e%20+é😀';
      fake.seed([{ requestId, visitorId: VISITOR_ID, timestamp: Date.now() - 60_000 }]);
      const { client } = buildClient(version);

      const event = await client.getEvent(requestId, withinSeconds(5));

      expect(event.requestId).toBe(requestId);
      expect(fake.requests).toHaveLength(1);
      const path = fake.requests[0]?.path ?? '';
      expect(decodeURIComponent(path.slice(path.lastIndexOf('/') + 1))).toBe(requestId);
    });

    it('URL-encodes a linkedId so it reaches the upstream unchanged', async () => {
      const linkedId = 'order 1/2?&limit=1#frag+%20';
      fake.seedMany(3, { visitorId: VISITOR_ID, linkedId });
      const { client } = buildClient(version);

      const { events } = await client.searchEvents({ linkedId, maxEvents: 10 }, withinSeconds(5));

      expect(events).toHaveLength(3);
      expect(fake.requests[0]?.query.linked_id).toBe(linkedId);
      expect(fake.requests[0]?.query.limit).not.toBe('1');
    });
  });

  describe('searchEvents', () => {
    it('returns an empty list for a visitor the upstream does not know', async () => {
      const { client } = buildClient(version);

      const { events } = await client.searchEvents(
        { visitorId: 'UnknownVisitor000001', maxEvents: 10 },
        withinSeconds(5),
      );

      expect(events).toEqual([]);
      expect(fake.requests).toHaveLength(1);
    });

    it('filters by visitorId and linkedId together', async () => {
      const base = Date.now() - 3_600_000;
      fake.seedMany(5, { visitorId: VISITOR_ID, linkedId: 'order-1', timestamp: base });
      fake.seedMany(5, { visitorId: VISITOR_ID, linkedId: 'order-2', timestamp: base + 500 });
      fake.seedMany(5, { visitorId: 'AnotherVisitor000001', linkedId: 'order-1', timestamp: base + 700 });
      const { client } = buildClient(version);

      const { events } = await client.searchEvents(
        { visitorId: VISITOR_ID, linkedId: 'order-1', maxEvents: 100 },
        withinSeconds(5),
      );

      expect(events).toHaveLength(5);
      expect(events.every((event) => event.visitorId === VISITOR_ID && event.linkedId === 'order-1')).toBe(
        true,
      );
    });

    it('ends paging with what was fetched when the upstream repeats a pagination key', async () => {
      const seed = seedOne();
      let firstPage: string | undefined;
      let calls = 0;
      const { client } = buildClient(version, {
        fetch: async (input, init) => {
          calls += 1;
          firstPage ??= await (await fetch(input, init)).text();
          const body = JSON.parse(firstPage) as Record<string, unknown>;
          const looping = { ...body, pagination_key: 'same', paginationKey: 'same' };
          return new Response(JSON.stringify(looping), { status: 200 });
        },
      });

      const result = await client.searchEvents(
        { visitorId: seed.visitorId, maxEvents: 500 },
        withinSeconds(5),
      );

      expect(result.events.map((event) => event.requestId)).toEqual([seed.requestId]);
      expect(result.truncated).toEqual({
        reason: 'repeatedPageKey',
        detail: expect.stringContaining('same'),
      });
      expect(calls).toBe(2);
    });

    it('skips the events that cannot be normalized, naming the field at fault, and keeps the others', async () => {
      const seeds = fake.seedMany(5, { visitorId: VISITOR_ID });
      const idField = version === 'v4' ? 'event_id' : 'requestId';
      // Where an event's own fields sit: at the top of a v4 event, under the identification of a v3 one.
      const fieldsOf = (event: Record<string, unknown>): Record<string, unknown> =>
        version === 'v4'
          ? event
          : ((event.products as Record<string, { data: Record<string, unknown> }>).identification?.data ??
            {});
      const { client } = buildClient(version, {
        fetch: async (input, init) => {
          const page = (await (await fetch(input, init)).json()) as {
            events: Array<Record<string, unknown>>;
          };
          fieldsOf(page.events[1] ?? {}).timestamp = 'yesterday';
          fieldsOf(page.events[3] ?? {})[idField] = 42;
          return Response.json(page);
        },
      });

      const result = await client.searchEvents({ visitorId: VISITOR_ID, maxEvents: 10 }, withinSeconds(5));

      expect(result.events.map((event) => event.requestId)).toEqual(
        [0, 2, 4].map((index) => seeds[index]?.requestId),
      );
      const path = version === 'v4' ? '' : 'products.identification.data.';
      expect(result.skipped).toEqual([
        {
          reason: `${path}timestamp`,
          message: expect.stringContaining('timestamp'),
          eventId: seeds[1]?.requestId,
        },
        { reason: `${path}${idField}`, message: expect.stringContaining(idField) },
      ]);
      expect(result.truncated).toBeUndefined();
      expect(fake.requests).toHaveLength(1);
    });

    it('keeps the pages before a later page whose content is unusable, and does not retry it', async () => {
      fake.seedMany(600, { visitorId: VISITOR_ID });
      const firstPageSize = 100;
      let calls = 0;
      const { client, sleeps } = buildClient(version, {
        fetch: async (input, init) => {
          calls += 1;
          return calls === 1
            ? fetch(input, init)
            : new Response('{"events": 5, "visits": 5}', { status: 200 });
        },
      });

      const result = await client.searchEvents({ visitorId: VISITOR_ID, maxEvents: 600 }, withinSeconds(5));

      expect(result.events).toHaveLength(firstPageSize);
      expect(result.truncated).toEqual({ reason: 'unusablePage', detail: expect.stringContaining('page 2') });
      expect(calls).toBe(2);
      expect(sleeps).toEqual([]);
    });

    it('fails, without retrying, when the first page is unusable: there is nothing to keep', async () => {
      const { client } = buildClient(version, {
        fetch: async () => new Response('{"events": 5, "visits": 5}', { status: 200 }),
      });

      const error = await rejectionOf(
        client.searchEvents({ visitorId: VISITOR_ID, maxEvents: 10 }, withinSeconds(5)),
      );

      expect(error).toBeInstanceOf(UpstreamBadResponseError);
    });
  });
});

describe('Fingerprint client pagination', () => {
  const newestFirst = (timestamps: number[]) => [...timestamps].sort((a, b) => b - a);

  describe('v4 GET /v4/events', () => {
    it('follows pagination_key to the end: 250 events with maxEvents 500 take 3 calls', async () => {
      fake.seedMany(250, { visitorId: VISITOR_ID });
      const { client } = buildClient('v4');

      const result = await client.searchEvents({ visitorId: VISITOR_ID, maxEvents: 500 }, withinSeconds(5));
      const { events } = result;

      expect(events).toHaveLength(250);
      expect(new Set(events.map((event) => event.requestId)).size).toBe(250);
      expect(events.map((event) => event.timestamp)).toEqual(
        newestFirst(events.map((event) => event.timestamp)),
      );
      expect(fake.requests.map((request) => request.query.limit)).toEqual(['100', '100', '100']);
      expect(result.truncated).toBeUndefined();
      expect(fake.requests[0]?.query).not.toHaveProperty('pagination_key');
      expect(fake.requests[1]?.query.pagination_key).toBeTruthy();
    });

    it('stops at maxEvents: 120 of 250 events take 2 calls and return exactly 120', async () => {
      const seeds = fake.seedMany(250, { visitorId: VISITOR_ID });
      const { client } = buildClient('v4');

      const { events, truncated } = await client.searchEvents(
        { visitorId: VISITOR_ID, maxEvents: 120 },
        withinSeconds(5),
      );

      expect(events).toHaveLength(120);
      expect(events.map((event) => event.requestId)).toEqual(
        seeds.slice(0, 120).map((seed) => seed.requestId),
      );
      expect(fake.requests.map((request) => request.query.limit)).toEqual(['100', '20']);
      expect(truncated?.reason).toBe('maxEvents');
    });

    it('reports a history of exactly maxEvents with nothing more as not truncated', async () => {
      fake.seedMany(150, { visitorId: VISITOR_ID });
      const { client } = buildClient('v4');

      const result = await client.searchEvents({ visitorId: VISITOR_ID, maxEvents: 150 }, withinSeconds(5));

      expect(result.events).toHaveLength(150);
      expect(result.truncated).toBeUndefined();
    });

    it('skips Edge analyses, which have no visitor, instead of failing the page', async () => {
      const device = JSON.parse(fixture('v4/events/get_event_200.json'));
      const edge = JSON.parse(fixture('v4/events/get_event_with_edge_200.json'));
      const { client } = buildClient('v4', {
        fetch: async () => Response.json({ events: [edge, device] }),
      });

      const { events } = await client.searchEvents(
        { linkedId: 'somelinkedId', maxEvents: 10 },
        withinSeconds(5),
      );

      expect(events.map((event) => event.requestId)).toEqual([device.event_id]);
    });

    it('refuses an Edge analysis asked for by id at once, as an event with no visitor to store', async () => {
      let calls = 0;
      const { client } = buildClient('v4', {
        fetch: async () => {
          calls += 1;
          return new Response(fixture('v4/events/get_event_with_edge_200.json'), { status: 200 });
        },
      });

      await expect(client.getEvent('1758130560902.8tRtrH', withinSeconds(5))).rejects.toThrow(
        UpstreamRejectedError,
      );
      expect(calls).toBe(1);
    });

    it('searches by linkedId alone with linked_id', async () => {
      fake.seedMany(30, { visitorId: VISITOR_ID, linkedId: 'order-7' });
      const { client } = buildClient('v4');

      const { events } = await client.searchEvents({ linkedId: 'order-7', maxEvents: 500 }, withinSeconds(5));

      expect(events).toHaveLength(30);
      expect(fake.requests.map((request) => request.path)).toEqual(['/v4/events']);
      expect(fake.requests[0]?.query).toEqual({
        linked_id: 'order-7',
        limit: '100',
        start: expect.any(String),
      });
    });
  });

  describe('v3', () => {
    it('reads a visitor history from /events/search with visitor_id, following pagination_key', async () => {
      const seeds = fake.seedMany(620, { visitorId: VISITOR_ID });
      const { client } = buildClient('v3');

      const { events } = await client.searchEvents(
        { visitorId: VISITOR_ID, maxEvents: 550 },
        withinSeconds(5),
      );

      expect(events.map((event) => event.requestId)).toEqual(
        seeds.slice(0, 550).map((seed) => seed.requestId),
      );
      // GET /visitors/{visitor_id} was removed on 2026-10-31 (ADR 0007).
      expect(new Set(fake.requests.map((request) => request.path))).toEqual(new Set(['/events/search']));
      expect(fake.requests.map((request) => request.query.limit)).toEqual([
        '100',
        '100',
        '100',
        '100',
        '100',
        '50',
      ]);
      expect(fake.requests.every((request) => request.query.visitor_id === VISITOR_ID)).toBe(true);
      expect(fake.requests[1]?.query.pagination_key).toBe(String(seeds[99]?.timestamp));
    });

    it('searches a linkedId alone with /events/search, following pagination_key', async () => {
      fake.seedMany(250, { visitorId: VISITOR_ID, linkedId: 'order-9' });
      const { client } = buildClient('v3');

      const { events: all } = await client.searchEvents(
        { linkedId: 'order-9', maxEvents: 500 },
        withinSeconds(5),
      );
      const firstCalls = fake.requests.splice(0);
      const { events: some } = await client.searchEvents(
        { linkedId: 'order-9', maxEvents: 120 },
        withinSeconds(5),
      );

      expect(all).toHaveLength(250);
      expect(new Set(all.map((event) => event.requestId)).size).toBe(250);
      expect(firstCalls.map((request) => request.path)).toEqual([
        '/events/search',
        '/events/search',
        '/events/search',
      ]);
      expect(firstCalls.map((request) => request.query.limit)).toEqual(['100', '100', '100']);
      expect(some).toHaveLength(120);
      expect(fake.requests.map((request) => request.query.limit)).toEqual(['100', '20']);
    });

    it('retries a 200 whose identification is a TooManyRequests error, then succeeds', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'body', body: fixture('v3/get_event_200_too_many_requests_error.json') });
      const { client } = buildClient('v3');

      const event = await client.getEvent(seed.requestId, withinSeconds(5));

      expect(event.requestId).toBe(seed.requestId);
      expect(fake.requests).toHaveLength(2);
    });

    it('blames invalid identification data, not the error next to it: not retried', async () => {
      const seed = seedOne();
      for (const [path, data] of [
        ['v3/get_event_200_too_many_requests_error.json', { requestId: 42 }],
        ['v3/get_event_200_identification_failed_error.json', 'garbage'],
      ] as const) {
        // The official examples of an identification error, with invalid data added next to the error.
        const body = JSON.parse(fixture(path));
        body.products.identification.data = data;
        // Once: a retry would get the real event and succeed.
        fake.failNext({ kind: 'body', body: JSON.stringify(body) });
        const { client, sleeps } = buildClient('v3');
        fake.requests.splice(0);

        const error = await rejectionOf(client.getEvent(seed.requestId, withinSeconds(5)));

        expect(error).toBeInstanceOf(UpstreamBadResponseError);
        expect((error as Error).message).toContain('products.identification.data');
        expect(fake.requests).toHaveLength(1);
        expect(sleeps).toEqual([]);
      }
    });

    it('retries a 200 whose identification is the official Failed error and has no data, then succeeds', async () => {
      const seed = seedOne();
      fake.failNext({ kind: 'body', body: fixture('v3/get_event_200_identification_failed_error.json') });
      const { client } = buildClient('v3');

      const event = await client.getEvent(seed.requestId, withinSeconds(5));

      expect(event.requestId).toBe(seed.requestId);
      expect(fake.requests).toHaveLength(2);
    });

    it('skips an /events/search event whose identification is an error, keeping the others', async () => {
      const seeds = fake.seedMany(3, { visitorId: VISITOR_ID, linkedId: 'order-5' });
      const errorEvent = JSON.parse(fixture('v3/get_event_200_too_many_requests_error.json'));
      const { client, sleeps } = buildClient('v3', {
        fetch: async (input, init) => {
          const page = (await (await fetch(input, init)).json()) as { events: unknown[] };
          page.events.splice(1, 0, errorEvent);
          return Response.json(page);
        },
      });

      const result = await client.searchEvents({ linkedId: 'order-5', maxEvents: 10 }, withinSeconds(5));

      expect(result.events.map((event) => event.requestId)).toEqual(seeds.map((seed) => seed.requestId));
      expect(result.skipped).toEqual([
        {
          reason: 'products.identification.data',
          message: expect.stringContaining('429 Too Many Requests'),
        },
      ]);
      expect(sleeps).toEqual([]);
    });
  });
});

describe.each(VERSIONS)('Fingerprint client search window, Server API %s', (version) => {
  const DAY = 86_400_000;
  /** How each version's document writes `start`/`end`: RFC3339 in v4, unix ms in v3. */
  const sent = (ms: number) => (version === 'v4' ? new Date(ms).toISOString() : String(ms));
  const instant = (value: string | undefined) =>
    value === undefined ? Number.NaN : version === 'v4' ? Date.parse(value) : Number(value);

  it('sends start = historyDays ago on every page, in the form the document gives, and no end', async () => {
    fake.seedMany(150, { visitorId: VISITOR_ID });
    const { client } = buildClient(version, { historyDays: 45 });

    const before = Date.now();
    await client.searchEvents({ visitorId: VISITOR_ID, maxEvents: 500 }, withinSeconds(5));
    const after = Date.now();

    expect(fake.requests).toHaveLength(2);
    const starts = new Set(fake.requests.map((request) => request.query.start));
    expect(starts.size).toBe(1);
    const [start] = [...starts];
    expect(start).toMatch(version === 'v4' ? /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/ : /^\d{13}$/);
    expect(instant(start)).toBeGreaterThanOrEqual(before - 45 * DAY);
    expect(instant(start)).toBeLessThanOrEqual(after - 45 * DAY);
    expect(fake.requests.every((request) => request.query.end === undefined)).toBe(true);
  });

  it('covers 30 days by default: a 25-day history comes back whole, not its last 7 days', async () => {
    const now = Date.now();
    const seeds = [0, 1, 6, 8, 13, 20, 24, 25].map((days, index) => ({
      requestId: `${now - days * DAY - index}.Windw${index}`,
      visitorId: VISITOR_ID,
      timestamp: now - days * DAY - index,
    }));
    fake.seed(seeds);
    const { client } = buildClient(version);

    const { events } = await client.searchEvents({ visitorId: VISITOR_ID, maxEvents: 100 }, withinSeconds(5));

    expect(events.map((event) => event.requestId)).toEqual(seeds.map((seed) => seed.requestId));
  });

  it("sends the query's own start and end, and the upstream keeps only the events strictly between", async () => {
    const now = Date.now();
    const at = (ms: number, index: number) => ({
      requestId: `${ms}.Bound${index}`,
      visitorId: VISITOR_ID,
      timestamp: ms,
    });
    const start = now - 10 * DAY;
    const end = now - 2 * DAY;
    fake.seed([at(start, 0), at(start + 1, 1), at(end - 1, 2), at(end, 3), at(now - DAY, 4)]);
    const { client } = buildClient(version);

    const { events } = await client.searchEvents(
      { visitorId: VISITOR_ID, maxEvents: 100, start, end },
      withinSeconds(5),
    );

    expect(fake.requests[0]?.query).toMatchObject({ start: sent(start), end: sent(end) });
    expect(events.map((event) => event.timestamp)).toEqual([end - 1, start + 1]);
  });

  it('refuses a window that is not one, before any call', async () => {
    const { client } = buildClient(version);
    const search = (window: { start?: number; end?: number }) =>
      rejectionOf(client.searchEvents({ visitorId: VISITOR_ID, maxEvents: 5, ...window }, withinSeconds(5)));

    expect(await search({ start: -1 })).toMatchObject({ field: 'start' });
    expect(await search({ start: 1.5 })).toMatchObject({ field: 'start' });
    expect(await search({ start: 2_000, end: 2_000 })).toMatchObject({ field: 'end' });
    expect(fake.requests).toEqual([]);
    expect(() => buildClient(version, { historyDays: 0 })).toThrow(RangeError);
  });
});

describe('the test fake honors the documented search window', () => {
  const DAY = 86_400_000;
  const search = async (path: string, query: Record<string, string>, headers: Record<string, string>) => {
    const response = await fetch(`${fake.baseUrl}${path}?${new URLSearchParams(query)}`, { headers });
    const body = (await response.json()) as { events?: Array<Record<string, unknown>> };
    return { status: response.status, body };
  };
  const v4 = (query: Record<string, string>) =>
    search(
      '/v4/events',
      { visitor_id: VISITOR_ID, limit: '100', ...query },
      {
        authorization: `Bearer ${API_KEY}`,
      },
    );
  const v3 = (query: Record<string, string>) =>
    search('/events/search', { visitor_id: VISITOR_ID, limit: '100', ...query }, { 'auth-api-key': API_KEY });
  const v4Ids = (body: { events?: Array<Record<string, unknown>> }) =>
    (body.events ?? []).map((event) => event.event_id);
  const v3Ids = (body: { events?: Array<Record<string, unknown>> }) =>
    (body.events ?? []).map(
      (event) =>
        (event.products as { identification: { data: { requestId: string } } }).identification.data.requestId,
    );

  let seeds: Array<{ requestId: string; timestamp: number }> = [];
  beforeEach(() => {
    const now = Date.now();
    seeds = [1, 6, 8, 20].map((days, index) => ({
      requestId: `${now - days * DAY}.Fake0${index}`,
      visitorId: VISITOR_ID,
      timestamp: now - days * DAY,
    }));
    fake.seed(seeds.map((seed) => ({ ...seed, visitorId: VISITOR_ID })));
  });
  const ids = (indexes: number[]) => indexes.map((index) => seeds[index]?.requestId);

  it('searches the last 7 days when start is absent, in both versions', async () => {
    expect(v4Ids((await v4({})).body)).toEqual(ids([0, 1]));
    expect(v3Ids((await v3({})).body)).toEqual(ids([0, 1]));
  });

  it('takes v4 start and end as RFC3339 or unix ms, both exclusive', async () => {
    const [, second, third] = seeds;
    const start = String(third?.timestamp);
    const end = new Date(second?.timestamp ?? 0).toISOString();
    expect(v4Ids((await v4({ start: new Date(Date.now() - 30 * DAY).toISOString() })).body)).toEqual(
      ids([0, 1, 2, 3]),
    );
    expect(v4Ids((await v4({ start, end: String(Date.now()) })).body)).toEqual(ids([0, 1]));
    expect(v4Ids((await v4({ start: String(Number(start) - 1), end })).body)).toEqual(ids([2]));
    expect((await v4({ start: 'last month' })).status).toBe(400);
    expect((await v4({ end: '2026-13-01T00:00:00Z' })).status).toBe(400);
  });

  it('takes v3 start and end as unix ms only, "greater than" and "smaller than"', async () => {
    const [, second, third] = seeds;
    expect(v3Ids((await v3({ start: String(Date.now() - 30 * DAY) })).body)).toEqual(ids([0, 1, 2, 3]));
    expect(v3Ids((await v3({ start: String(third?.timestamp) })).body)).toEqual(ids([0, 1]));
    expect(
      v3Ids((await v3({ start: String((third?.timestamp ?? 0) - 1), end: String(second?.timestamp) })).body),
    ).toEqual(ids([2]));
    expect((await v3({ start: new Date().toISOString() })).status).toBe(400);
    expect((await v3({ end: 'now' })).status).toBe(400);
  });
});

describe('Fingerprint client rate limiting', () => {
  it('spaces every attempt, retries included, 1/maxRps seconds apart', async () => {
    const seed = seedOne();
    fake.failNext({ kind: 'status', status: 503 });
    const { client, sleeps } = buildClient('v4', { maxRps: 10, now: () => 0, backoffBaseMs: 0 });

    await Promise.all([1, 2, 3].map(() => client.getEvent(seed.requestId, { deadline: 10_000 })));

    // The clock stands still, so each wait is the distance to the attempt's slot: 0, 100, 200, 300 ms.
    expect(fake.requests).toHaveLength(4);
    expect(sleeps.filter((ms) => ms > 0).sort((a, b) => a - b)).toEqual([100, 200, 300]);
  });

  it('takes at least (n - 1) / maxRps seconds to start n attempts in real time', async () => {
    const seed = seedOne();
    const starts: number[] = [];
    const { client } = buildClient('v4', {
      maxRps: 20,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      fetch: (input, init) => {
        starts.push(performance.now());
        return fetch(input, init);
      },
    });

    await Promise.all([1, 2, 3, 4, 5].map(() => client.getEvent(seed.requestId, withinSeconds(10))));

    // Slots are 50 ms apart; a busy machine can only start attempts later than their slot, never earlier.
    expect(starts).toHaveLength(5);
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(4 * 50 - 10);
  });

  it('refuses a slot that would start past the deadline, naming FINGERPRINT_MAX_RPS', async () => {
    const seed = seedOne();
    let clock = 0;
    const { client } = buildClient('v4', {
      maxRps: 1,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    await client.getEvent(seed.requestId, { deadline: clock + 5_000 });

    const error = await rejectionOf(client.getEvent(seed.requestId, { deadline: clock + 500 }));

    expect(error).toBeInstanceOf(UpstreamBudgetExhaustedError);
    expect((error as UpstreamBudgetExhaustedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((error as Error).message).toContain('FINGERPRINT_MAX_RPS');
    expect(fake.requests).toHaveLength(1);
  });

  it("frees an attempt's place a second after its answer begins, not after its body is read", async () => {
    const seed = seedOne();
    let clock = 0;
    const sleeps: number[] = [];
    const { client } = buildClient('v4', {
      maxRps: 1,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
      // The answer's headers come at once; its body takes 600 ms to arrive.
      fetch: async (input, init) => {
        const answer = await fetch(input, init);
        const body = new Uint8Array(await answer.arrayBuffer());
        const slowBody = new ReadableStream<Uint8Array>(
          {
            pull(controller) {
              clock += 600;
              controller.enqueue(body);
              controller.close();
            },
          },
          { highWaterMark: 0 },
        );
        return new Response(slowBody, { status: answer.status, headers: answer.headers });
      },
    });
    await client.getEvent(seed.requestId, { deadline: 60_000 });
    expect(clock).toBe(600);

    await client.getEvent(seed.requestId, { deadline: 60_000 });

    // The next slot is 1 s after the first start (a 400 ms wait at 600 ms), and its room a second after the
    // first answer began at 0 ms, give or take the clock's 2 ms margin: not a second after the body, at 1.6 s.
    expect(fake.requests).toHaveLength(2);
    expect(sleeps.filter((ms) => ms > 0)).toEqual([400, 2]);
  });
});

describe('SpacingRateLimiter', () => {
  it('spaces concurrent starts evenly and refuses slots at or past the deadline', async () => {
    const waits: number[] = [];
    const limiter = new SpacingRateLimiter({
      maxRps: 5,
      now: () => 0,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });

    const granted = await Promise.all([1, 2, 3, 4, 5].map(() => startAndFinish(limiter, 700)));

    expect(granted).toEqual([true, true, true, true, false]);
    expect(waits).toEqual([200, 400, 600]);
  });
});
