import { readFileSync } from 'node:fs';
import { FingerprintServerApiClient, Region as V4Region } from '@fingerprint/node-sdk';
import {
  AuthenticationMode,
  FingerprintJsServerApiClient,
  RequestError,
} from '@fingerprintjs/fingerprintjs-pro-server-api';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createSignedFetch, type SignedFetch } from '../../client/index.js';
import { type LocalServer, startLocalServer } from '../../local/app.js';
import { loadLocalConfig } from '../../local/config.js';
import { GeneratedWorld } from '../../local/fingerprint-emulator/index.js';
import { createLogger } from '../../shared/observability/logger.js';
import { type SigV4Gateway, startSigV4Gateway } from '../support/sigv4.js';
import { createCachedFingerprintClient } from './v3-sdk-recipe.js';

/**
 * `createSignedFetch` as the `fetch` of Fingerprint's official SDKs (v3 and v4), with no cast, and README's
 * recipe for the v3 SDK run as written: against the local server, behind a loopback stand-in for API Gateway
 * that recomputes every request's SigV4 signature from what came over the wire and refuses a wrong one.
 */

/** Fixed test credentials (AWS's documentation example), never real ones. */
const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const REGION = 'eu-west-1';

/** A sandbox visitor with a few dozen visits, so that limit 10 takes several pages. */
const VISITOR_ID = (() => {
  const world = new GeneratedWorld();
  for (let index = 0; index < 1000; index += 1) {
    const candidate = `SignedSdk${String(index).padStart(11, '0')}`;
    const visits = world.search({ visitorId: candidate }).length;
    if (visits >= 30 && visits <= 100) return candidate;
  }
  throw new Error('no sandbox visitor with 30 to 100 visits among the candidates');
})();

