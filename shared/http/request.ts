import type { APIGatewayProxyEvent } from 'aws-lambda';
import { isId } from '../domain/ids.js';
import { lazily } from '../runtime/lazy.js';

/**
 * What a route reads from a request before its first DynamoDB call, without Zod on the common path: a
 * well-formed id is checked with the one id rule (`shared/domain/ids.ts`), which is all the Zod schema of a
 * path id checks (`shared/http/params.ts`: a string passing `isId`); anything else (absent, not an id) goes to
 * that schema, loaded then by `import()` in a chunk of its own, which refuses it with the message of its kind.
 * Evaluating Zod and building its schemas was the largest part of a cold start beyond the AWS SDK
 * (docs/performance.md, "What changed", 15). `test/unit/request-fast-path.test.ts` checks both agree.
 */

/** The Zod parsers of path parameters, loaded on the first id that is not well formed. */
const pathParsers = lazily(() => import('./params.js'));

/** `{requestId}` of a route's path, already percent-decoded by API Gateway. */
export async function requestIdOf(value: string | undefined): Promise<string> {
  return isId(value) ? value : (await pathParsers()).parseRequestId(value);
}

/** `{visitorId}` of a route's path, already percent-decoded by API Gateway. */
export async function visitorIdOf(value: string | undefined): Promise<string> {
  return isId(value) ? value : (await pathParsers()).parseVisitorId(value);
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
