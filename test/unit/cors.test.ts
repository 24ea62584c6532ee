import { describe, expect, it } from 'vitest';
import { QUERY_ENV } from '../../functions/query/env.js';
import { buildApiEvent, buildContext } from '../../local/harness/lambda-events.js';
import { envSchema, loadEnv } from '../../shared/config/env.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { httpHandler, jsonResponse } from '../../shared/http/middleware.js';
import { createLogger } from '../../shared/observability/logger.js';

const queryEnvSchema = envSchema(QUERY_ENV);

const ALLOWED = 'https://console.example.com';

/** A route that answers 200 with a header of its own, or throws a caller mistake for `?fail=1`. */
function buildHandler(corsAllowOrigins?: readonly string[]) {
  return httpHandler(
    createLogger('SILENT'),
    async (event) => {
      if (event.queryStringParameters?.fail !== undefined) {
        throw new ValidationError('visitorId', 'Invalid "visitorId": expected letters.');
      }
      return jsonResponse(200, { ok: true }, { 'X-Event-Source': 'cache' });
    },
    { corsAllowOrigins },
  );
}

function request(headers: Record<string, string>, query?: Record<string, string>) {
  return buildApiEvent({
    method: 'GET',
    resource: '/events',
    headers,
    ...(query !== undefined && { query }),
  });
}

describe('CORS headers on answers', () => {
  it('echoes an allowed origin on a success, exposing the headers a script may need', async () => {
    const answer = await buildHandler([ALLOWED, 'https://admin.example.com'])(
      request({ Origin: ALLOWED }),
      buildContext(),
    );

    expect(answer.statusCode).toBe(200);
    expect(answer.headers).toMatchObject({
      'Access-Control-Allow-Origin': ALLOWED,
      'Access-Control-Expose-Headers': expect.stringContaining('X-Event-Source'),
      Vary: 'Origin',
      'X-Event-Source': 'cache',
      'Content-Type': 'application/json',
    });
  });

  it('puts them on error answers too, so a browser can read the error', async () => {
    const answer = await buildHandler([ALLOWED])(request({ origin: ALLOWED }, { fail: '1' }), buildContext());

    expect(answer.statusCode).toBe(400);
    expect(answer.headers?.['Access-Control-Allow-Origin']).toBe(ALLOWED);
    expect(JSON.parse(answer.body).error.code).toBe('ValidationFailed');
  });

  it('gives another origin, or a request without one, no CORS header', async () => {
    const handler = buildHandler([ALLOWED]);
    const cases: Record<string, string>[] = [{ Origin: 'https://evil.example.com' }, {}];
    for (const headers of cases) {
      const answer = await handler(request(headers), buildContext());

      expect(answer.statusCode).toBe(200);
      expect(answer.headers).not.toHaveProperty('Access-Control-Allow-Origin');
      expect(answer.headers?.Vary).toBe('Origin');
    }
  });

  it('adds nothing when no origin is allowed', async () => {
    const answer = await buildHandler()(request({ Origin: ALLOWED }), buildContext());

    expect(answer.headers).not.toHaveProperty('Access-Control-Allow-Origin');
    expect(answer.headers).not.toHaveProperty('Vary');
  });

  it('reads CORS_ALLOW_ORIGINS as a comma-separated list, empty when unset', () => {
    const base = { TABLE_NAME: 'events' };

    expect(loadEnv(queryEnvSchema, base).CORS_ALLOW_ORIGINS).toEqual([]);
    expect(
      loadEnv(queryEnvSchema, { ...base, CORS_ALLOW_ORIGINS: `${ALLOWED}, https://admin.example.com,` })
        .CORS_ALLOW_ORIGINS,
    ).toEqual([ALLOWED, 'https://admin.example.com']);
  });
});
