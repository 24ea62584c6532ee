import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEnrichBody } from '../../functions/enrich/input.js';
import { parseEnrichRequest, readRequestIdBody } from '../../functions/enrich/request.js';
import { parseEventsQuery } from '../../functions/query/input.js';
import { parseEventsRequest, readFirstPageQuery } from '../../functions/query/request.js';
import { parseRequestId, parseVisitorId } from '../../shared/http/params.js';
import { requestIdOf, visitorIdOf } from '../../shared/http/request.js';
import { ENRICH_BODY_MAX_BYTES } from '../../shared/manifest/limits.js';

/**
 * The fast reads of the common first requests (no Zod) against the Zod parsers that stay the one definition of
 * what each route accepts: whenever a fast read answers, the parser accepts the same input and answers the
 * identical value; it never refuses; and what a route does with the fast read in front (`parseEnrichRequest`,
 * `requestIdOf`, `parseEventsRequest`) is what the parser alone does, refusals and their messages included.
 */

type Outcome =
  | { ok: true; value: unknown }
  | { ok: false; error: { name: string; field: unknown; message: string } };

async function outcomeOf(parse: () => unknown): Promise<Outcome> {
  try {
    return { ok: true, value: await parse() };
  } catch (error) {
    const { name, message } = error as Error;
    return { ok: false, error: { name, field: (error as { field?: unknown }).field, message } };
  }
}

/** Ids the one rule accepts and refuses: Fingerprint's forms, any text, control characters, lone surrogates. */
const id = fc.oneof(
  fc.constantFrom(
    '1708102555327.NLOjmg',
    '3HNey93AkBW6CRbxV6xP',
    'order-123',
    '.',
    '..',
    '',
    ' ',
    'a\u0000b',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ minLength: 1020, maxLength: 1030 }),
);

/** A JSON value that is not a string: what a field of the wrong type holds. */
const notText = fc.oneof(
  fc.boolean(),
  fc.integer(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
);

/** Bodies near `{"requestId": …}`: the plain one, with `refresh`, with other fields, of the wrong shape. */
const enrichBody = fc.oneof(
  fc.record({ requestId: id }),
  fc.record({ requestId: id, refresh: fc.oneof(fc.boolean(), notText, id) }),
  fc.record(
    {
      requestId: fc.oneof(id, notText),
      visitorId: id,
      linkedId: id,
      maxEvents: fc.oneof(fc.integer({ min: -5, max: 600 }), notText),
      refresh: fc.oneof(fc.boolean(), notText),
      sealedResult: fc.string({ maxLength: 20 }),
      other: fc.jsonValue({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  ),
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);

/** Raw bodies: those objects as JSON (compact or spaced), and text that is not such an object at all. */
const rawBody = fc.oneof(
  { weight: 6, arbitrary: enrichBody.map((body) => JSON.stringify(body)) },
  { weight: 1, arbitrary: enrichBody.map((body) => JSON.stringify(body, null, 2)) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.string(),
      fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null'),
      fc.constantFrom(
        '',
        '   ',
        'null',
        '[]',
        '{"requestId":"a","requestId":"b"}',
        '{"__proto__":{"x":1},"requestId":"a"}',
        '{"requestId":"1708102555327.NLOjmg"}x',
      ),
      fc.constant(undefined),
      fc.constant(null),
    ),
  },
);

describe('the fast read of an enrich body', () => {
  it('answers only what parseEnrichBody answers for the same body, and never throws', () => {
    let answered = 0;
    fc.assert(
      fc.property(rawBody, (raw) => {
        const fast = readRequestIdBody(raw);
        if (fast === undefined) return;
        answered += 1;
        expect(parseEnrichBody(raw)).toStrictEqual(fast);
      }),
      { numRuns: 3000 },
    );
    expect(answered).toBeGreaterThan(100);
  });

  it('leaves everything else to parseEnrichBody: the route answers what the parser alone answers', async () => {
    await fc.assert(
      fc.asyncProperty(rawBody, async (raw) => {
        expect(await outcomeOf(() => parseEnrichRequest(raw))).toStrictEqual(
          await outcomeOf(() => parseEnrichBody(raw)),
        );
      }),
      { numRuns: 1500 },
    );
  });

  it('leaves a body over the size cap to parseEnrichBody, which refuses it', async () => {
    const huge = JSON.stringify({ requestId: 'a'.repeat(ENRICH_BODY_MAX_BYTES) });
    expect(readRequestIdBody(huge)).toBeUndefined();
    await expect(parseEnrichRequest(huge)).rejects.toThrow(/larger than/);
  });
});

describe('the fast read of a path id', () => {
  it('answers what the Zod path parsers answer, refusals and their messages included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(id, { nil: undefined }), async (value) => {
        expect(await outcomeOf(() => requestIdOf(value))).toStrictEqual(
          await outcomeOf(() => parseRequestId(value)),
        );
        expect(await outcomeOf(() => visitorIdOf(value))).toStrictEqual(
          await outcomeOf(() => parseVisitorId(value)),
        );
      }),
      { numRuns: 1500 },
    );
  });
});

/** Query strings near `?visitorId=…`: ids, both ids, with a limit, a cursor or another parameter. */
const eventsQuery: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.record({ visitorId: id }),
  fc.record({ visitorId: id, linkedId: id }, { requiredKeys: [] }),
  fc.record(
    {
      visitorId: id,
      linkedId: id,
      limit: fc.oneof(fc.integer({ min: -1, max: 150 }).map(String), fc.string({ maxLength: 4 })),
      cursor: fc.string({ maxLength: 10 }),
      other: fc.string({ maxLength: 5 }),
    },
    { requiredKeys: [] },
  ),
);
const eventOf = (query: Record<string, string>) => ({
  queryStringParameters: Object.keys(query).length === 0 ? null : query,
});

describe('the fast read of GET /events', () => {
  it('answers only what parseEventsQuery answers for the same query string', () => {
    let answered = 0;
    fc.assert(
      fc.property(eventsQuery, (query) => {
        const fast = readFirstPageQuery(query);
        if (fast === undefined) return;
        answered += 1;
        expect(parseEventsQuery(eventOf(query))).toStrictEqual(fast);
      }),
      { numRuns: 3000 },
    );
    expect(answered).toBeGreaterThan(50);
  });

  it('leaves everything else to parseEventsQuery: the route answers what the parser alone answers', async () => {
    await fc.assert(
      fc.asyncProperty(eventsQuery, async (query) => {
        expect(await outcomeOf(() => parseEventsRequest(eventOf(query)))).toStrictEqual(
          await outcomeOf(() => parseEventsQuery(eventOf(query))),
        );
      }),
      { numRuns: 1500 },
    );
  });
});
