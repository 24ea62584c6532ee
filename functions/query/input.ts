import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ValidationError } from '../../shared/domain/errors.js';
import { linkedIdParam, queryParams, requestIdParam, visitorIdParam } from '../../shared/http/params.js';
import { parseInput } from '../../shared/http/validation.js';
import { MAX_CURSOR_LENGTH } from '../../shared/store/cursor.js';
import * as z from '../../shared/validation/zod.js';

/** A whole number in a query string, written as plain digits (no sign, exponent or spaces). */
const wholeNumber = (min: number, max: number) =>
  z.pipe(
    z.pipe(z.string().check(z.regex(/^\d{1,16}$/, 'expected a whole number')), z.transform(Number)),
    z.int().check(z.minimum(min), z.maximum(max)),
  );

export const visitorsQuerySchema = z.strictObject({
  request_id: z.optional(requestIdParam),
  linked_id: z.optional(linkedIdParam),
  limit: z._default(wholeNumber(1, 500), 100),
  before: z.optional(wholeNumber(1, Number.MAX_SAFE_INTEGER)),
  paginationKey: z.optional(requestIdParam),
  // Fingerprint's SDKs add `ii` (their name and version) to every call, and `api_key` in their query-auth
  // mode; both are accepted and dropped (IAM authenticates callers, so a key here is never read or kept).
  ii: z.optional(z.string()),
  api_key: z.optional(z.string()),
});

export const eventsQuerySchema = z.strictObject({
  visitorId: z.optional(visitorIdParam),
  linkedId: z.optional(linkedIdParam),
  limit: z._default(wholeNumber(1, 100), 20),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_CURSOR_LENGTH))),
});

/** The v3 `/visitors` query, without the parameters it accepts only to ignore (`ii`, `api_key`). */
export function parseVisitorsQuery(event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>) {
  const { ii: _ii, api_key: _apiKey, ...query } = parseInput(visitorsQuerySchema, queryParams(event));
  return query;
}

export function parseEventsQuery(event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>) {
  const query = parseInput(eventsQuerySchema, queryParams(event));
  if (query.visitorId === undefined && query.linkedId === undefined) {
    throw new ValidationError('visitorId', 'Pass "visitorId" or "linkedId" (or both) in the query string.');
  }
  return query;
}
