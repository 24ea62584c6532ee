import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES as CLIENT_ERROR_CODES } from '../../client/types.js';
import { parseEnrichBody } from '../../functions/enrich/input.js';
import { API_ROUTES } from '../../local/api-gateway.js';
import { ERROR_CODES } from '../../shared/domain/errors.js';
import { MIN_SEALED_BYTES, SEALED_HEADER } from '../../shared/fingerprint/sealed.js';
import { buildEvent } from '../support/events.js';
import { loadOpenApi, OpenApiValidator } from './openapi.js';

type Json = Record<string, unknown>;

const document = loadOpenApi();
const validator = new OpenApiValidator(document);
const operations = Object.entries(document.paths as Json).flatMap(([path, item]) =>
  Object.entries(item as Json).map(([method, operation]) => ({ path, method, operation: operation as Json })),
);

/** Every `$ref` in the document, with where it was found. */
function references(value: unknown, at = '#'): { ref: string; at: string }[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => references(item, `${at}/${index}`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) =>
    key === '$ref' && typeof item === 'string' ? [{ ref: item, at }] : references(item, `${at}/${key}`),
  );
}

function resolvePointer(pointer: string): unknown {
  return pointer
    .replace(/^#\//, '')
    .split('/')
    .map((key) => key.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], document);
}

