import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  CredentialsError,
  createEnrichmentClient,
  createSignedFetch,
  EnrichmentApiError,
  type EnrichmentClientOptions,
  type EnrichResponse,
  type EventList,
  isRetryable,
  type NormalizedEvent,
  type V3Visit,
  type VisitorErasure,
  type VisitorHistory,
} from '../../client/index.js';
import type { EnrichResult } from '../../functions/enrich/enrich.js';
import type { VisitorErasure as ServedVisitorErasure } from '../../functions/enrich/erase.js';
import type {
  EventList as ServedEventList,
  VisitorHistory as ServedVisitorHistory,
} from '../../functions/query/query.js';
import type { V3Visit as DomainVisit } from '../../functions/query/v3-visit.js';
import type { NormalizedEvent as DomainEvent } from '../../shared/domain/event.js';
import { buildEvent } from '../support/events.js';
import { verifySigV4 } from '../support/sigv4.js';

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};
const BASE_URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod';

interface Sent {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A fetch that records each request and answers from a queue of responses. */
function fakeFetch(...answers: (Response | Error)[]) {
  const sent: Sent[] = [];
  const fetch = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    sent.push({
      url: new URL(String(input)),
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
      // The signing fetch sends the bytes it hashed.
      body:
        typeof init?.body === 'string'
          ? init.body
          : init?.body instanceof Uint8Array
            ? new TextDecoder().decode(init.body)
            : undefined,
    });
    const answer = answers.shift() ?? json(200, {});
    if (answer instanceof Error) throw answer;
    return answer;
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, sent };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-RequestId': 'req-1', ...headers },
  });
}

function client(fetch: typeof globalThis.fetch, options: Partial<EnrichmentClientOptions> = {}) {
  return createEnrichmentClient({
    baseUrl: BASE_URL,
    credentials: CREDENTIALS,
    fetch,
    sleep: async () => undefined,
    random: () => 0.5,
    ...options,
  });
}

