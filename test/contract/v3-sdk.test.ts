import { readFileSync } from 'node:fs';
import {
  AuthenticationMode,
  FingerprintJsServerApiClient,
  RequestError,
  type VisitorHistoryFilter,
  type VisitorsResponse,
} from '@fingerprintjs/fingerprintjs-pro-server-api';
import type { ValidateFunction } from 'ajv';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type LocalServer, startLocalServer } from '../../local/app.js';
import { loadLocalConfig } from '../../local/config.js';
import { GeneratedWorld } from '../../local/fingerprint-emulator/index.js';
import { PAGE_SIZES } from '../../shared/manifest/limits.js';
import { createLogger } from '../../shared/observability/logger.js';

/**
 * Fingerprint's official v3 Node SDK as a client of the local server, unchanged except its `fetch`, which
 * rewrites the host: the v3 `GET /visitors/{visitorId}` contract as a real caller exercises it (`ii` and the
 * `Auth-API-Key` header added by the SDK, paging, filters, errors), each 200 checked against the official v3
 * document.
 */

// CommonJS whose `module.exports` also carries `default`; under NodeNext only `.default` is typed.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

type Json = Record<string, unknown>;

/** The official v3 document (OpenAPI 3.0.3, JSON Schema draft-07 dialect plus `nullable`). */
const V3_DOCUMENT = parse(
  readFileSync(
    new URL('../fixtures/fingerprint/openapi/fingerprint-server-api.yaml', import.meta.url),
    'utf8',
  ),
) as Json;

/** The schema of `GET /visitors/{visitor_id}`'s answer with this status, as the official document names it. */
function visitsResponseValidator(status: '200' | '400'): ValidateFunction {
  // Not strict: the document carries OpenAPI-only keywords (`example`, `deprecated`, `discriminator`...).
  // `timezone` is a format the document names without defining; it is left unchecked, as OpenAPI allows.
  const ajv = new Ajv({ strict: false, allErrors: true, formats: { timezone: true } });
  addFormats(ajv);
  ajv.addSchema(V3_DOCUMENT, 'v3');
  // paths → /visitors/{visitor_id} → get → responses → <status> → content → application/json → schema.$ref
  const ref = [
    '/visitors/{visitor_id}',
    'get',
    'responses',
    status,
    'content',
    'application/json',
    'schema',
    '$ref',
  ].reduce<unknown>((node, key) => (node as Json | undefined)?.[key], V3_DOCUMENT.paths);
  if (ref === undefined)
    throw new Error(`the v3 document has no ${status} schema for /visitors/{visitor_id}`);
  return ajv.compile({ $ref: `v3${ref}` });
}

/**
 * A sandbox visitor with a long history (the sandbox gives each visitor 5 to 250 visits a retention period),
 * so that limits 1, 10 and 100 all take several pages. Chosen from the sandbox's own deterministic world.
 */
const VISITOR_ID = (() => {
  const world = new GeneratedWorld();
  for (let index = 0; index < 1000; index += 1) {
    const candidate = `SdkV3Visitor${String(index).padStart(8, '0')}`;
    if (world.search({ visitorId: candidate }).length >= 200) return candidate;
  }
  throw new Error('no sandbox visitor with 200 visits among the candidates');
})();
const UNKNOWN_VISITOR = 'SdkV3Nobody000000001';
const SDK_KEY = 'fpsk_SdkV3ContractCanary_8pX2';

