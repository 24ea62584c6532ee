import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ValidationError } from '../../shared/domain/errors.js';
import { linkedIdParam, requestIdParam, visitorIdParam } from '../../shared/http/params.js';
import { queryParams } from '../../shared/http/request.js';
import { parseInput } from '../../shared/http/validation.js';
import { CURSOR_MAX_LENGTH, PAGE_SIZES, type PageSize } from '../../shared/manifest/limits.js';
import * as z from '../../shared/validation/zod.js';

/** A whole number in a query string, written as plain digits (no sign, exponent or spaces). */
const wholeNumber = (min: number, max: number) =>
  z.pipe(
    z.pipe(z.string().check(z.regex(/^\d{1,16}$/, 'expected a whole number')), z.transform(Number)),
    z.int().check(z.minimum(min), z.maximum(max)),
  );

/** A page's `limit`: 1 to the route's maximum, its default when omitted. */
const pageLimit = (size: PageSize) => z._default(wholeNumber(1, size.max), size.default);

/** An opaque cursor, refused by its length before it is decoded. */
const cursorParam = z.string().check(z.minLength(1), z.maxLength(CURSOR_MAX_LENGTH));

export const visitorsQuerySchema = z.strictObject({
  request_id: z.optional(requestIdParam),
  linked_id: z.optional(linkedIdParam),
  limit: pageLimit(PAGE_SIZES.visitors),
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
  limit: pageLimit(PAGE_SIZES.events),
  cursor: z.optional(cursorParam),
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

/** How far back a v4 search reaches without `start`: 7 days, as the v4 document says. */
export const V4_SEARCH_DEFAULT_WINDOW_MS = 7 * 86_400_000;

/**
 * The v4 search filters this cache cannot apply: every parameter of the official `GET /v4/events` other than
 * the ones it serves. Refused by name rather than ignored, since ignoring a filter would answer events the
 * caller asked to leave out.
 */
const V4_UNSUPPORTED_FILTERS = new Set(
  (
    'high_recall_id bot bot_info bot_info_category bot_info_identity bot_info_confidence bot_info_provider ' +
    'bot_info_name ip_address asn url bundle_id package_name origin suspect vpn virtual_machine tampering ' +
    'anti_detect_browser incognito privacy_settings jailbroken frida factory_reset cloned_app emulator root_apps ' +
    'vpn_confidence min_suspect_score developer_tools location_spoofing mitm_attack rare_device ' +
    'rare_device_percentile_bucket proxy sdk_version sdk_platform environment proximity_id total_hits tor_node ' +
    'incremental_identification_status simulator active_call source'
  ).split(' '),
);

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** A v4 `start`/`end`: an RFC3339 date-time, or (for backward compatibility, as v4 accepts) Unix ms. */
export const v4Instant = z.pipe(
  z
    .string()
    .check(
      z.refine(
        (value) => /^\d{1,16}$/.test(value) || (RFC3339.test(value) && !Number.isNaN(Date.parse(value))),
        'expected an RFC3339 date-time such as 2026-01-01T00:00:00Z, or Unix milliseconds',
      ),
    ),
  z.transform((value: string) => (/^\d{1,16}$/.test(value) ? Number(value) : Date.parse(value))),
);

export const v4SearchQuerySchema = z.strictObject({
  visitor_id: z.optional(visitorIdParam),
  linked_id: z.optional(linkedIdParam),
  limit: pageLimit(PAGE_SIZES.v4Search),
  pagination_key: z.optional(cursorParam),
  start: z.optional(v4Instant),
  end: z.optional(v4Instant),
  reverse: z._default(z.stringbool({ truthy: ['true'], falsy: ['false'] }), false),
  // Fingerprint's v4 SDK adds `ii` (its name and version) to every call: accepted and dropped.
  ii: z.optional(z.string()),
});

/** `GET /v4/events`'s query, validated: the filters this cache serves, with v4's defaults. */
export function parseV4SearchQuery(event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>) {
  const params = queryParams(event);
  for (const name of Object.keys(params)) {
    if (V4_UNSUPPORTED_FILTERS.has(name)) {
      throw new ValidationError(
        name,
        `The "${name}" filter of Fingerprint's v4 search is not served by this cache, which searches by ` +
          'visitor_id and/or linked_id within start/end: remove it (or ask Fingerprint directly).',
      );
    }
  }
  const { ii: _ii, ...query } = parseInput(v4SearchQuerySchema, params);
  if (query.visitor_id === undefined && query.linked_id === undefined) {
    throw new ValidationError(
      'visitor_id',
      'Pass "visitor_id" or "linked_id" (or both): this cache searches the events of a visitor or a linkedId.',
    );
  }
  if (query.start !== undefined && query.end !== undefined && query.end <= query.start) {
    throw new ValidationError('end', 'Invalid "end": it must be later than "start".');
  }
  return query;
}
