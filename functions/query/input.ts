import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import { ValidationError } from '../../shared/domain/errors.js';
import { isLinkedId, isRequestId, isVisitorId, LINKED_ID_MAX_LENGTH } from '../../shared/domain/ids.js';
import { parseInput } from '../../shared/http/validation.js';

/** A whole number in a query string, written as plain digits (no sign, exponent or spaces). */
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.int().min(min).max(max));

const visitorIdParam = z.string().refine(isVisitorId, 'expected 1 to 64 letters or digits');
const requestIdParam = z
  .string()
  .refine(
    isRequestId,
    'expected "<13-digit ms timestamp>.<6 letters or digits>", e.g. "1708102555327.NLOjmg"',
  );
const linkedIdParam = z
  .string()
  .refine(isLinkedId, `expected 1 to ${LINKED_ID_MAX_LENGTH} characters without control characters`);

export const visitorsQuerySchema = z.strictObject({
  request_id: requestIdParam.optional(),
  linked_id: linkedIdParam.optional(),
  limit: wholeNumber(1, 500).default(100),
  before: wholeNumber(1, Number.MAX_SAFE_INTEGER).optional(),
  paginationKey: requestIdParam.optional(),
});

export const eventsQuerySchema = z.strictObject({
  visitorId: visitorIdParam.optional(),
  linkedId: linkedIdParam.optional(),
  limit: wholeNumber(1, 100).default(20),
  cursor: z.string().min(1).max(2048).optional(),
});

/** The query string as one object; an absent query string is an empty one. */
export function queryParams(
  event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(event.queryStringParameters ?? {}).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
}

export function parseVisitorId(value: string | undefined): string {
  return parseInput(z.object({ visitorId: visitorIdParam }), { visitorId: value }).visitorId;
}

export function parseRequestId(value: string | undefined): string {
  return parseInput(z.object({ requestId: requestIdParam }), { requestId: value }).requestId;
}

export function parseVisitorsQuery(event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>) {
  return parseInput(visitorsQuerySchema, queryParams(event));
}

export function parseEventsQuery(event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>) {
  const query = parseInput(eventsQuerySchema, queryParams(event));
  if (query.visitorId === undefined && query.linkedId === undefined) {
    throw new ValidationError('visitorId', 'Pass "visitorId" or "linkedId" (or both) in the query string.');
  }
  return query;
}
