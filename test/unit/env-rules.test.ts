import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENRICH_HTTP_ENV } from '../../functions/enrich/http-env.js';
import { ENRICH_QUEUE_ENV } from '../../functions/enrich/queue-env.js';
import { QUERY_ENV } from '../../functions/query/env.js';
import { WEBHOOK_ENV } from '../../functions/webhook/env.js';
import { ConfigError, envSchema, loadEnv } from '../../shared/config/env.js';
import { type EnvRule, type EnvSpec, loadEnvOf, readEnvFast } from '../../shared/config/env-rules.js';

/**
 * The fast read of a function's environment at cold start (`readEnvFast`, no Zod) against the Zod schema
 * derived from the same rules: whenever the fast read answers, the schema accepts the same environment and
 * reads the identical value; otherwise the schema decides (test/infra/settings.test.ts sends every setting's
 * probes through both as well).
 */

const SPECS: Record<string, EnvSpec> = {
  enrichHttp: ENRICH_HTTP_ENV,
  enrichQueue: ENRICH_QUEUE_ENV,
  query: QUERY_ENV,
  webhook: WEBHOOK_ENV,
};

/** Text near each kind of rule: its plain form, near misses of it, and anything at all. */
function textFor(rule: EnvRule): fc.Arbitrary<string> {
  const near: fc.Arbitrary<string>[] = [fc.string(), fc.constantFrom('', ' ', 'true', 'TRUE', '0', 'x')];
  switch (rule.kind) {
    case 'wholeNumber':
      near.push(
        fc.integer({ min: rule.min - 5, max: rule.max + 5 }).map(String),
        fc.integer({ min: -1e6, max: 1e16 }).map(String),
        fc.constantFrom('007', '1e3', '0x10', ' 7 ', '2.5', '+5', '-0', '00', '1_000'),
      );
      break;
    case 'flag':
      near.push(fc.constantFrom('true', 'false', 'True', 'FALSE', ' true', '1', 'yes'));
      break;
    case 'choice':
      near.push(
        fc.constantFrom(...rule.values),
        fc.constantFrom(...rule.values).map((value) => value.toLowerCase()),
        fc.constantFrom(...rule.values).map((value) => ` ${value}`),
      );
      break;
    case 'text':
      near.push(fc.string({ minLength: 1 }));
      break;
    case 'url':
    case 'keySafeUrl':
      near.push(
        fc.webUrl(),
        fc.webUrl({ withQueryParameters: true, withFragments: true }),
        fc.constantFrom(
          'http://127.0.0.1:4010',
          'http://localhost:4010/',
          'http://[::1]:4010',
          'https://fp.example.com/proxy',
          'HTTPS://fp.example.com',
          'https:fp.example.com',
          'http://fp.example.com',
          'ftp://fp.example.com',
          'https://fp.example.com\n',
          'https://fp.exa\tmple.com',
          ' https://fp.example.com',
          'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq',
          'mailto:a@b.c',
        ),
      );
      break;
    case 'list':
      near.push(
        fc
          .array(fc.webUrl({ validSchemes: ['https', 'http'] }), { maxLength: 3 })
          .map((urls) => urls.join(',')),
        fc.constantFrom(
          'https://a.example.com',
          'https://a.example.com,http://localhost:5173',
          ' https://a.example.com , ',
          'https://a.example.com/',
          '*',
          ',',
        ),
      );
      break;
  }
  return fc.oneof(...near);
}

/** Text in the plain form of `rule`, the form a deployment writes. */
function plainFor(rule: EnvRule): fc.Arbitrary<string> {
  switch (rule.kind) {
    case 'wholeNumber':
      return fc.integer({ min: rule.min, max: rule.max }).map(String);
    case 'flag':
      return fc.constantFrom('true', 'false');
    case 'choice':
      return fc.constantFrom(...rule.values);
    case 'text':
      return fc.string({ minLength: 1 });
    case 'url':
      return fc.webUrl({ withQueryParameters: true });
    case 'keySafeUrl':
      return fc.oneof(
        fc.webUrl({ validSchemes: ['https'] }),
        fc.constantFrom('http://127.0.0.1:4010', 'http://localhost:8080/v4', 'http://[::1]:4010'),
      );
    case 'list':
      return fc
        .array(fc.webUrl({ validSchemes: ['https', 'http'] }), { maxLength: 3 })
        .map((urls) => urls.map((value) => new URL(value).origin).join(','));
  }
}

/**
 * An environment of `spec`: each variable unset, or set mostly to its plain form and otherwise to text near
 * it; required variables set (to anything).
 */
