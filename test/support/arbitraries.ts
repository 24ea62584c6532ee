/**
 * fast-check arbitraries for hostile input: what a careless or malicious caller can put in a body, a path, a
 * query string or a header. Random text alone rarely lands near the edges, so valid ids are mixed in and
 * bent (one character changed, a suffix added), together with the characters that break URLs, JSON, logs,
 * DynamoDB keys and Unicode handling.
 */
import fc from 'fast-check';
import { ENRICH_BODY_MAX_BYTES } from '../../shared/manifest/limits.js';

/** Characters and snippets that have broken parsers, URLs, logs or keys somewhere. */
export const HOSTILE_SNIPPETS = [
  '../',
  '..%2f',
  '%2e%2e%2f',
  '/',
  '\\',
  '?',
  '#',
  '&',
  '=',
  '%',
  '%25',
  '%00',
  '+',
  ' ',
  '\t',
  '\r\n',
  '\u0000',
  '\u001b[31m',
  '\u007f',
  '"',
  "'",
  '`',
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Log4Shell probe, meant literally
  '${jndi:ldap://x}',
  '{{7*7}}',
  "' OR '1'='1",
  '\u202e',
  '\u200b',
  '\ufeff',
  '\ufffd',
  '\ud800',
  '\udfff',
  '😀',
  '👩‍👩‍👧',
  'ß',
  'İ',
  '𝔘',
  'ǅ',
  '١٢٣',
  '__proto__',
  'constructor',
  'toString',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '0x10',
  '9007199254740993',
] as const;

export const VALID_REQUEST_ID = '1708102555327.NLOjmg';
export const VALID_VISITOR_ID = 'Ibk1527CUFmcnjLwIs4A9';

/** A lone UTF-16 surrogate, which no well-formed string holds. */
export const loneSurrogate = fc
  .integer({ min: 0xd800, max: 0xdfff })
  .map((code) => String.fromCharCode(code));

/** Changes one character of `value` to something else. */
export const bent = (value: string): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.nat({ max: Math.max(0, value.length - 1) }),
      fc.constantFrom(...HOSTILE_SNIPPETS, 'a', '0', '.'),
    )
    .map(([index, replacement]) => `${value.slice(0, index)}${replacement}${value.slice(index + 1)}`);

/** Hostile text of every size, from empty to far beyond any limit. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: loneSurrogate, minLength: 1, maxLength: 3 }) },
  {
    weight: 4,
    arbitrary: fc
      .array(fc.constantFrom(...HOSTILE_SNIPPETS), { minLength: 1, maxLength: 6 })
      .map((parts) => parts.join('')),
  },
  { weight: 3, arbitrary: fc.constantFrom(VALID_REQUEST_ID, VALID_VISITOR_ID).chain(bent) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(VALID_REQUEST_ID, VALID_VISITOR_ID, 'order-1'),
        fc.constantFrom(...HOSTILE_SNIPPETS),
      )
      .map(([id, suffix]) => `${id}${suffix}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('x', 'é', '😀', '\u0000'), fc.integer({ min: 200, max: 40_000 }))
      .map(([unit, times]) => unit.repeat(times)),
  },
);

/** Any JSON value, hostile strings included. */
export const hostileJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 1, 1.5, 100, 500, 501, 1e21, Number.MAX_SAFE_INTEGER + 2) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.integer()), { maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  },
);

/** A header map as API Gateway passes it: names and values of any kind. */
export const hostileHeaders: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'Content-Type',
      'content-type',
      'Accept',
      'X-Forwarded-For',
      'Host',
      'Content-Length',
      'Cookie',
    ),
    fc.string({ minLength: 1, maxLength: 20 }),
  ),
  hostileString,
  { maxKeys: 6 },
);

