import { readFileSync } from 'node:fs';
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toV3Visit } from '../../functions/query/v3-visit.js';
import { ValidationError } from '../../shared/domain/errors.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import {
  normalizeV3Event,
  normalizeV3Visit,
  normalizeV4Event,
  normalizeWebhook,
} from '../../shared/fingerprint/normalize.js';
import { hostileJsonValue, hostileString } from '../support/arbitraries.js';
import { OpenApiValidator } from './openapi.js';

/**
 * Every value that can be stored is served valid against `openapi/openapi.json`: the official example
 * payloads, each with fields replaced by hostile values (far-future and impossible times, negative scores,
 * numbers DynamoDB refuses, hostile text), are normalized; whatever is not refused must marshal for DynamoDB
 * and validate as a `NormalizedEvent` and, rendered, as a v3 `Visit`.
 */

type Json = Record<string, unknown>;

const fixture = (path: string): Json =>
  JSON.parse(readFileSync(new URL(`../fixtures/fingerprint/${path}`, import.meta.url), 'utf8')) as Json;

const SOURCES = {
  v4Event: { payload: () => fixture('v4/events/get_event_200.json'), normalize: normalizeV4Event },
  v4Webhook: { payload: () => fixture('v4/webhook/webhook_event.json'), normalize: normalizeWebhook },
  v3Event: { payload: () => fixture('v3/get_event_200.json'), normalize: normalizeV3Event },
  v3Webhook: { payload: () => fixture('v3/webhook.json'), normalize: normalizeWebhook },
  v3Visit: {
    payload: () => (fixture('v3/get_visitors_200_limit_500.json').visits as Json[])[0] ?? {},
    normalize: (visit: unknown) => normalizeV3Visit(visit, 'AcxioeQKffpXF8iGQK3P'),
  },
} as const;

/** Every path to a leaf of a payload, e.g. `identification.confidence.score`. */
function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => leafPaths(child, [...prefix, key]));
}

function setPath(payload: Json, path: readonly string[], value: unknown): Json {
  let node: Record<string, unknown> = payload;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path.at(-1) ?? ''] = value;
  return payload;
}

const DAY_MS = 86_400_000;

/** Values that have broken our own contract, or DynamoDB, somewhere. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileJsonValue,
  hostileString,
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    -1,
    -0.5,
    1.5,
    1e-200,
    1e200,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2_700_000_000_000_000,
    8.64e15,
    Date.now() + 2 * DAY_MS,
    Date.now() - DAY_MS,
    '+087529-08-06T00:00:00.000Z',
    '2024-02-30T00:00:00Z',
    '2024-02-16T24:00:00Z',
    '9999-12-31T23:59:59Z',
    '1970-01-01T00:00:00Z',
    '',
    null,
    {},
    [],
  ),
);

const source = fc.constantFrom(...(Object.keys(SOURCES) as (keyof typeof SOURCES)[]));

const mutation = source.chain((name) => {
  const paths = leafPaths(SOURCES[name].payload());
  return fc.record({
    name: fc.constant(name),
    changes: fc.array(fc.tuple(fc.constantFrom(...paths), hostileValue), { minLength: 1, maxLength: 6 }),
  });
});

describe('every value that can be stored is served valid against openapi/openapi.json', () => {
  const validator = new OpenApiValidator();

  it('holds for the official examples with hostile values in any field', () => {
    const figures = { refused: 0, stored: 0 };
    fc.assert(
      fc.property(mutation, ({ name, changes }) => {
        const payload = SOURCES[name].payload();
        for (const [path, value] of changes) setPath(payload, path, value);
        let event: NormalizedEvent;
        try {
          event = SOURCES[name].normalize(payload);
        } catch (error) {
          // Refusing the event is allowed (with a field to blame); serving it invalid is not.
          expect(error).toBeInstanceOf(ValidationError);
          figures.refused += 1;
          return;
        }
        figures.stored += 1;
        expect(() => marshall(event, { removeUndefinedValues: true })).not.toThrow();
        // As a caller reads it: through JSON.
        const served = JSON.parse(JSON.stringify(event)) as unknown;
        expect(validator.matches('NormalizedEvent', served), JSON.stringify(changes)).toEqual([]);
        const visit = JSON.parse(JSON.stringify(toV3Visit(event))) as unknown;
        expect(validator.matches('V3Visit', visit), JSON.stringify(changes)).toEqual([]);
      }),
      { numRuns: 1_000, seed: 4_211 },
    );
    // The generator reaches both outcomes often: the property is about more than refusals.
    expect(figures.stored).toBeGreaterThan(200);
    expect(figures.refused).toBeGreaterThan(30);
  }, 120_000);
});
