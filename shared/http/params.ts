import type { APIGatewayProxyEvent } from 'aws-lambda';
import { isRequestId, isVisitorId } from '../domain/ids.js';
import * as z from '../validation/zod.js';
import { parseInput } from './validation.js';

/** The id parameters of several routes' paths and query strings, with the message that says how to fix one. */
export const visitorIdParam = z.string().check(z.refine(isVisitorId, 'expected 1 to 64 letters or digits'));
export const requestIdParam = z
  .string()
  .check(
    z.refine(
      isRequestId,
      'expected "<13-digit ms timestamp>.<6 letters or digits>", e.g. "1708102555327.NLOjmg"',
    ),
  );

/*
 * The path parameters, as objects so that an error names the parameter. Built once: Zod compiles a parser for
 * each object schema, which cost about 35 µs on every call when these were built per call.
 */
const visitorIdPath = z.object({ visitorId: visitorIdParam });
const requestIdPath = z.object({ requestId: requestIdParam });

/** `{visitorId}` of a route's path. */
export function parseVisitorId(value: string | undefined): string {
  return parseInput(visitorIdPath, { visitorId: value }).visitorId;
}

/** `{requestId}` of a route's path. */
export function parseRequestId(value: string | undefined): string {
  return parseInput(requestIdPath, { requestId: value }).requestId;
}

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