describe('openapi/openapi.json', () => {
  it('is an OpenAPI 3.1 document whose schemas all compile as JSON Schema 2020-12 (strict)', () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(() => validator.compileAll()).not.toThrow();
  });

  it('resolves every reference', () => {
    const dangling = references(document).filter(({ ref }) => resolvePointer(ref) === undefined);
    expect(dangling).toEqual([]);
  });

  it('documents exactly the routes the API serves, each with a unique operationId and SigV4 auth', () => {
    expect(operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort()).toEqual(
      API_ROUTES.map((route) => `${route.method} ${route.resource}`).sort(),
    );
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(operations.length);
    expect(document.security).toEqual([{ sigv4: [] }]);
    expect((document.components as Json).securitySchemes).toMatchObject({
      sigv4: {
        type: 'apiKey',
        in: 'header',
        name: 'Authorization',
        'x-amazon-apigateway-authtype': 'awsSigv4',
      },
    });
  });

  it('exempts only the webhook from SigV4, requiring its signature (and optional basic auth) instead', () => {
    const overridden = operations.filter(({ operation }) => operation.security !== undefined);
    expect(overridden.map(({ method, path }) => `${method.toUpperCase()} ${path}`)).toEqual([
      'POST /webhooks/fingerprint',
    ]);
    expect(overridden[0]?.operation.security).toEqual([
      { webhookSignature: [] },
      { webhookSignature: [], webhookBasicAuth: [] },
    ]);
    expect((document.components as Json).securitySchemes).toMatchObject({
      webhookSignature: { type: 'apiKey', in: 'header', name: 'FPJS-Event-Signature' },
      webhookBasicAuth: { type: 'http', scheme: 'basic' },
    });
  });

  it('describes the erasure answer, each upstream outcome, and the webhook receipt', () => {
    const visitorId = 'Ibk1527CUFmcnjLwIs4A9';
    for (const upstream of [
      { requested: false },
      { requested: true, outcome: 'scheduled' },
      { requested: true, outcome: 'notFound' },
      { requested: true, outcome: 'failed', error: { code: 'UpstreamRateLimited', message: 'Retry later.' } },
    ]) {
      expect(
        validator.matches('VisitorErasure', { visitorId, deleted: 2, erasedAt: 1_708_102_555_327, upstream }),
      ).toEqual([]);
    }
    for (const upstream of [
      { requested: false, outcome: 'scheduled' },
      { requested: true },
      { requested: true, outcome: 'failed' },
      { requested: true, outcome: 'scheduled', error: { code: 'Internal', message: 'x' } },
    ]) {
      expect(
        validator.matches('VisitorErasure', { visitorId, deleted: 2, erasedAt: 1_708_102_555_327, upstream }),
      ).not.toEqual([]);
    }
    expect(validator.matches('WebhookReceipt', { requestId: '1708102555327.NLOjmg', stored: true })).toEqual(
      [],
    );
    expect(
      validator.matches('WebhookReceipt', {
        requestId: '1708102555327.NLOjmg',
        stored: false,
        reason: 'visitorErased',
      }),
    ).toEqual([]);
    // An erasure answer without its erasure time is not the documented answer.
    expect(
      validator.matches('VisitorErasure', { visitorId, deleted: 2, upstream: { requested: false } }),
    ).not.toEqual([]);
    const fixture = (path: string) =>
      JSON.parse(readFileSync(new URL(`../fixtures/fingerprint/${path}`, import.meta.url), 'utf8'));
    for (const payload of [fixture('v4/webhook/webhook_event.json'), fixture('v3/webhook.json')]) {
      expect(validator.matches('FingerprintWebhook', payload)).toEqual([]);
    }
  });

  it('documents every error code the handlers and the caller client know', () => {
    const documented = resolvePointer('#/components/schemas/Error/properties/error/properties/code/enum');
    expect(documented).toEqual(expect.arrayContaining(Object.values(ERROR_CODES)));
    expect(documented).toEqual([...CLIENT_ERROR_CODES]);
  });

  it('gives request examples that the handler accepts and the schema matches', () => {
    const examples = Object.values(
      resolvePointer('#/paths/~1enrich/post/requestBody/content/application~1json/examples') as Json,
    ).map((example) => (example as Json).value);
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) {
      expect(() => parseEnrichBody(JSON.stringify(example))).not.toThrow();
      expect(validator.matches('EnrichRequest', example)).toEqual([]);
    }
  });

  it('refuses request bodies the handler refuses', () => {
    for (const body of [
      {},
      { requestId: '1708102555327.NLOjmg', visitorId: 'Ibk1527CUFmcnjLwIs4A9' },
      { requestId: '1708102555327.NLOjmg', maxEvents: 5 },
      { linkedId: 'order-1', refresh: 'yes' },
      { visitorId: 'abc\u0085def' },
      { requestId: '..' },
      { linkedId: 'x'.repeat(257) },
      { linkedId: 'order-1', maxEvents: 501 },
      { requestId: '1708102555327.NLOjmg', extra: true },
    ]) {
      expect(() => parseEnrichBody(JSON.stringify(body))).toThrow();
      expect(validator.matches('EnrichRequest', body)).not.toEqual([]);
    }
  });

  it('accepts exactly the bodies the handler accepts: its forms and the handler parse agree, whatever is sent', () => {
    // The handler parses one flat schema and then tells the forms apart, naming the field at fault; the
    // document states the forms (`oneOf`) for callers and their SDK generators. Both are checked against each
    // other here over any mix of the fields, good and bad values, and unknown fields.
    const id = fc.constantFrom(
      '1708102555327.NLOjmg',
      'Ibk1527CUFmcnjLwIs4A9',
      'order 123/ä',
      'x'.repeat(256),
    );
    const badId = fc.constantFrom(
      '',
      '.',
      '..',
      'a\u0000b',
      'abc\u0085def',
      'x'.repeat(257),
      '\ud800',
      7,
      null,
    );
    const sealed = fc
      .uint8Array({ minLength: MIN_SEALED_BYTES, maxLength: 300 })
      .map((bytes) => Buffer.concat([SEALED_HEADER, bytes]).toString('base64'));
    const anything = fc.record(
      {
        requestId: fc.oneof(id, badId),
        visitorId: fc.oneof(id, badId),
        linkedId: fc.oneof(id, badId),
        maxEvents: fc.oneof(fc.integer({ min: -2, max: 502 }), fc.constantFrom(1.5, '5', null, 1e21)),
        refresh: fc.oneof(fc.boolean(), fc.constantFrom('true', 0, null)),
        sealedResult: fc.oneof(sealed, fc.constantFrom('', 'not base64!', 7)),
        extra: fc.constantFrom(true, 'x'),
      },
      { requiredKeys: [] },
    );
    // Well-formed bodies of each form, so that acceptance is tried as often as refusal.
    const form = fc.oneof(
      fc.record({ requestId: id, refresh: fc.boolean() }, { requiredKeys: ['requestId'] }),
      fc.record(
        { visitorId: id, linkedId: id, maxEvents: fc.integer({ min: 1, max: 500 }), refresh: fc.boolean() },
        { requiredKeys: [] },
      ),
      fc.record({ sealedResult: sealed, requestId: id }, { requiredKeys: ['sealedResult'] }),
    );
    const body = fc.oneof(
      anything,
      form,
      fc.tuple(form, anything).map(([good, more]) => ({ ...good, ...more })),
    );
    const accepted = new Set<string>();
    fc.assert(
      fc.property(body, (sent) => {
        let handler = true;
        try {
          const input = parseEnrichBody(JSON.stringify(sent));
          accepted.add(input.kind);
        } catch {
          handler = false;
        }
        expect(validator.matches('EnrichRequest', sent).length === 0, JSON.stringify(sent)).toBe(handler);
      }),
      { seed: 20261205, numRuns: 3000 },
    );
    // Both sides were tried: every form was accepted by some body (and most bodies are refused).
    expect([...accepted].sort()).toEqual(['request', 'sealed', 'search']);
  });

  it('catches an answer that strays from it, so the conformance tests have teeth', () => {
    const event = buildEvent();
    const ok = { 'content-type': 'application/json' };
    const answer = (status: number, body: unknown) => ({
      method: 'GET',
      path: `/events/${event.requestId}`,
      status,
      headers: ok,
      body,
    });
    expect(validator.check(answer(200, event))).toEqual([]);
    expect(validator.check(answer(200, { ...event, debug: true }))).not.toEqual([]);
    expect(validator.check(answer(200, { ...event, schemaVersion: 2 }))).not.toEqual([]);
    expect(validator.check(answer(418, event))).not.toEqual([]);
    expect(
      validator.check(answer(404, { error: { code: 'UpstreamTimeout', message: 'wrong code for a 404' } })),
    ).not.toEqual([]);
    expect(validator.check({ ...answer(200, event), headers: { 'content-type': 'text/html' } })).not.toEqual(
      [],
    );
  });
});