/** Verifies a request's SigV4 signature the way API Gateway does, from what was sent (see test/support/sigv4.ts). */
function verifySignature(request: Sent, secretAccessKey: string): boolean {
  return verifySigV4(
    {
      method: request.method,
      target: `${request.url.pathname}${request.url.search}`,
      headers: { ...request.headers, host: request.url.host },
      body: Buffer.from(request.body ?? ''),
    },
    { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey },
  ).valid;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('caller client: SigV4 signing', () => {
  it('signs for execute-api in the region of the URL, with the session token, verifiably', async () => {
    const { fetch, sent } = fakeFetch(json(200, { events: [], source: 'fingerprint', stored: 0 }));

    await client(fetch).enrich({ linkedId: 'order 123/ä', maxEvents: 5 });

    const [request] = sent;
    if (request === undefined) throw new Error('nothing sent');
    expect(request.url.href).toBe(`${BASE_URL}/enrich`);
    expect(request.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=\S*host;\S*x-amz-date/,
    );
    expect(request.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
    expect(JSON.parse(request.body ?? '')).toEqual({ linkedId: 'order 123/ä', maxEvents: 5 });
    expect(verifySignature(request, CREDENTIALS.secretAccessKey)).toBe(true);
    expect(verifySignature(request, 'another-secret')).toBe(false);
  });

  it('signs what goes on the wire: encoded path parameters and query strings', async () => {
    const { fetch, sent } = fakeFetch(
      json(200, { visitorId: 'x', visits: [] }),
      json(200, { events: [] }),
      json(200, { visitorId: 'a/b c+é', visits: [] }),
    );

    await client(fetch).getVisitorHistory('Ibk1527CUFmcnjLwIs4A9', {
      linked_id: 'cart 1&x=2',
      limit: 50,
      before: 1_708_102_555_327,
    });
    await client(fetch).listEvents({ linkedId: 'a+b c', cursor: 'Zm9v_-' });
    await client(fetch).getVisitorHistory('a/b c+é');

    // URI components: a space is %20 (API Gateway does not read + as a space), a slash in an id is %2F.
    expect(sent.map((request) => `${request.url.pathname}${request.url.search}`)).toEqual([
      '/prod/visitors/Ibk1527CUFmcnjLwIs4A9?linked_id=cart%201%26x%3D2&limit=50&before=1708102555327',
      '/prod/events?linkedId=a%2Bb%20c&cursor=Zm9v_-',
      '/prod/visitors/a%2Fb%20c%2B%C3%A9',
    ]);
    for (const request of sent) expect(verifySignature(request, CREDENTIALS.secretAccessKey)).toBe(true);
  });

  it('signs any SigV4 service through createSignedFetch', async () => {
    const { fetch, sent } = fakeFetch(json(200, {}));
    const signed = createSignedFetch({
      region: 'us-east-2',
      service: 'lambda',
      credentials: CREDENTIALS,
      fetch,
    });

    await signed('https://lambda.us-east-2.amazonaws.com/2015-03-31/functions?MaxItems=5', { method: 'get' });

    expect(sent[0]?.headers.authorization).toContain('/us-east-2/lambda/aws4_request');
    expect(sent[0] && verifySignature(sent[0], CREDENTIALS.secretAccessKey)).toBe(true);
  });

  it('sends a query the way it signs it, reading a + as URLSearchParams writes it: a space', async () => {
    const { fetch, sent } = fakeFetch(json(200, {}));
    const signed = createSignedFetch({ region: 'eu-west-1', credentials: CREDENTIALS, fetch });
    const search = new URLSearchParams({ linked_id: 'order 1+2', ii: 'sdk/1.0' });

    await signed(`${BASE_URL}/visitors/Ibk1527CUFmcnjLwIs4A9?${search}&flag&raw=%41`);

    // No + left on the wire, whatever a server makes of one: the query is in SigV4's own encoding.
    expect(sent[0]?.url.search).toBe('?linked_id=order%201%2B2&ii=sdk%2F1.0&flag=&raw=A');
    expect(sent[0] && verifySignature(sent[0], CREDENTIALS.secretAccessKey)).toBe(true);
  });

  it('takes the region from AWS_REGION for a custom domain, and refuses to guess without one', () => {
    const { fetch } = fakeFetch();
    vi.stubEnv('AWS_REGION', '');
    vi.stubEnv('AWS_DEFAULT_REGION', '');
    expect(() => client(fetch, { baseUrl: 'https://enrichment.example.com' })).toThrow(/region/);
    vi.stubEnv('AWS_REGION', 'ap-southeast-2');
    expect(() => client(fetch, { baseUrl: 'https://enrichment.example.com' })).not.toThrow();
  });

  it('sends no signature when signing is off (the local server)', async () => {
    const { fetch, sent } = fakeFetch(json(200, buildEvent()));
    await client(fetch, { baseUrl: 'http://127.0.0.1:3000', sign: false }).getEvent('1708102555327.NLOjmg');
    expect(sent[0]?.headers.authorization).toBeUndefined();
    expect(sent[0]?.url.href).toBe('http://127.0.0.1:3000/events/1708102555327.NLOjmg');
  });
});

describe('caller client: missing credentials', () => {
  /** The AWS SDK's default chain with nothing to find: no variables, no files, no container or instance role. */
  function emptyCredentialEnvironment() {
    for (const name of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_PROFILE',
      'AWS_WEB_IDENTITY_TOKEN_FILE',
      'AWS_ROLE_ARN',
      'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
      'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    ]) {
      vi.stubEnv(name, '');
    }
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/caller-client-test/credentials');
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/caller-client-test/config');
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  }

  it('throws a CredentialsError saying how to fix it, sends nothing and does not retry, with the default chain', async () => {
    emptyCredentialEnvironment();
    const { fetch, sent } = fakeFetch();
    const api = createEnrichmentClient({ baseUrl: BASE_URL, fetch, sleep: async () => undefined });

    const error = await api.enrich({ requestId: '1708102555327.NLOjmg' }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(CredentialsError);
    expect(error).not.toBeInstanceOf(EnrichmentApiError);
    expect(error).toMatchObject({ name: 'CredentialsError', code: 'CredentialsUnavailable' });
    const { message } = error as CredentialsError;
    expect(message).toMatch(/^No AWS credentials to sign the request with/);
    expect(message).toContain('AWS_ACCESS_KEY_ID');
    expect(message).toContain('credentials option');
    expect(message).toContain('sign: false');
    expect(sent).toHaveLength(0);
  });

  it('reports a credentials provider that fails, once, as a CredentialsError carrying its cause', async () => {
    const cause = new Error('The SSO session has expired');
    const provider = vi.fn(async () => {
      throw cause;
    });
    const { fetch, sent } = fakeFetch();
    const api = createEnrichmentClient({
      baseUrl: BASE_URL,
      credentials: provider,
      fetch,
      sleep: async () => undefined,
    });

    const error = await api.getEvent('1708102555327.NLOjmg').then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).cause).toBe(cause);
    expect((error as CredentialsError).message).toContain('The SSO session has expired');
    expect(provider).toHaveBeenCalledTimes(1);
    expect(sent).toHaveLength(0);
  });

  it('rejects createSignedFetch’s call with it too, for any other API', async () => {
    emptyCredentialEnvironment();
    const { fetch, sent } = fakeFetch();
    const signed = createSignedFetch({ region: 'eu-west-1', fetch });
    await expect(signed(`${BASE_URL}/events`)).rejects.toBeInstanceOf(CredentialsError);
    expect(sent).toHaveLength(0);
  });

  it('needs no credentials with sign: false, as the README shows for the local server', async () => {
    emptyCredentialEnvironment();
    const { fetch, sent } = fakeFetch(json(200, buildEvent()));
    const api = createEnrichmentClient({ baseUrl: 'http://127.0.0.1:3000', sign: false, fetch });
    await expect(api.getEvent('1708102555327.NLOjmg')).resolves.toMatchObject({});
    expect(sent).toHaveLength(1);
  });
});

describe('caller client: answers and errors', () => {
  it('returns the parsed answer of each route', async () => {
    const event = buildEvent();
    const { fetch } = fakeFetch(
      json(200, { events: [event], source: 'cache', stored: 0 }),
      json(200, event),
      json(200, { visitorId: event.visitorId, visits: [] }),
    );
    const api = client(fetch);

    await expect(api.enrich({ requestId: event.requestId })).resolves.toEqual({
      events: [event],
      source: 'cache',
      stored: 0,
    });
    await expect(api.getEvent(event.requestId)).resolves.toEqual(event);
    await expect(api.getVisitorHistory(event.visitorId)).resolves.toEqual({
      visitorId: event.visitorId,
      visits: [],
    });
  });

  it('throws the API error with its code, field and request id, without retrying a 400', async () => {
    const { fetch, sent } = fakeFetch(
      json(400, { error: { code: 'ValidationFailed', message: 'Invalid "requestId".', field: 'requestId' } }),
    );

    const error = await client(fetch)
      .enrich({ requestId: 'nope' })
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(EnrichmentApiError);
    expect(error).toMatchObject({
      status: 400,
      code: 'ValidationFailed',
      field: 'requestId',
      message: 'Invalid "requestId".',
      requestId: 'req-1',
    });
    expect(sent).toHaveLength(1);
  });

  it("reads GET /visitors/{visitorId}'s errors in v3's shape: the message in the body, code and field in headers", async () => {
    const { fetch } = fakeFetch(
      json(
        400,
        { error: 'Unknown field "a b": remove it.' },
        { 'X-Error-Code': 'ValidationFailed', 'X-Error-Field': 'a%20b' },
      ),
      json(503, { error: 'The event store is busy; retry later.' }, { 'X-Error-Code': 'StoreThrottled' }),
    );
    const api = client(fetch, { maxAttempts: 1 });

    await expect(api.getVisitorHistory('Ibk1527CUFmcnjLwIs4A9', { limit: 5 })).rejects.toMatchObject({
      status: 400,
      code: 'ValidationFailed',
      field: 'a b',
      message: 'Unknown field "a b": remove it.',
    });
    await expect(api.getVisitorHistory('Ibk1527CUFmcnjLwIs4A9')).rejects.toMatchObject({
      status: 503,
      code: 'StoreThrottled',
      field: undefined,
    });
  });

  it('retries a 429 after its Retry-After, then succeeds', async () => {
    const sleep = vi.fn(async () => undefined);
    const { fetch, sent } = fakeFetch(
      json(429, { error: { code: 'UpstreamRateLimited', message: 'slow down' } }, { 'Retry-After': '2' }),
      json(200, { events: [], source: 'fingerprint', stored: 0 }),
    );

    await expect(
      client(fetch, { sleep }).enrich({ visitorId: 'Ibk1527CUFmcnjLwIs4A9' }),
    ).resolves.toMatchObject({
      stored: 0,
    });
    expect(sleep).toHaveBeenCalledWith(2_000);
    expect(sent).toHaveLength(2);
    // Each attempt carries its own signature (and date).
    for (const request of sent) expect(verifySignature(request, CREDENTIALS.secretAccessKey)).toBe(true);
  });

  it('retries 5xx and network failures with backoff up to maxAttempts, then throws the last error', async () => {
    const sleep = vi.fn(async () => undefined);
    const { fetch, sent } = fakeFetch(
      new TypeError('fetch failed'),
      json(503, { error: { code: 'StoreThrottled', message: 'busy' } }),
      json(504, { error: { code: 'UpstreamTimeout', message: 'slow' } }),
    );

    const error = await client(fetch, { sleep, maxAttempts: 3 })
      .getEvent('1708102555327.NLOjmg')
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ status: 504, code: 'UpstreamTimeout' });
    expect(sent).toHaveLength(3);
    expect(sleep.mock.calls).toEqual([[100], [200]]);
  });

  it('does not retry a refused key: it needs an operator', async () => {
    const { fetch, sent } = fakeFetch(
      json(502, { error: { code: 'UpstreamAuthFailed', message: 'Set FINGERPRINT_REGION' } }),
    );
    await expect(client(fetch).enrich({ requestId: '1708102555327.NLOjmg' })).rejects.toMatchObject({
      code: 'UpstreamAuthFailed',
    });
    expect(sent).toHaveLength(1);
  });

  it('reports an answer that is not the API JSON, e.g. from a proxy', async () => {
    const { fetch } = fakeFetch(new Response('<html>Bad gateway</html>', { status: 502 }));
    await expect(client(fetch, { maxAttempts: 1 }).getEvent('1708102555327.NLOjmg')).rejects.toMatchObject({
      status: 502,
      code: 'InvalidResponse',
    });
  });

  it('classifies what may succeed if retried', () => {
    const error = (status: number, code: EnrichmentApiError['code']) =>
      new EnrichmentApiError({ status, code, message: code });
    expect(isRetryable(error(0, 'NetworkError'))).toBe(true);
    expect(isRetryable(error(429, 'Throttled'))).toBe(true);
    expect(isRetryable(error(503, 'StoreThrottled'))).toBe(true);
    expect(isRetryable(error(502, 'UpstreamAuthFailed'))).toBe(false);
    expect(isRetryable(error(502, 'UpstreamMisconfigured'))).toBe(false);
    expect(isRetryable(error(502, 'UpstreamBadResponse'))).toBe(false);
    expect(isRetryable(error(502, 'UpstreamUnavailable'))).toBe(true);
    expect(isRetryable(error(504, 'UpstreamTimeout'))).toBe(true);
    expect(isRetryable(error(404, 'NotFound'))).toBe(false);
    expect(isRetryable(error(500, 'Internal'))).toBe(false);
  });

  it('iterates over every page of a query, following nextCursor', async () => {
    const events = [buildEvent(), buildEvent(), buildEvent()];
    const { fetch, sent } = fakeFetch(
      json(200, { events: events.slice(0, 2), nextCursor: 'page-2' }),
      json(200, { events: events.slice(2) }),
    );

    const seen: string[] = [];
    for await (const event of client(fetch).iterateEvents({ visitorId: 'Ibk1527CUFmcnjLwIs4A9', limit: 2 })) {
      seen.push(event.requestId);
    }

    expect(seen).toEqual(events.map((event) => event.requestId));
    expect(sent.map((request) => request.url.searchParams.get('cursor'))).toEqual([null, 'page-2']);
  });
});

