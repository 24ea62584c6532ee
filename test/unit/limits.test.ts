import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEnrichBody } from '../../functions/enrich/input.js';
import { parseEventsQuery, parseV4SearchQuery, parseVisitorsQuery } from '../../functions/query/input.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { isId } from '../../shared/domain/ids.js';
import {
  BODY_MESSAGES,
  CURSOR_MAX_LENGTH,
  ENRICH_BODY_MAX_BYTES,
  ID_FORMS,
  ID_MAX_LENGTH,
  ID_MESSAGES,
  ID_PATTERN,
  PAGE_SIZES,
  type PageSize,
  SEALED_RESULT_MAX_BASE64_CHARS,
  SQS_MAX_MESSAGE_BYTES,
} from '../../shared/manifest/limits.js';

/** The API reference, which must state the limits the code applies. */
const openapi = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'));

function parameter(path: string, name: string): Record<string, unknown> {
  const found = (
    openapi.paths[path].get.parameters as { name: string; schema: Record<string, unknown> }[]
  ).find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`${path} has no parameter ${name}`);
  return found.schema;
}

const query = (queryStringParameters: Record<string, string>) => ({ queryStringParameters });

function refusal(parse: () => unknown): ValidationError {
  try {
    parse();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('limits, declared once', () => {
  const pages: [string, string, PageSize, (limit?: string) => { limit: number }][] = [
    [
      '/visitors/{visitorId}',
      'limit',
      PAGE_SIZES.visitors,
      (limit) => parseVisitorsQuery(query(limit === undefined ? {} : { limit })),
    ],
    [
      '/events',
      'limit',
      PAGE_SIZES.events,
      (limit) => parseEventsQuery(query({ visitorId: 'v', ...(limit !== undefined && { limit }) })),
    ],
    [
      '/v4/events',
      'limit',
      PAGE_SIZES.v4Search,
      (limit) => parseV4SearchQuery(query({ visitor_id: 'v', ...(limit !== undefined && { limit }) })),
    ],
  ];

  it.each(pages)(
    '%s: the handler and the API reference take the same page sizes',
    (path, name, size, parse) => {
      expect(parameter(path, name)).toMatchObject({ minimum: 1, maximum: size.max, default: size.default });
      expect(parse().limit).toBe(size.default);
      expect(parse(String(size.max)).limit).toBe(size.max);
      expect(refusal(() => parse(String(size.max + 1))).field).toBe(name);
      expect(refusal(() => parse('0')).field).toBe(name);
    },
  );

  it("POST /enrich: maxEvents and the body cap are the reference's", () => {
    const maxEvents = openapi.components.schemas.EnrichHistory.properties.maxEvents;
    expect(maxEvents).toMatchObject({
      minimum: 1,
      maximum: PAGE_SIZES.enrichHistory.max,
      default: PAGE_SIZES.enrichHistory.default,
    });
    expect(parseEnrichBody('{"linkedId":"o"}')).toMatchObject({
      maxEvents: PAGE_SIZES.enrichHistory.default,
    });
    const tooMany = JSON.stringify({ linkedId: 'o', maxEvents: PAGE_SIZES.enrichHistory.max + 1 });
    expect(refusal(() => parseEnrichBody(tooMany)).field).toBe('maxEvents');
    expect(openapi.components.schemas.EnrichRequest.description).toContain(
      `At most ${ENRICH_BODY_MAX_BYTES / 1024} KiB.`,
    );
    expect(openapi.components.schemas.EnrichSealed.properties.sealedResult.maxLength).toBe(
      SEALED_RESULT_MAX_BASE64_CHARS,
    );
    // A queue message carries the same body, so it must fit in one.
    expect(ENRICH_BODY_MAX_BYTES).toBeLessThan(SQS_MAX_MESSAGE_BYTES);
  });

  it.each([
    ['/events', 'cursor', (cursor: string) => parseEventsQuery(query({ visitorId: 'v', cursor }))],
    [
      '/v4/events',
      'pagination_key',
      (key: string) => parseV4SearchQuery(query({ visitor_id: 'v', pagination_key: key })),
    ],
  ])('%s: %s has one length cap, in the handler and the reference', (path, name, parse) => {
    expect(parameter(path, name)).toMatchObject({ minLength: 1, maxLength: CURSOR_MAX_LENGTH });
    expect(refusal(() => parse('A'.repeat(CURSOR_MAX_LENGTH + 1))).field).toBe(name);
  });

  it("states the id rule as the reference's schemas do", () => {
    const pattern = new RegExp(ID_PATTERN, 'u');
    for (const schema of ['RequestId', 'VisitorId', 'LinkedId']) {
      expect(openapi.components.schemas[schema]).toMatchObject({
        minLength: 1,
        maxLength: ID_MAX_LENGTH,
        pattern: ID_PATTERN,
      });
      expect(openapi.components.schemas[schema].description).toContain(`1 to ${ID_MAX_LENGTH} characters`);
    }
    // The pattern and the length bound together are the rule, for everything JSON can carry.
    for (const id of [
      '1708102555327.NLOjmg',
      'a/b',
      '😀'.repeat(ID_MAX_LENGTH),
      '.',
      '..',
      'a\u0000',
      'a\u2028',
      '...',
    ]) {
      expect(pattern.test(id) && [...id].length <= ID_MAX_LENGTH).toBe(isId(id));
    }
  });

  it('names the forms of a requestId (20-character one included) and of a visitorId, wherever they are told', () => {
    const reference = openapi.components.schemas;
    expect(ID_MESSAGES.requestId).toContain(ID_FORMS.requestId);
    expect(ID_MESSAGES.visitorId).toContain(ID_FORMS.visitorId);
    for (const example of ID_FORMS.requestId.match(/"[^"]+"/g) ?? []) {
      const id = example.slice(1, -1);
      expect(reference.RequestId.description).toContain(`\`${id}\``);
      expect(isId(id)).toBe(true);
    }
    expect(ID_FORMS.requestId).toContain('(20 letters or digits)');
    expect(ID_FORMS.requestId).toMatch(/"[A-Za-z0-9]{20}" \(20 letters or digits\)$/);
    expect(ID_FORMS.visitorId).toMatch(/^"[A-Za-z0-9]{20}" \(20 letters or digits\)$/);
    expect(reference.VisitorId.description).toContain('20 letters or digits');
    expect(ID_MESSAGES.linkedId).toContain(`one to ${ID_MAX_LENGTH} characters`);
  });

  it("refuses a body that is not a JSON object with the gateway's message", () => {
    for (const body of ['[]', '"text"', '3', 'null']) {
      expect(refusal(() => parseEnrichBody(body))).toMatchObject({
        field: 'body',
        message: BODY_MESSAGES.notAnObject,
      });
    }
  });
});
