import { ID_MESSAGES, type IdKind, isId } from '../domain/ids.js';
import * as z from '../validation/zod.js';
import { parseInput } from './validation.js';

/** An id in a body, path or query string, refused with the one message of its kind (see `domain/ids.ts`). */
const idParam = (kind: IdKind) => z.string().check(z.refine(isId, ID_MESSAGES[kind]));

/** The id parameters of several routes' paths, query strings and bodies. */
export const visitorIdParam = idParam('visitorId');
export const requestIdParam = idParam('requestId');
export const linkedIdParam = idParam('linkedId');

/*
 * The path parameters, as objects so that an error names the parameter. Built once: Zod compiles a parser for
 * each object schema, which cost about 35 µs on every call when these were built per call.
 */
export const visitorIdPath = z.object({ visitorId: visitorIdParam });
export const requestIdPath = z.object({ requestId: requestIdParam });

/** `{visitorId}` of a route's path, already percent-decoded by API Gateway. */
export function parseVisitorId(value: string | undefined): string {
  return parseInput(visitorIdPath, { visitorId: value }).visitorId;
}

/** `{requestId}` of a route's path, already percent-decoded by API Gateway. */
export function parseRequestId(value: string | undefined): string {
  return parseInput(requestIdPath, { requestId: value }).requestId;
}
