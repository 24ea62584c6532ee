import type { APIGatewayProxyResult } from 'aws-lambda';
import { expect } from 'vitest';

/** The JSON body of a handler's answer, after checking it is JSON. */
export function jsonBody<T = Record<string, unknown>>(response: APIGatewayProxyResult): T {
  expect(response.headers?.['Content-Type']).toBe('application/json');
  return JSON.parse(response.body) as T;
}

/** Checks an answer is the product's JSON error with this status, code and (optionally) field. */
export function expectError(
  response: APIGatewayProxyResult,
  statusCode: number,
  code: string,
  field?: string,
) {
  const body = jsonBody<{ error: { code: string; message: string; field?: string } }>(response);
  expect({ statusCode: response.statusCode, code: body.error.code, field: body.error.field }).toEqual({
    statusCode,
    code,
    field,
  });
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error;
}

/**
 * Checks an answer of `GET /visitors/{visitorId}` is an error in Fingerprint's v3 shape (`ErrorPlainResponse`:
 * `{"error": "<message>"}` and nothing else) with this status, our code in `X-Error-Code` and (optionally) the
 * field in `X-Error-Field`.
 */
export function expectPlainError(
  response: APIGatewayProxyResult,
  statusCode: number,
  code: string,
  field?: string,
) {
  const body = jsonBody<Record<string, unknown>>(response);
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error).toBe('string');
  const fieldHeader = response.headers?.['X-Error-Field'];
  expect({
    statusCode: response.statusCode,
    code: response.headers?.['X-Error-Code'],
    field: fieldHeader === undefined ? undefined : decodeURIComponent(String(fieldHeader)),
  }).toEqual({ statusCode, code, field });
  expect(String(body.error).length).toBeGreaterThan(0);
  return String(body.error);
}
