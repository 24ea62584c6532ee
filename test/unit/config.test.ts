import { describe, expect, it } from 'vitest';
import { ENRICH_HTTP_ENV } from '../../functions/enrich/http-env.js';
import { ENRICH_QUEUE_ENV } from '../../functions/enrich/queue-env.js';
import { QUERY_ENV } from '../../functions/query/env.js';
import { ConfigError, envSchema, loadEnv } from '../../shared/config/env.js';

const enrichHttpEnvSchema = envSchema(ENRICH_HTTP_ENV);
const enrichQueueEnvSchema = envSchema(ENRICH_QUEUE_ENV);
const queryEnvSchema = envSchema(QUERY_ENV);

const queueEnv = () => ({
  TABLE_NAME: 'events',
  FINGERPRINT_SECRET_ID: 'fingerprint/secret-api-key',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/enrich-dlq',
});

describe('environment', () => {
  it('applies the documented defaults', () => {
    expect(loadEnv(enrichQueueEnvSchema, queueEnv())).toEqual({
      ...queueEnv(),
      FINGERPRINT_REGION: 'us',
      FINGERPRINT_API_VERSION: 'v4',
      FINGERPRINT_MAX_RPS: 5,
      FINGERPRINT_HISTORY_DAYS: 30,
      EVENT_TTL_DAYS: 90,
      SECRET_CACHE_SECONDS: 300,
      STORE_UPSTREAM_EVENTS: true,
      LOG_LEVEL: 'INFO',
      QUEUE_MAX_CONCURRENCY: 1,
    });
  });

  it('reads numbers and a lower-case log level', () => {
    const env = loadEnv(enrichQueueEnvSchema, {
      ...queueEnv(),
      FINGERPRINT_MAX_RPS: '20',
      FINGERPRINT_HISTORY_DAYS: '90',
      EVENT_TTL_DAYS: '400',
      LOG_LEVEL: 'debug',
      FINGERPRINT_REGION: 'eu',
    });
    expect(env).toMatchObject({
      FINGERPRINT_MAX_RPS: 20,
      FINGERPRINT_HISTORY_DAYS: 90,
      EVENT_TTL_DAYS: 400,
      LOG_LEVEL: 'DEBUG',
    });
  });

  it('names a missing variable', () => {
    expect(() => loadEnv(queryEnvSchema, {})).toThrow(/TABLE_NAME/);
  });

  it.each([
    ['FINGERPRINT_REGION', 'asia'],
    ['FINGERPRINT_API_VERSION', 'v5'],
    ['EVENT_TTL_DAYS', '0'],
    ['FINGERPRINT_MAX_RPS', 'fast'],
    ['FINGERPRINT_HISTORY_DAYS', '0'],
    ['FINGERPRINT_HISTORY_DAYS', '3651'],
    ['FINGERPRINT_BASE_URL', 'ftp://example.com'],
    // The key travels with every call: plain http only to this machine.
    ['FINGERPRINT_BASE_URL', 'http://fingerprint-proxy.example.com'],
    // The stack cannot deploy a budget below two queue consumers; the functions take the same bound.
    ['FINGERPRINT_MAX_RPS', '1'],
    ['STORE_UPSTREAM_EVENTS', 'yes'],
    ['LOG_LEVEL', 'LOUD'],
  ])('names %s when it is %j', (name, value) => {
    const load = () => loadEnv(enrichQueueEnvSchema, { ...queueEnv(), [name]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(name);
  });

  it('reads switches as true or false in any case, a local Fingerprint over http, and CORS origins', () => {
    const env = loadEnv(enrichHttpEnvSchema, {
      ...queueEnv(),
      READ_THROUGH_ENABLED: 'FALSE',
      UPSTREAM_ERASURE_ENABLED: 'true',
      FINGERPRINT_BASE_URL: 'http://127.0.0.1:4010',
      CORS_ALLOW_ORIGINS: 'https://app.example.com, http://localhost:5173,',
    });
    expect(env).toMatchObject({
      READ_THROUGH_ENABLED: false,
      UPSTREAM_ERASURE_ENABLED: true,
      FINGERPRINT_BASE_URL: 'http://127.0.0.1:4010',
      CORS_ALLOW_ORIGINS: ['https://app.example.com', 'http://localhost:5173'],
    });
  });

  it.each([
    ['*', 'not an origin'],
    ['https://app.example.com/', 'a trailing slash no browser sends'],
    ['https://app.example.com/app', 'a path'],
  ])('names CORS_ALLOW_ORIGINS when it holds %j (%s)', (value) => {
    expect(() => loadEnv(queryEnvSchema, { TABLE_NAME: 't', CORS_ALLOW_ORIGINS: value })).toThrow(
      /CORS_ALLOW_ORIGINS\.0: expected an origin such as https:\/\/app\.example\.com/,
    );
  });

  it('treats an empty variable as unset', () => {
    expect(loadEnv(queryEnvSchema, { TABLE_NAME: 't', EVENT_TTL_DAYS: '' }).EVENT_TTL_DAYS).toBe(90);
  });
});
