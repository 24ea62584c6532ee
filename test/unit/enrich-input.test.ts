import { describe, expect, it } from 'vitest';
import { parseEnrichBody } from '../../functions/enrich/input.js';
import { newSealingKey, seal } from '../../local/harness/sealing.js';
import { ERROR_CODES, ValidationError } from '../../shared/domain/errors.js';
import { ID_MESSAGES } from '../../shared/domain/ids.js';
import { ENRICH_BODY_MAX_BYTES, SEALED_RESULT_MAX_BASE64_CHARS } from '../../shared/manifest/limits.js';

function refusal(body: string | null): ValidationError {
  try {
    parseEnrichBody(body);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`expected ${body} to be refused`);
}

describe('enrich body', () => {
  it('accepts a requestId, with refresh off by default', () => {
    expect(parseEnrichBody('{"requestId":"1708102555327.NLOjmg"}')).toEqual({
      kind: 'request',
      requestId: '1708102555327.NLOjmg',
      refresh: false,
    });
  });

  it('accepts the 20-character requestIds of older examples and refresh: true', () => {
    expect(parseEnrichBody('{"requestId":"Ibk1527CUFmcnjLwIs4A","refresh":true}')).toMatchObject({
      refresh: true,
    });
  });

  it('accepts a linkedId, a visitorId or both, with maxEvents defaulting to 100 and refresh off', () => {
    expect(parseEnrichBody('{"linkedId":"order-123"}')).toEqual({
      kind: 'search',
      linkedId: 'order-123',
      maxEvents: 100,
      refresh: false,
    });
    expect(parseEnrichBody('{"visitorId":"Ibk1527CUFmcnjLwIs4A9","linkedId":"o","maxEvents":500}')).toEqual({
      kind: 'search',
      visitorId: 'Ibk1527CUFmcnjLwIs4A9',
      linkedId: 'o',
      maxEvents: 500,
      refresh: false,
    });
  });

  it('accepts refresh: true on a history, to fetch its whole window again', () => {
    expect(parseEnrichBody('{"visitorId":"abc","refresh":true}')).toMatchObject({
      kind: 'search',
      refresh: true,
    });
  });

  it.each([
    ['empty body', '', 'body'],
    ['missing body', null, 'body'],
    ['malformed JSON', '{"requestId":', 'body'],
    ['a JSON array', '["1708102555327.NLOjmg"]', 'body'],
    ['a JSON string', '"1708102555327.NLOjmg"', 'body'],
    ['no id at all', '{}', 'requestId'],
    ['an unknown field', '{"requestId":"1708102555327.NLOjmg","api_key":"x"}', 'api_key'],
    ['a requestId of the wrong type', '{"requestId":1708102555327}', 'requestId'],
    ['a requestId that is a dot-segment', '{"requestId":".."}', 'requestId'],
    ['a requestId with a C1 control character', JSON.stringify({ requestId: 'a\u0085b' }), 'requestId'],
    ['an empty visitorId', '{"visitorId":""}', 'visitorId'],
    ['a visitorId with a tab', JSON.stringify({ visitorId: 'abc\tdef' }), 'visitorId'],
    ['a visitorId of 257 characters', JSON.stringify({ visitorId: 'v'.repeat(257) }), 'visitorId'],
    ['a linkedId over 256 characters', JSON.stringify({ linkedId: 'x'.repeat(257) }), 'linkedId'],
    ['a linkedId with a newline', JSON.stringify({ linkedId: 'a\nb' }), 'linkedId'],
    ['a linkedId with a C1 control character', JSON.stringify({ linkedId: 'a\u009fb' }), 'linkedId'],
    ['a linkedId with a line separator', JSON.stringify({ linkedId: 'a\u2028b' }), 'linkedId'],
    ['a linkedId with a paragraph separator', JSON.stringify({ linkedId: 'a\u2029b' }), 'linkedId'],
    ['a linkedId with an unpaired surrogate', JSON.stringify({ linkedId: 'a\ud800b' }), 'linkedId'],
    ['maxEvents 0', '{"linkedId":"o","maxEvents":0}', 'maxEvents'],
    ['maxEvents 501', '{"linkedId":"o","maxEvents":501}', 'maxEvents'],
    ['maxEvents 1.5', '{"linkedId":"o","maxEvents":1.5}', 'maxEvents'],
    ['maxEvents with a requestId', '{"requestId":"1708102555327.NLOjmg","maxEvents":5}', 'maxEvents'],
    ['a requestId and a visitorId', '{"requestId":"1708102555327.NLOjmg","visitorId":"abc"}', 'visitorId'],
    ['refresh that is not a boolean', '{"visitorId":"abc","refresh":"yes"}', 'refresh'],
  ])('refuses %s, naming the field', (_, body, field) => {
    const error = refusal(body);
    expect(error.field).toBe(field);
    expect(error.message.length).toBeGreaterThan(10);
  });

  it('accepts every id the documents allow that the table can key: slashes, spaces, unicode, 256 characters', () => {
    for (const id of ['abc/def', '../visitors/x', 'a b', 'é😀', '%2F', 'x'.repeat(256), '😀'.repeat(256)]) {
      expect(parseEnrichBody(JSON.stringify({ requestId: id }))).toMatchObject({ requestId: id });
      expect(parseEnrichBody(JSON.stringify({ visitorId: id, linkedId: id }))).toMatchObject({
        visitorId: id,
        linkedId: id,
      });
    }
  });

  it('refuses a bad id with the one message of its kind: the rule and how to fix it', () => {
    expect(refusal(JSON.stringify({ requestId: 'a\u0000' })).message).toBe(
      `Invalid "requestId": ${ID_MESSAGES.requestId}`,
    );
    expect(refusal(JSON.stringify({ visitorId: '' })).message).toBe(
      `Invalid "visitorId": ${ID_MESSAGES.visitorId}`,
    );
    expect(refusal(JSON.stringify({ linkedId: 'x'.repeat(257) })).message).toBe(
      `Invalid "linkedId": ${ID_MESSAGES.linkedId}`,
    );
    expect(ID_MESSAGES.linkedId).toContain('256 characters');
  });

  it('accepts a sealedResult, decoded, with an optional requestId', () => {
    const blob = seal('{"event_id": "x"}', newSealingKey());
    expect(parseEnrichBody(JSON.stringify({ sealedResult: blob.toString('base64') }))).toEqual({
      kind: 'sealed',
      sealed: blob,
    });
    expect(
      parseEnrichBody(
        JSON.stringify({ sealedResult: blob.toString('base64'), requestId: '1708102555327.NLOjmg' }),
      ),
    ).toEqual({ kind: 'sealed', sealed: blob, requestId: '1708102555327.NLOjmg' });
  });

  it.each(['visitorId', 'linkedId', 'maxEvents', 'refresh'] as const)(
    'refuses a sealedResult with %s, naming it',
    (field) => {
      const values = { visitorId: 'Ibk1527CUFmcnjLwIs4A9', linkedId: 'o', maxEvents: 5, refresh: true };
      const blob = seal('{}', newSealingKey()).toString('base64');
      const error = refusal(JSON.stringify({ sealedResult: blob, [field]: values[field] }));
      expect({ field: error.field, code: error.code }).toEqual({ field, code: ERROR_CODES.ValidationFailed });
    },
  );

  it('refuses a sealedResult that is not a string, or not a sealed result, naming it', () => {
    expect(refusal(JSON.stringify({ sealedResult: 42 })).field).toBe('sealedResult');
    expect(refusal(JSON.stringify({ sealedResult: 'bm90IHNlYWxlZA==' })).code).toBe(
      ERROR_CODES.SealedResultTooShort,
    );
  });

  it('lets the largest sealedResult through the body cap, so that a larger one gets its own code', () => {
    expect(ENRICH_BODY_MAX_BYTES).toBeGreaterThan(SEALED_RESULT_MAX_BASE64_CHARS + 1024);
    const oversized = JSON.stringify({ sealedResult: 'A'.repeat(SEALED_RESULT_MAX_BASE64_CHARS + 4) });
    expect(refusal(oversized).code).toBe(ERROR_CODES.SealedResultTooLarge);
  });

  it(`refuses a body over ${ENRICH_BODY_MAX_BYTES} bytes before parsing it`, () => {
    const body = JSON.stringify({ linkedId: 'o', padding: 'é'.repeat(ENRICH_BODY_MAX_BYTES / 2) });
    expect(refusal(body).message).toContain(String(ENRICH_BODY_MAX_BYTES));
  });
});
