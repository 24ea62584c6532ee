import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROUTE_CONTRACTS } from '../../openapi/contracts.js';
import { envSchema } from '../../shared/config/env.js';
import type { EnvSpec } from '../../shared/config/env-rules.js';
import { ERROR_CODES } from '../../shared/domain/errors.js';
import {
  ALL_ERROR_CODES,
  GATEWAY_ERROR_CODES,
  LOCAL_ERROR_CODES,
} from '../../shared/manifest/error-codes.js';
import { FUNCTIONS } from '../../shared/manifest/functions.js';
import { errorShapeIn, QUERY_ROUTES, ROUTE_LIST, ROUTES, routesOf } from '../../shared/manifest/routes.js';

describe('the service manifest', () => {
  it('declares each route once, with exactly the path parameters of its path', () => {
    const keys = ROUTE_LIST.map((route) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const route of ROUTE_LIST) {
      expect(route.key).toBe(`${route.method} ${route.path}`);
      const fromPath = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      expect({ route: route.key, params: [...route.pathParams] }).toEqual({
        route: route.key,
        params: fromPath,
      });
    }
  });

  it('gives each route a path schema whose keys are its path parameters, and nothing else', () => {
    for (const route of ROUTE_LIST) {
      const shape = ROUTE_CONTRACTS[route.key].path?.def.shape ?? {};
      expect({ route: route.key, params: Object.keys(shape) }).toEqual({
        route: route.key,
        params: [...route.pathParams],
      });
    }
    const withBody = ROUTE_LIST.filter((route) => ROUTE_CONTRACTS[route.key].body !== undefined);
    expect(withBody.map((route) => route.key)).toEqual(
      ROUTE_LIST.filter((route) => route.body === 'json-object').map((route) => route.key),
    );
  });

  it('has each route served by a declared HTTP function, and only the webhook public', () => {
    for (const route of ROUTE_LIST) expect(FUNCTIONS[route.function].trigger).toBe('http');
    expect(ROUTE_LIST.filter((route) => route.auth === 'public').map((route) => route.key)).toEqual([
      'POST /webhooks/fingerprint',
    ]);
    expect(routesOf('query').map((route) => route.key)).toEqual(Object.keys(QUERY_ROUTES));
  });

  it("answers Fingerprint's own routes in Fingerprint's error shapes, everything else in the service's", () => {
    const shape = errorShapeIn(ROUTES);
    const of = (httpMethod: string, resource: string) => shape({ httpMethod, resource });
    expect(of('GET', '/visitors/{visitorId}')).toBe('v3');
    expect(of('DELETE', '/visitors/{visitorId}')).toBe('service');
    expect(of('GET', '/v4/events')).toBe('v4');
    expect(of('GET', '/v4/events/{event_id}')).toBe('v4');
    expect(of('GET', '/events/{requestId}')).toBe('service');
    expect(of('GET', '/nowhere')).toBe('service');
    expect(errorShapeIn(QUERY_ROUTES)({ httpMethod: 'GET', resource: '/v4/events/{event_id}' })).toBe(
      'service',
    );
  });

  it('lists every error code once: the functions’, the gateway’s and the local server’s', () => {
    expect(new Set(ALL_ERROR_CODES).size).toBe(ALL_ERROR_CODES.length);
    expect(ALL_ERROR_CODES).toEqual([
      ...Object.values(ERROR_CODES),
      ...Object.values(GATEWAY_ERROR_CODES),
      ...Object.values(LOCAL_ERROR_CODES),
    ]);
    expect(ALL_ERROR_CODES).toContain('MethodNotAllowed');
  });

  it('gives every function an entry, a timeout under its trigger’s and its env schema’s module', () => {
    for (const spec of Object.values(FUNCTIONS)) {
      expect(spec.entry).toMatch(/^functions\/\w+\/[\w-]+\.ts$/);
      expect(spec.envSchema).toMatch(/^functions\/\w+\/[\w-]+\.ts#[A-Z_]+_ENV$/);
    }
    // API Gateway gives up on an integration after 29 s.
    for (const route of ROUTE_LIST) expect(FUNCTIONS[route.function].timeoutSeconds).toBeLessThan(29);
  });

  it.each(Object.entries(FUNCTIONS))(
    'points %s at an env schema that exists and an entry file that exists',
    async (_key, spec) => {
      const [module, name] = spec.envSchema.split('#') as [string, string];
      const rules = (await import(`../../${module}`)) as Record<string, EnvSpec>;
      expect(rules[name]).toBeDefined();
      expect(envSchema(rules[name] as EnvSpec)).toMatchObject({ def: { type: 'object' } });
      expect(existsSync(new URL(`../../${spec.entry}`, import.meta.url))).toBe(true);
    },
  );
});
