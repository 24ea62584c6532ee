import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  API_TYPES_FILE,
  apiTypesModule,
  buildOpenApiDocument,
  OPENAPI_FILE,
} from '../../openapi/generate.js';
import { ALL_ERROR_CODES } from '../../shared/manifest/error-codes.js';
import { ROUTE_LIST } from '../../shared/manifest/routes.js';

type Json = Record<string, unknown>;

const committed = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as Json;
const generated = buildOpenApiDocument();

describe('openapi/openapi.json is generated from the service manifest', () => {
  it('equals what `npm run openapi` generates (run it after changing a route, a schema or source.ts)', () => {
    expect(committed, 'openapi/openapi.json is stale: run `npm run openapi` and commit the result').toEqual(
      generated,
    );
  });

  it('gives the handlers and the caller client the types of its component schemas (written by `npm run openapi`)', () => {
    expect(
      readFileSync(API_TYPES_FILE, 'utf8'),
      'shared/manifest/api-types.ts is stale: run `npm run openapi` and commit the result',
    ).toBe(apiTypesModule(generated));
  });

  it('documents every route of the manifest with its security, path parameters and error shape', () => {
    const paths = generated.paths as Record<string, Record<string, Json>>;
    for (const route of ROUTE_LIST) {
      const operation = paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, route.key).toBeDefined();
      const parameters = (operation?.parameters ?? []) as { name: string; in: string }[];
      expect(parameters.filter((parameter) => parameter.in === 'path').map(({ name }) => name)).toEqual([
        ...route.pathParams,
      ]);
      expect(operation?.security === undefined, route.key).toBe(route.auth === 'iam');
      const refs = Object.entries(operation?.responses as Record<string, Json>)
        .filter(([status]) => status !== '200' && status !== '403')
        .map(([, response]) => response.$ref)
        .filter((ref): ref is string => typeof ref === 'string');
      // Fingerprint's shapes for the function's own answers of its routes, the service's everywhere else.
      if (route.errorShape === 'service') expect(refs.filter((ref) => /\/V[34]/.test(ref))).toEqual([]);
      else
        expect(
          refs.some((ref) => ref.includes(`/${route.errorShape.toUpperCase()}`)),
          route.key,
        ).toBe(true);
    }
  });

  it('enumerates every error code of the manifest, the local server’s MethodNotAllowed included', () => {
    const schemas = (generated.components as Json).schemas as Json;
    const error = schemas.Error as { properties: { error: { properties: { code: { enum: string[] } } } } };
    expect(error.properties.error.properties.code.enum).toEqual([...ALL_ERROR_CODES]);
    expect(error.properties.error.properties.code.enum).toContain('MethodNotAllowed');
  });
});
