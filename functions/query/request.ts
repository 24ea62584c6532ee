import type { APIGatewayProxyEvent } from 'aws-lambda';
import { isId } from '../../shared/domain/ids.js';
import { queryParams } from '../../shared/http/request.js';
import { PAGE_SIZES } from '../../shared/manifest/limits.js';
import { lazily } from '../../shared/runtime/lazy.js';
import type { parseEventsQuery } from './input.js';

/**
 * The query function's requests without Zod on their most common form, as `functions/enrich/request.ts` does
 * for the enrich function's: `GET /events?visitorId=<id>` (or `linkedId`, or both), a history's first page, is
 * read here with the one id rule; any other query string (a `limit`, a `cursor`, another parameter, an id the
 * rule refuses) goes to `parseEventsQuery` of `./input.ts` and its Zod schema, the one definition of what the
 * route accepts and of its messages, loaded then by `import()`. This read never refuses;
 * `test/unit/request-fast-path.test.ts` checks that whenever it answers, `parseEventsQuery` answers the same.
 */

/** The Zod parsers of the query routes, loaded on the first request the fast read leaves to them. */
export const queryInputParsers = lazily(() => import('./input.js'));

type EventsQuery = ReturnType<typeof parseEventsQuery>;

/** A query string of only `visitorId` and/or `linkedId`, each an id, as the events query; else `undefined`. */
export function readFirstPageQuery(params: Record<string, string>): EventsQuery | undefined {
  const { visitorId, linkedId, ...rest } = params;
  if (Object.keys(rest).length > 0 || (visitorId === undefined && linkedId === undefined)) return undefined;
  if ((visitorId !== undefined && !isId(visitorId)) || (linkedId !== undefined && !isId(linkedId))) {
    return undefined;
  }
  return {
    ...(visitorId !== undefined && { visitorId }),
    ...(linkedId !== undefined && { linkedId }),
    limit: PAGE_SIZES.events.default,
  };
}

/** `GET /events`'s query: the fast read when it answers, else `parseEventsQuery`. */
export async function parseEventsRequest(
  event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>,
): Promise<EventsQuery> {
  return readFirstPageQuery(queryParams(event)) ?? (await queryInputParsers()).parseEventsQuery(event);
}