/** A query-string map: known parameter names and random ones, each with a hostile or plausible value. */
export function queryParameters(
  known: Record<string, fc.Arbitrary<string>>,
): fc.Arbitrary<Record<string, string>> {
  const entries = Object.entries(known).map(([name, value]) =>
    fc
      .option(fc.oneof({ weight: 2, arbitrary: value }, { weight: 1, arbitrary: hostileString }), {
        nil: undefined,
        freq: 2,
      })
      .map((chosen) => [name, chosen] as const),
  );
  const extra = fc.option(fc.dictionary(hostileString, hostileString, { minKeys: 1, maxKeys: 2 }), {
    freq: 4,
  });
  return fc.tuple(fc.tuple(...entries), extra).map(([pairs, more]) => {
    const query: Record<string, string> = {};
    for (const [name, value] of pairs) if (value !== undefined) query[name] = value;
    return { ...query, ...(more ?? {}) };
  });
}

/** Plausible and implausible page sizes for a `limit` parameter. */
export const limitParameter = fc.oneof(
  fc.integer({ min: -5, max: 600 }).map(String),
  fc.constantFrom('1', '20', '100', '500', '0', '1e2', ' 5', '5 ', '+5', '05', '0x10', '', '9'.repeat(30)),
);

/**
 * A `POST /enrich` body or enrich queue message body: one of the four accepted forms built from the given ids;
 * such a form with one field made hostile or a hostile field added; truncated JSON; any JSON; hostile text;
 * a body over the body limit (`ENRICH_BODY_MAX_BYTES`).
 */
export function enrichBody(ids: {
  requestIds: fc.Arbitrary<string>;
  visitorIds: fc.Arbitrary<string>;
  linkedIds: fc.Arbitrary<string>;
}): fc.Arbitrary<string> {
  const maxEvents = fc.integer({ min: 1, max: 500 });
  const wellFormed = fc.oneof(
    fc.record({ requestId: ids.requestIds, refresh: fc.boolean() }, { requiredKeys: ['requestId'] }),
    fc.record(
      { visitorId: ids.visitorIds, maxEvents, refresh: fc.boolean() },
      { requiredKeys: ['visitorId'] },
    ),
    fc.record({ linkedId: ids.linkedIds, maxEvents, refresh: fc.boolean() }, { requiredKeys: ['linkedId'] }),
    fc.record(
      { visitorId: ids.visitorIds, linkedId: ids.linkedIds, maxEvents, refresh: fc.boolean() },
      { requiredKeys: ['visitorId', 'linkedId'] },
    ),
  );
  const spoiled = fc
    .tuple(
      wellFormed,
      fc.oneof(fc.constantFrom('requestId', 'visitorId', 'linkedId', 'maxEvents', 'refresh'), hostileString),
      hostileJsonValue,
    )
    .map(([body, key, value]) => ({ ...body, [key]: value }));
  const objectBody = fc
    .oneof({ weight: 3, arbitrary: wellFormed }, { weight: 4, arbitrary: spoiled })
    .map((body) => JSON.stringify(body));
  return fc.oneof(
    { weight: 6, arbitrary: objectBody },
    { weight: 2, arbitrary: hostileString },
    { weight: 1, arbitrary: hostileJsonValue.map((value) => JSON.stringify(value) ?? 'undefined') },
    { weight: 1, arbitrary: fc.json() },
    { weight: 1, arbitrary: objectBody.map((text) => text.slice(0, Math.max(1, text.length - 3))) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: ENRICH_BODY_MAX_BYTES + 1, max: ENRICH_BODY_MAX_BYTES + 4_000 })
        .map((size) => JSON.stringify({ linkedId: 'x'.repeat(size) })),
    },
  );
}

/**
 * Whether SQS accepts `text` as a message body: #x9, #xA, #xD, #x20 to #xD7FF, #xE000 to #xFFFD and
 * #x10000 to #x10FFFF, at least one character. Anything else never reaches a consumer.
 */
export function isSqsBody(text: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters SQS refuses
  return text.length > 0 && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|\p{Cs}/u.test(text);
}
