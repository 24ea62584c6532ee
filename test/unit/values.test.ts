import { readFileSync } from 'node:fs';
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/domain/errors.js';
import { ID_MAX_LENGTH, ID_MESSAGES, isId, requireId } from '../../shared/domain/ids.js';
import {
  compact,
  EARLIEST_TIMESTAMP_MS,
  isDateTime,
  jsonText,
  MAX_TAG_BYTES,
  MAX_TAG_DEPTH,
  storableTag,
} from '../../shared/domain/values.js';
import { normalizeV3Visit, normalizeV4Event, normalizeWebhook } from '../../shared/fingerprint/normalize.js';

type Json = Record<string, unknown>;

const fixture = (path: string): Json =>
  JSON.parse(readFileSync(new URL(`../fixtures/fingerprint/${path}`, import.meta.url), 'utf8')) as Json;
const v4Event = (): Json => fixture('v4/events/get_event_200.json');
const v3Visit = (): Json => (fixture('v3/get_visitors_200_limit_1.json').visits as Json[])[0] ?? {};

const DAY_MS = 86_400_000;

function rejection(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

/** A v4 event (the official example) with `tags` replaced, read from JSON text as the client reads it. */
function v4WithTagsText(tagsText: string): Json {
  const text = JSON.stringify({ ...v4Event(), tags: '__TAGS__' }).replace('"__TAGS__"', tagsText);
  return JSON.parse(text) as Json;
}

/** A tag `{"a":{"a":…{"a":1}…}}` nested `depth` levels, as JSON text (JSON.stringify itself would overflow). */
function nestedTagText(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** The deepest nesting of maps and lists in a marshalled value; DynamoDB refuses more than 32. */
function depthOf(root: unknown): number {
  let deepest = 0;
  const work: [unknown, number][] = [[root, 0]];
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    const [value, depth] = item;
    deepest = Math.max(deepest, depth);
    if (typeof value === 'object' && value !== null) {
      for (const child of Object.values(value)) work.push([child, depth + 1]);
    }
  }
  return deepest;
}

describe('the id rule', () => {
  it('accepts any string of 1 to 256 characters the table can key: slashes, spaces, unicode, 64-bit emoji', () => {
    for (const id of [
      '1708102555327.NLOjmg',
      'a/b',
      '../x',
      '...',
      ' ',
      'a+b%20c?d#e&f=g',
      'é',
      '😀'.repeat(ID_MAX_LENGTH),
      'x'.repeat(ID_MAX_LENGTH),
      '\u00a0',
    ]) {
      expect(isId(id), JSON.stringify(id)).toBe(true);
    }
  });

  it.each([
    ['empty', ''],
    ['257 characters', 'x'.repeat(ID_MAX_LENGTH + 1)],
    ['257 astral characters', '😀'.repeat(ID_MAX_LENGTH + 1)],
    ['a NUL', 'a\u0000'],
    ['a C0 control', 'a\u001fb'],
    ['DEL', 'a\u007f'],
    ['a C1 control (NEL)', 'a\u0085'],
    ['a C1 control (U+0080)', '\u0080'],
    ['a C1 control (U+009F)', '\u009f'],
    ['a line separator', 'a\u2028b'],
    ['a paragraph separator', 'a\u2029b'],
    ['an unpaired high surrogate', 'a\ud800'],
    ['an unpaired low surrogate', '\udc00a'],
    ['the dot-segment "."', '.'],
    ['the dot-segment ".."', '..'],
  ])('refuses an id that is %s', (_, id) => {
    expect(isId(id)).toBe(false);
  });

  it('refuses what is not a string', () => {
    for (const value of [undefined, null, 1, {}, ['a']]) expect(isId(value)).toBe(false);
  });

  it('has one message per kind of id, saying the rule and how to fix it, naming the field at fault', () => {
    const error = rejection(() => requireId('a\u0000', 'requestId', 'paginationKey'));
    expect(error.field).toBe('paginationKey');
    expect(error.message).toBe(ID_MESSAGES.requestId);
    for (const message of Object.values(ID_MESSAGES)) {
      expect(message).toContain('256 characters');
      expect(message).toContain('control characters');
      expect(message).toMatch(/e\.g\. "/);
    }
  });

  it('agrees with the pattern of the API document for any string', () => {
    const document = JSON.parse(
      readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'),
    ) as { components: { schemas: Record<string, { pattern: string; maxLength: number }> } };
    const schema = document.components.schemas.RequestId;
    if (schema === undefined) throw new Error('no RequestId schema');
    const pattern = new RegExp(schema.pattern, 'u');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (id) => {
        // Unpaired surrogates cannot travel in JSON text as themselves; the description names them.
        fc.pre(!/\p{Cs}/u.test(id));
        const documented = pattern.test(id) && [...id].length <= schema.maxLength;
        expect(isId(id)).toBe(documented);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('timestamps', () => {
  it('refuses an event before 2015-01-01 with ValidationError("timestamp"), saying the window', () => {
    const event = { ...v4Event(), timestamp: EARLIEST_TIMESTAMP_MS - 1 };
    const error = rejection(() => normalizeV4Event(event));
    expect(error.field).toBe('timestamp');
    expect(error.message).toContain('2015-01-01');
    expect(normalizeV4Event({ ...v4Event(), timestamp: EARLIEST_TIMESTAMP_MS }).timestamp).toBe(
      EARLIEST_TIMESTAMP_MS,
    );
  });

  it('refuses an event more than a day ahead of now, and accepts one an hour ahead', () => {
    expect(
      rejection(() => normalizeV4Event({ ...v4Event(), timestamp: Date.now() + 2 * DAY_MS })).field,
    ).toBe('timestamp');
    expect(
      rejection(() => normalizeWebhook({ ...fixture('v3/webhook.json'), timestamp: 8.64e15 })).field,
    ).toBe('timestamp');
    const soon = Date.now() + 3_600_000;
    expect(normalizeV4Event({ ...v4Event(), timestamp: soon }).time).toBe(new Date(soon).toISOString());
  });

  it('derives time from the timestamp when the payload time is not a real date-time', () => {
    for (const time of ['2024-02-30T10:00:00Z', '2024-02-16T24:00:00Z', '+087529-08-06T00:00:00.000Z', 'x']) {
      const visit = { ...v3Visit(), time };
      const event = normalizeV3Visit(visit, 'AcxioeQKffpXF8iGQK3P');
      expect(event.time).toBe(new Date(event.timestamp).toISOString());
    }
  });
});

describe('values served against our own contract', () => {
  it('makes a far-future or ancient first/last seen time unknown instead of "+087529-…"', () => {
    const event = normalizeV4Event({
      ...v4Event(),
      identification: {
        ...(v4Event().identification as Json),
        first_seen_at: 2_700_000_000_000_000,
        last_seen_at: 1_000,
      },
    });
    expect(event.firstSeenAt).toEqual({ global: null, subscription: null });
    expect(event.lastSeenAt).toEqual({ global: null, subscription: null });

    const visit = normalizeV3Visit(
      {
        ...v3Visit(),
        firstSeenAt: { global: '+087529-08-06T00:00:00.000Z', subscription: '2024-02-30T00:00:00Z' },
        lastSeenAt: { global: '2022-05-05T18:28:54.535Z', subscription: '9999-12-31T23:59:59Z' },
      },
      'AcxioeQKffpXF8iGQK3P',
    );
    expect(visit.firstSeenAt).toEqual({ global: null, subscription: null });
    expect(visit.lastSeenAt).toEqual({ global: '2022-05-05T18:28:54.535Z', subscription: null });
  });

  it('clamps a confidence score to [0, 1], and one too small for DynamoDB to 0', () => {
    const withScore = (score: number) =>
      normalizeV4Event({
        ...v4Event(),
        identification: { ...(v4Event().identification as Json), confidence: { score } },
      }).confidence?.score;
    expect(withScore(1.5)).toBe(1);
    expect(withScore(-0.25)).toBe(0);
    expect(withScore(1e-200)).toBe(0);
    expect(withScore(0.97)).toBe(0.97);
  });

  it('omits a negative suspect score, an out-of-range coordinate and a negative accuracy radius', () => {
    const base = v4Event();
    const ipInfo = base.ip_info as { v4: { geolocation: Json } };
    ipInfo.v4.geolocation = {
      ...ipInfo.v4.geolocation,
      latitude: 91,
      longitude: 1e-200,
      accuracy_radius: -5,
    };
    const event = normalizeV4Event({ ...base, ip_address: '94.142.239.124', suspect_score: -3 });
    expect(event.signals).not.toHaveProperty('suspectScore');
    expect(event.location).not.toHaveProperty('latitude');
    expect(event.location?.longitude).toBe(0);
    expect(event.location).not.toHaveProperty('accuracyRadius');
  });

  it('checks date-times as the API document does (real dates, times of day, offsets)', () => {
    expect(isDateTime('2024-02-29T23:59:59.123Z')).toBe(true);
    expect(isDateTime('2024-02-16T17:15:55+01:00')).toBe(true);
    for (const text of [
      '2023-02-29T00:00:00Z',
      '2024-01-01T00:60:00Z',
      '2024-01-01T00:00:00',
      '2024-01-01',
    ]) {
      expect(isDateTime(text), text).toBe(false);
    }
  });
});

describe('tags DynamoDB refuses', () => {
  it.each([
    ['below DynamoDB underflow (1e-200)', '1e-200', '1e-200'],
    ['negative underflow (-1e-131)', '-1e-131', '-1e-131'],
    ['above 9.99e125 (1e200)', '1e200', '1e+200'],
    ['+Infinity (JSON 1e999)', '1e999', 'Infinity'],
    ['-Infinity (JSON -1e999)', '-1e999', '-Infinity'],
    ['an integer beyond 2^53', '1234567890123456789', '1234567890123456800'],
    [
      'more than 38 significant digits',
      '1.234567890123456789012345678901234567890123e50',
      // The digits a double keeps (V8's JSON parser may round the 17th differently from Number()).
      expect.stringMatching(/^1\.234567890123456\d*e\+50$/),
    ],
  ])('keeps a number %s as its text, flagged', (_, text, stored: unknown) => {
    const event = normalizeV4Event(v4WithTagsText(`{"n":${text},"list":[${text}],"fine":1.5}`));
    expect(event.tag).toEqual({ n: stored, list: [stored], fine: 1.5 });
    expect(event.tagAltered).toBe(true);
    expect(() => marshall(event, { removeUndefinedValues: true })).not.toThrow();
  });

  it('leaves a tag DynamoDB can hold unchanged and unflagged, 0, -0 and 1e-130 included', () => {
    const event = normalizeV4Event(v4WithTagsText('{"a":[0,-0,1e-130,-2.5,"x","",null,true,{"b":{}}]}'));
    expect(event).not.toHaveProperty('tagAltered');
    expect(event.tag?.a).toEqual([0, -0, 1e-130, -2.5, 'x', '', null, true, { b: {} }]);
  });

  it('keeps a tag with an empty key at its top level as {"json": "<its JSON text>"}, flagged', () => {
    expect(storableTag({ '': 1, a: [Number.POSITIVE_INFINITY] })).toEqual({
      tag: { json: '{"":1,"a":[1e999]}' },
      altered: true,
    });
  });

  it(`keeps nesting beyond ${MAX_TAG_DEPTH} levels as JSON text that reads back to the original`, () => {
    const text = nestedTagText(1_000);
    const event = normalizeV4Event(v4WithTagsText(text));
    let node: unknown = event.tag;
    let level = 1;
    while (typeof node === 'object' && node !== null) {
      node = (node as Json).a;
      level += 1;
    }
    // The tag is level 1; the value at level MAX_TAG_DEPTH is text.
    expect(level).toBe(MAX_TAG_DEPTH);
    expect(JSON.parse(node as string)).toEqual(JSON.parse(nestedTagText(1_000 - MAX_TAG_DEPTH + 1)));
    expect(event.tagAltered).toBe(true);
    expect(depthOf(marshall(event, { removeUndefinedValues: true }))).toBeLessThanOrEqual(32 * 2);
  });

  it('stores a tag 100,000 levels deep without overflowing the stack: too large, dropped and flagged', () => {
    const event = normalizeV4Event(v4WithTagsText(nestedTagText(100_000)));
    expect(event).not.toHaveProperty('tag');
    expect(event.tagAltered).toBe(true);
  });

  it(`drops a tag over ${MAX_TAG_BYTES} bytes, flagged, and keeps one just under`, () => {
    const under = storableTag({ s: 'x'.repeat(MAX_TAG_BYTES - 10) });
    expect(under).toEqual({ tag: { s: 'x'.repeat(MAX_TAG_BYTES - 10) }, altered: false });
    expect(storableTag({ s: 'x'.repeat(MAX_TAG_BYTES) })).toEqual({ tag: undefined, altered: true });
  });

  it('replaces unpaired surrogates, keeps an object with an empty key as JSON text, and "__proto__" as data', () => {
    const tag = JSON.parse('{"s":"a\\ud800","o":{"":1},"__proto__":{"polluted":true}}') as Json;
    const { tag: stored, altered } = storableTag(tag);
    expect(altered).toBe(true);
    expect(stored?.s).toBe('a\ufffd');
    expect(stored?.o).toBe('{"":1}');
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    expect(Object.hasOwn(stored ?? {}, '__proto__')).toBe(true);
    expect(({} as Json).polluted).toBeUndefined();
  });

  it('writes JSON text exactly as JSON.stringify does, without recursion', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(jsonText(value)).toBe(JSON.stringify(value));
      }),
      { numRuns: 500 },
    );
    expect(JSON.parse(jsonText({ big: Number.POSITIVE_INFINITY, small: Number.NEGATIVE_INFINITY }))).toEqual({
      big: Number.POSITIVE_INFINITY,
      small: Number.NEGATIVE_INFINITY,
    });
  });

  it('turns any JSON tag into one the AWS SDK marshals and DynamoDB accepts', () => {
    const number = fc.oneof(
      fc.double(),
      fc.constantFrom(
        1e-200,
        -1e-131,
        1e126,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        2 ** 60,
        1e-130,
        9.99e125,
      ),
    );
    const tagValue = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        number,
        fc.string({ unit: 'binary' }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(fc.string({ unit: 'binary', maxLength: 3 }), tie('value'), { maxKeys: 3 }),
      ),
    })).value;
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 4 }), tagValue, { maxKeys: 4 }), (tag) => {
        const { tag: stored } = storableTag(tag);
        const item = marshall({ tag: stored }, { removeUndefinedValues: true });
        // Walks attribute values ({M}, {L}, {N}, {S}, …), as DynamoDB validates them.
        const work: unknown[] = Object.values(item);
        for (let node = work.pop(); node !== undefined; node = work.pop()) {
          const value = node as { M?: Record<string, unknown>; L?: unknown[]; N?: string; S?: string };
          if (value.N !== undefined) {
            const magnitude = Math.abs(Number(value.N));
            expect(magnitude === 0 || (magnitude >= 1e-130 && magnitude < 1e126), value.N).toBe(true);
          }
          if (value.S !== undefined) expect(/\p{Cs}/u.test(value.S)).toBe(false);
          if (value.M !== undefined) {
            expect(Object.keys(value.M)).not.toContain('');
            work.push(...Object.values(value.M));
          }
          if (value.L !== undefined) work.push(...value.L);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('compact', () => {
  it('keeps exactly what Object.fromEntries of the defined entries keeps, an own __proto__ key included', () => {
    const reference = (value: object) =>
      Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined));
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString')),
          fc.oneof(fc.constant(undefined), fc.jsonValue()),
        ),
        (value) => {
          const compacted = compact(value);
          expect(Object.getPrototypeOf(compacted)).toBe(Object.prototype);
          expect(Object.entries(compacted)).toEqual(Object.entries(reference(value)));
        },
      ),
      { numRuns: 500 },
    );
    // JSON.parse makes `__proto__` an own key: it stays data, never the result's prototype.
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "kept": 1, "gone": null}') as object;
    const compacted = compact({ ...parsed, dropped: undefined }) as Record<string, unknown>;
    expect(Object.keys(compacted)).toEqual(['__proto__', 'kept', 'gone']);
    expect(compacted.polluted).toBeUndefined();
  });
});