describe('the official v3 Node SDK against the local server', () => {
  const validate = visitsResponseValidator('200');
  const validateError = visitsResponseValidator('400');
  let server: LocalServer;
  let client: FingerprintJsServerApiClient;
  /** What POST /enrich stored for the visitor, newest first. */
  let enriched: { requestId: string; timestamp: number; linkedId?: string }[] = [];
  const requests: URL[] = [];

  /** The SDK's call, sent to the local server instead of Fingerprint's host; nothing else changes. */
  const rewriteHost: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const local = new URL(`${url.pathname}${url.search}`, server.url);
    requests.push(local);
    return fetch(local, init);
  };

  /** A call whose 200 answer must match the official schema. */
  const getVisits = async (
    filter?: VisitorHistoryFilter,
    visitorId = VISITOR_ID,
  ): Promise<VisitorsResponse> => {
    const page = await client.getVisits(visitorId, filter);
    const valid = validate(page);
    expect(validate.errors ?? [], JSON.stringify(filter)).toEqual([]);
    expect(valid).toBe(true);
    return page;
  };

  /** The whole history, page after page, each page asking for what the previous one said comes next. */
  const pageThrough = async (
    limit: number,
    by: 'paginationKey' | 'before',
    filter: VisitorHistoryFilter = {},
  ) => {
    const pages: VisitorsResponse[] = [];
    let next: VisitorHistoryFilter = { ...filter, limit };
    for (;;) {
      const page = await getVisits(next);
      pages.push(page);
      if (page.paginationKey === undefined) return pages;
      expect(pages.length).toBeLessThanOrEqual(enriched.length + 1);
      const last = page.visits.at(-1);
      next =
        by === 'paginationKey'
          ? { ...filter, limit, paginationKey: page.paginationKey }
          : { ...filter, limit, before: last?.timestamp ?? Number.NaN };
    }
  };

  beforeAll(async () => {
    const command = loadLocalConfig(['--in-memory', '--sandbox'], {
      PORT: '0',
      FINGERPRINT_MAX_RPS: '50',
      LOG_LEVEL: 'SILENT',
    });
    if (command.kind !== 'run') throw new Error('the local config did not give a run');
    server = await startLocalServer(command.config, createLogger('SILENT'));
    client = new FingerprintJsServerApiClient({ apiKey: SDK_KEY, fetch: rewriteHost });

    const response = await fetch(`${server.url}/enrich`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visitorId: VISITOR_ID, maxEvents: PAGE_SIZES.enrichHistory.max }),
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { events: typeof enriched };
    enriched = answer.events;
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it('checks answers with schemas that do refuse what the v3 document does not allow', () => {
    // Guards the checks below against a schema reference that resolved to nothing (which accepts anything).
    expect(validate({ visitorId: VISITOR_ID, visits: [{ requestId: '1708102555327.NLOjmg' }] })).toBe(false);
    expect(validate({ visitorId: VISITOR_ID, visits: [], cursor: 'x' })).toBe(false);
    expect(validateError({ error: { code: 'ValidationFailed', message: 'limit' } })).toBe(false);
  });

  it('is given a history long enough to page with every limit', () => {
    expect(enriched.length).toBeGreaterThan(100);
    expect(new Set(enriched.map((event) => event.requestId)).size).toBe(enriched.length);
  });

  it.each([1, 10, 100, 500])(
    'pages the whole history with limit %i, by paginationKey and by before',
    async (limit) => {
      const expected = enriched.map((event) => event.requestId);
      for (const by of ['paginationKey', 'before'] as const) {
        const pages = await pageThrough(limit, by);
        const seen = pages.flatMap((page) => page.visits.map((visit) => visit.requestId));
        // No gap, no duplicate, the newest first: exactly what was enriched, in its order.
        expect(seen, by).toEqual(expected);
        expect(pages.length, by).toBe(Math.max(1, Math.ceil(expected.length / limit)));
        for (const page of pages) {
          expect(page.visitorId).toBe(VISITOR_ID);
          expect(page.visits.length).toBeLessThanOrEqual(limit);
        }
      }
    },
  );

  it('sends what the SDK sends (ii, Auth-API-Key) and the route accepts it, showing the key nowhere', async () => {
    requests.length = 0;
    const headerClient = new FingerprintJsServerApiClient({ apiKey: SDK_KEY, fetch: rewriteHost });
    const queryClient = new FingerprintJsServerApiClient({
      apiKey: SDK_KEY,
      fetch: rewriteHost,
      authenticationMode: AuthenticationMode.QueryParameter,
    });
    const byHeader = await headerClient.getVisits(VISITOR_ID, { limit: 3 });
    const byQuery = await queryClient.getVisits(VISITOR_ID, { limit: 3 });

    expect(requests.map((url) => url.searchParams.get('ii'))).toEqual([
      expect.stringMatching(/^fingerprint-pro-server-node-sdk\//),
      expect.stringMatching(/^fingerprint-pro-server-node-sdk\//),
    ]);
    expect(requests[1]?.searchParams.get('api_key')).toBe(SDK_KEY);
    expect(byQuery).toEqual(byHeader);
    expect(JSON.stringify(byHeader)).not.toContain(SDK_KEY);
    expect(byHeader.visits.map((visit) => visit.requestId)).toEqual(
      enriched.slice(0, 3).map((event) => event.requestId),
    );
  });

  it('filters by linked_id after scanning limit visits, as v3 does: pages may hold fewer, with a paginationKey', async () => {
    const linkedId = enriched.find((event) => event.linkedId !== undefined)?.linkedId;
    if (linkedId === undefined) throw new Error('the sandbox history has no linkedId to filter by');
    const matching = enriched.filter((event) => event.linkedId === linkedId).map((event) => event.requestId);
    expect(matching.length).toBeLessThan(enriched.length);

    for (const limit of [1, 10, 100]) {
      const filtered = await pageThrough(limit, 'paginationKey', { linked_id: linkedId });
      const unfiltered = await pageThrough(limit, 'paginationKey');
      // Page for page: the same scan window, the same paginationKey, only the visits carrying the linkedId.
      expect(filtered.length).toBe(unfiltered.length);
      filtered.forEach((page, index) => {
        const scanned = unfiltered[index];
        expect(page.paginationKey).toBe(scanned?.paginationKey);
        expect(page.visits.map((visit) => visit.requestId)).toEqual(
          scanned?.visits.filter((visit) => visit.linkedId === linkedId).map((visit) => visit.requestId),
        );
      });
      expect(filtered.flatMap((page) => page.visits.map((visit) => visit.requestId))).toEqual(matching);
      if (limit < enriched.length) {
        expect(filtered.some((page) => page.visits.length < limit && page.paginationKey !== undefined)).toBe(
          true,
        );
      }
    }
  });

  it('filters by request_id within the scanned window only', async () => {
    const target = enriched[25];
    if (target === undefined) throw new Error('the history is too short');
    // Scanned: the 26th visit is within the newest 26.
    const found = await getVisits({ request_id: target.requestId, limit: 26 });
    expect(found.visits.map((visit) => visit.requestId)).toEqual([target.requestId]);
    expect(found.paginationKey).toBe(enriched[25]?.requestId);
    // Not scanned: the newest 25 end just before it; the page is empty but says where to go on.
    const missed = await getVisits({ request_id: target.requestId, limit: 25 });
    expect(missed.visits).toEqual([]);
    expect(missed.paginationKey).toBe(enriched[24]?.requestId);
    const next = await getVisits({
      request_id: target.requestId,
      limit: 25,
      paginationKey: missed.paginationKey,
    });
    expect(next.visits.map((visit) => visit.requestId)).toEqual([target.requestId]);
  });

  it('answers an unknown visitor with 200 and no visits', async () => {
    const page = await getVisits({ limit: 10 }, UNKNOWN_VISITOR);
    expect(page).toEqual({ visitorId: UNKNOWN_VISITOR, visits: [] });
  });

  it.each([
    ['a limit above 500', VISITOR_ID, { limit: 501 }, /limit/],
    ['a limit of 0', VISITOR_ID, { limit: 0 }, /limit/],
    ['a visitorId with a control character', 'SdkV3Visitor\u0007CUFmcn', { limit: 1 }, /visitorId/],
    [
      'a paginationKey that is no request id',
      VISITOR_ID,
      { paginationKey: 'not a request id' },
      /paginationKey/,
    ],
  ] as const)(
    'surfaces %s as the SDK’s RequestError (400, v3’s plain error)',
    async (_, visitorId, filter, field) => {
      const error = await client.getVisits(visitorId, filter).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(RequestError);
      const refused = error as RequestError;
      expect(refused.statusCode).toBe(400);
      expect(refused.message).toMatch(field);
      // v3's ErrorPlainResponse: `{"error": "<message>"}` and nothing else; the key is not echoed.
      const valid = validateError(refused.responseBody);
      expect(validateError.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
      expect(JSON.stringify(refused.responseBody)).not.toContain(SDK_KEY);
    },
  );
});