function environmentOf(spec: EnvSpec): fc.Arbitrary<Record<string, string>> {
  const required = Object.entries(spec)
    .filter(([, rule]) => (rule.kind === 'text' && !rule.optional) || rule.kind === 'url')
    .map(([name]) => name);
  return fc.record(
    Object.fromEntries(
      Object.entries(spec).map(([name, rule]) => [
        name,
        fc.oneof({ weight: 12, arbitrary: plainFor(rule) }, { weight: 1, arbitrary: textFor(rule) }),
      ]),
    ),
    { requiredKeys: required },
  ) as fc.Arbitrary<Record<string, string>>;
}

type Read = { accepted: true; value: unknown } | { accepted: false; message: string };

function zodRead(spec: EnvSpec, env: Record<string, string>): Read {
  try {
    return { accepted: true, value: loadEnv(envSchema(spec), env) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { accepted: false, message: error.message };
  }
}

describe.each(Object.entries(SPECS))('the fast environment read of %s', (_key, spec) => {
  it('reads exactly what the Zod schema reads whenever it answers, and never refuses', () => {
    let answered = 0;
    let runs = 0;
    fc.assert(
      fc.property(environmentOf(spec), (env) => {
        runs += 1;
        const fast = readEnvFast(spec, env);
        if (fast === undefined) return;
        answered += 1;
        expect(zodRead(spec, env)).toStrictEqual({ accepted: true, value: fast });
      }),
      { numRuns: 2000 },
    );
    // Not vacuous: the plain forms come up often enough to be compared many times.
    expect(answered).toBeGreaterThan(runs / 50);
  });

  it('answers for the plain forms a deployment writes: every variable unset but the required, or set', () => {
    const required = Object.fromEntries(
      Object.entries(spec)
        .filter(([, rule]) => (rule.kind === 'text' && !rule.optional) || rule.kind === 'url')
        .map(([name, rule]) => [
          name,
          rule.kind === 'url' ? 'https://sqs.us-east-1.amazonaws.com/1/dlq' : 'x',
        ]),
    );
    const plain: Record<string, string> = { ...required };
    for (const [name, rule] of Object.entries(spec)) {
      if (rule.kind === 'wholeNumber') plain[name] = String(rule.max);
      if (rule.kind === 'flag') plain[name] = String(!rule.default);
      if (rule.kind === 'choice') plain[name] = rule.values.at(-1) ?? '';
      if (rule.kind === 'keySafeUrl') plain[name] = 'http://127.0.0.1:4010';
      if (rule.kind === 'list') plain[name] = 'https://a.example.com,http://localhost:5173';
      if (rule.kind === 'text' && rule.optional) plain[name] = 'arn:aws:secretsmanager:us-east-1:1:secret:k';
    }
    for (const env of [required, plain]) {
      const fast = readEnvFast(spec, env);
      expect(fast).toBeDefined();
      expect(zodRead(spec, env)).toStrictEqual({ accepted: true, value: fast });
    }
  });
});

describe('loadEnvOf', () => {
  const base = { TABLE_NAME: 'events' };

  it('answers the fast read when it is sure', async () => {
    await expect(loadEnvOf(QUERY_ENV, { ...base, LOG_LEVEL: 'DEBUG' })).resolves.toStrictEqual(
      loadEnv(envSchema(QUERY_ENV), { ...base, LOG_LEVEL: 'DEBUG' }),
    );
  });

  it('leaves any other form to the Zod schema: its value, or its ConfigError naming the variable', async () => {
    // A lower-case log level is valid, but not the plain form: Zod reads it.
    expect(readEnvFast(QUERY_ENV, { ...base, LOG_LEVEL: 'debug' })).toBeUndefined();
    await expect(loadEnvOf(QUERY_ENV, { ...base, LOG_LEVEL: 'debug' })).resolves.toMatchObject({
      LOG_LEVEL: 'DEBUG',
    });
    const wrong = { ...base, EVENT_TTL_DAYS: '0' };
    await expect(loadEnvOf(QUERY_ENV, wrong)).rejects.toThrow(ConfigError);
    await expect(loadEnvOf(QUERY_ENV, wrong)).rejects.toThrow(
      (() => {
        try {
          loadEnv(envSchema(QUERY_ENV), wrong);
        } catch (error) {
          return (error as Error).message;
        }
        throw new Error('expected a ConfigError');
      })(),
    );
    await expect(loadEnvOf(QUERY_ENV, {})).rejects.toThrow(/TABLE_NAME/);
  });
});