describe('caller client: wire types', () => {
  it('are the types the handlers answer with', () => {
    expectTypeOf<NormalizedEvent>().toEqualTypeOf<DomainEvent>();
    expectTypeOf<V3Visit>().toEqualTypeOf<DomainVisit>();
    expectTypeOf<VisitorHistory>().toEqualTypeOf<ServedVisitorHistory>();
    expectTypeOf<EventList>().toEqualTypeOf<ServedEventList>();
    expectTypeOf<EnrichResponse>().toEqualTypeOf<EnrichResult>();
    // The client knows every error code, API Gateway's included; the handler's answer fits in it.
    expectTypeOf<ServedVisitorErasure>().toMatchTypeOf<VisitorErasure>();
  });
});

describe('caller client: erasure', () => {
  it('sends DELETE /visitors/{visitorId}, with upstream=true only when asked, and returns the answer', async () => {
    const visitorId = 'Ibk1527CUFmcnjLwIs4A9';
    const local: VisitorErasure = {
      visitorId,
      deleted: 3,
      erasedAt: 1_708_102_555_327,
      upstream: { requested: false },
    };
    const both: VisitorErasure = {
      visitorId,
      deleted: 0,
      erasedAt: 1_708_102_555_327,
      upstream: {
        requested: true,
        outcome: 'failed',
        error: { code: 'UpstreamRateLimited', message: 'Retry later.' },
      },
    };
    const { fetch, sent } = fakeFetch(json(200, local), json(200, both));
    const api = client(fetch);

    await expect(api.eraseVisitor(visitorId)).resolves.toEqual(local);
    await expect(api.eraseVisitor(visitorId, { upstream: true })).resolves.toEqual(both);
    expect(sent.map((request) => [request.method, `${request.url.pathname}${request.url.search}`])).toEqual([
      ['DELETE', `/prod/visitors/${visitorId}`],
      ['DELETE', `/prod/visitors/${visitorId}?upstream=true`],
    ]);
    expect(sent[0]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
  });

  it('retries an erasure that met a 503: erasing is idempotent', async () => {
    const { fetch, sent } = fakeFetch(
      json(503, { error: { code: 'StoreThrottled', message: 'busy' } }, { 'retry-after': '1' }),
      json(200, { visitorId: 'Ibk1527CUFmcnjLwIs4A9', deleted: 1, upstream: { requested: false } }),
    );
    await expect(client(fetch).eraseVisitor('Ibk1527CUFmcnjLwIs4A9')).resolves.toMatchObject({ deleted: 1 });
    expect(sent).toHaveLength(2);
  });
});