/** README's recipe is the code this suite runs, but for the import of the client. */
function readmeRecipe(): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /```ts\n(import \{ FingerprintJsServerApiClient \}[\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README.md has no v3 SDK recipe');
  return block;
}

describe('createSignedFetch as the fetch of Fingerprint’s SDKs', () => {
  it('is fetch, by type: both SDKs take it as their fetch option without a cast', () => {
    const signed = createSignedFetch({ region: REGION, credentials: CREDENTIALS });
    expectTypeOf(signed).toEqualTypeOf<typeof fetch>();
    expectTypeOf<SignedFetch>().toEqualTypeOf<typeof fetch>();
    const v3 = new FingerprintJsServerApiClient({ apiKey: 'k', fetch: signed });
    const v4 = new FingerprintServerApiClient({ apiKey: 'k', fetch: signed });
    expect(v3).toBeInstanceOf(FingerprintJsServerApiClient);
    expect(v4).toBeInstanceOf(FingerprintServerApiClient);
  });

  it('README shows the recipe this suite runs, verbatim', () => {
    const source = readFileSync(new URL('./v3-sdk-recipe.ts', import.meta.url), 'utf8');
    expect(readmeRecipe()).toBe(
      source.replace("from '../../client/index.js'", "from 'fingerprint-event-enrichment/client'"),
    );
  });
});

describe('README’s v3 SDK recipe against the local server, behind a SigV4 check', () => {
  let server: LocalServer;
  let gateway: SigV4Gateway;
  let enriched: string[] = [];

  beforeAll(async () => {
    const command = loadLocalConfig(['--in-memory', '--sandbox'], {
      PORT: '0',
      FINGERPRINT_MAX_RPS: '50',
      LOG_LEVEL: 'SILENT',
    });
    if (command.kind !== 'run') throw new Error('the local config did not give a run');
    server = await startLocalServer(command.config, createLogger('SILENT'));
    gateway = await startSigV4Gateway({ credentials: CREDENTIALS, stage: '/prod', forward: server.url });

    const response = await fetch(`${server.url}/enrich`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visitorId: VISITOR_ID, maxEvents: 100 }),
    });
    expect(response.status).toBe(200);
    enriched = ((await response.json()) as { events: { requestId: string }[] }).events.map(
      (event) => event.requestId,
    );
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
    await server?.close();
  });

  it('pages the whole history with getVisits, every request signed for execute-api and verified', async () => {
    expect(enriched.length).toBeGreaterThanOrEqual(30);
    gateway.requests.length = 0;
    const client = createCachedFingerprintClient({
      apiUrl: gateway.url,
      region: REGION,
      credentials: CREDENTIALS,
    });

    const seen: string[] = [];
    let paginationKey: string | undefined;
    do {
      const page = await client.getVisits(VISITOR_ID, { limit: 10, ...(paginationKey && { paginationKey }) });
      expect(page.visitorId).toBe(VISITOR_ID);
      seen.push(...page.visits.map((visit) => visit.requestId));
      paginationKey = page.paginationKey;
    } while (paginationKey !== undefined);

    expect(seen).toEqual(enriched);
    expect(gateway.requests).toHaveLength(Math.ceil(enriched.length / 10));
    for (const request of gateway.requests) {
      expect(request.verdict).toMatchObject({
        valid: true,
        accessKeyId: CREDENTIALS.accessKeyId,
        region: REGION,
        service: 'execute-api',
      });
      // What the SDK adds is sent, and signed with the rest.
      expect(request.target).toMatch(
        new RegExp(`^/prod/visitors/${VISITOR_ID}\\?.*ii=fingerprint-pro-server-node-sdk`),
      );
      expect(request.headers['auth-api-key']).toBe('not-used');
      expect(request.verdict.signedHeaders).toEqual(
        expect.arrayContaining(['auth-api-key', 'host', 'x-amz-date']),
      );
    }
  });

  it('signs the key of the SDK’s query authentication mode and filters with reserved characters, as sent', async () => {
    gateway.requests.length = 0;
    const signedFetch = createSignedFetch({ region: REGION, credentials: CREDENTIALS });
    const client = new FingerprintJsServerApiClient({
      apiKey: 'key+with/reserved=chars',
      authenticationMode: AuthenticationMode.QueryParameter,
      fetch: (input, init) => {
        const { pathname, search } = new URL(input instanceof Request ? input.url : input);
        return signedFetch(`${gateway.url}${pathname}${search}`, init);
      },
    });

    const page = await client.getVisits(VISITOR_ID, { limit: 5, linked_id: 'order 1+2/ä&x=y' });

    expect(page).toMatchObject({ visitorId: VISITOR_ID, visits: [], paginationKey: enriched[4] });
    const [request] = gateway.requests;
    expect(request?.verdict).toMatchObject({ valid: true, service: 'execute-api' });
    expect(new URLSearchParams(request?.target.split('?')[1]).get('api_key')).toBe('key+with/reserved=chars');
  });

  it('is refused by the check when signed with another secret: the check is not vacuous', async () => {
    gateway.requests.length = 0;
    const client = createCachedFingerprintClient({
      apiUrl: gateway.url,
      region: REGION,
      credentials: { ...CREDENTIALS, secretAccessKey: 'another-secret' },
    });

    const error = await client.getVisits(VISITOR_ID, { limit: 1 }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).statusCode).toBe(403);
    expect(gateway.requests.map((request) => request.verdict.reason)).toEqual(['signature mismatch']);
  });
});

describe('the official v4 SDK with createSignedFetch as its fetch', () => {
  const EVENT = JSON.parse(
    readFileSync(new URL('../fixtures/fingerprint/v4/events/get_event_200.json', import.meta.url), 'utf8'),
  ) as { event_id: string };
  const SDK_KEY = 'fpsk_SignedV4Canary_3kQ9';
  let gateway: SigV4Gateway;

  beforeAll(async () => {
    gateway = await startSigV4Gateway({
      credentials: CREDENTIALS,
      stage: '/prod',
      answer: (request) =>
        request.method === 'GET' && request.target.startsWith(`/v4/events/${EVENT.event_id}?`)
          ? { status: 200, body: EVENT }
          : { status: 404, body: { error: { code: 'event_not_found', message: 'not found' } } },
    });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('gets an event through a verified signature; the SDK’s Bearer key is replaced by it, not sent', async () => {
    const signedFetch = createSignedFetch({ region: REGION, credentials: CREDENTIALS });
    const client = new FingerprintServerApiClient({
      apiKey: SDK_KEY,
      region: V4Region.EU,
      fetch: (input, init) => {
        const { pathname, search } = new URL(input instanceof Request ? input.url : input);
        return signedFetch(`${gateway.url}${pathname}${search}`, init);
      },
    });

    await expect(client.getEvent(EVENT.event_id)).resolves.toEqual(EVENT);

    const [request] = gateway.requests;
    expect(request?.verdict).toMatchObject({ valid: true, region: REGION, service: 'execute-api' });
    expect(request?.target).toMatch(/[?&]ii=/);
    expect(JSON.stringify(request?.headers)).not.toContain(SDK_KEY);
  });
});
