import { ValidationError } from '../../shared/domain/errors.js';
import { decodeSealedResult } from '../../shared/fingerprint/sealed.js';
import { linkedIdParam, requestIdParam, visitorIdParam } from '../../shared/http/params.js';
import { parseInput } from '../../shared/http/validation.js';
import { BODY_MESSAGES, ENRICH_BODY_MAX_BYTES, PAGE_SIZES } from '../../shared/manifest/limits.js';
import * as z from '../../shared/validation/zod.js';
import type { EnrichInput } from './enrich.js';

export const bodySchema = z.strictObject({
  requestId: z.optional(requestIdParam),
  visitorId: z.optional(visitorIdParam),
  linkedId: z.optional(linkedIdParam),
  maxEvents: z.optional(z.int().check(z.minimum(1), z.maximum(PAGE_SIZES.enrichHistory.max))),
  refresh: z.optional(z.boolean()),
  /** Checked by `decodeSealedResult`, which gives each fault its own code. */
  sealedResult: z.optional(z.string()),
});

/**
 * Parses a raw `POST /enrich` body or queue message body. Every refusal is a {@link ValidationError} naming
 * the field, so neither a bad id nor an unknown field ever reaches the upstream.
 */
export function parseEnrichBody(raw: string | null | undefined): EnrichInput {
  if (raw === null || raw === undefined || raw.trim() === '') {
    throw new ValidationError('body', BODY_MESSAGES.empty);
  }
  if (Buffer.byteLength(raw, 'utf8') > ENRICH_BODY_MAX_BYTES) {
    throw new ValidationError('body', BODY_MESSAGES.enrichTooLarge);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ValidationError('body', BODY_MESSAGES.notJson);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ValidationError('body', BODY_MESSAGES.notAnObject);
  }
  const body = parseInput(bodySchema, json);
  if (body.sealedResult !== undefined) {
    for (const field of ['visitorId', 'linkedId', 'maxEvents', 'refresh'] as const) {
      if (body[field] !== undefined) {
        throw new ValidationError(
          field,
          `"${field}" cannot be combined with "sealedResult": send {"sealedResult": "…"}, with "requestId" at most.`,
        );
      }
    }
    return {
      kind: 'sealed',
      sealed: decodeSealedResult(body.sealedResult),
      ...(body.requestId !== undefined && { requestId: body.requestId }),
    };
  }
  if (body.requestId !== undefined) {
    for (const field of ['visitorId', 'linkedId', 'maxEvents'] as const) {
      if (body[field] !== undefined) {
        throw new ValidationError(field, `"${field}" cannot be combined with "requestId": send one form.`);
      }
    }
    return { kind: 'request', requestId: body.requestId, refresh: body.refresh ?? false };
  }
  if (body.visitorId === undefined && body.linkedId === undefined) {
    throw new ValidationError(
      'requestId',
      'Send one of "requestId", "linkedId", "visitorId" or "sealedResult".',
    );
  }
  return {
    kind: 'search',
    ...(body.visitorId !== undefined && { visitorId: body.visitorId }),
    ...(body.linkedId !== undefined && { linkedId: body.linkedId }),
    maxEvents: body.maxEvents ?? PAGE_SIZES.enrichHistory.default,
    refresh: body.refresh ?? false,
  };
}

export const eraseQuerySchema = z.strictObject({
  upstream: z._default(z.enum(['true', 'false'], 'expected "true" or "false"'), 'false'),
});

/** The query string of `DELETE /visitors/{visitorId}`: `upstream=true` also erases at Fingerprint. */
export function parseEraseQuery(query: Record<string, string>): { upstream: boolean } {
  return { upstream: parseInput(eraseQuerySchema, query).upstream === 'true' };
}

export const v4EventPath = z.object({ event_id: requestIdParam });
export const v4EventQuery = z.strictObject({
  // Fingerprint's v4 SDK adds `ii` (its name and version) to every call: accepted and dropped.
  ii: z.optional(z.string()),
});

/**
 * `GET /v4/events/{event_id}`: the event id (the requestId rule) and a query string with nothing but the SDK's
 * `ii`. v4's `ruleset_id` is refused by name: the cache cannot evaluate Fingerprint's rulesets.
 */
export function parseV4EventRequest(
  eventId: string | undefined,
  query: Record<string, string>,
): { eventId: string } {
  if (query.ruleset_id !== undefined) {
    throw new ValidationError(
      'ruleset_id',
      'The "ruleset_id" parameter is not served by this cache, which cannot evaluate Fingerprint rulesets: remove it (or ask Fingerprint directly).',
    );
  }
  parseInput(v4EventQuery, query);
  return { eventId: parseInput(v4EventPath, { event_id: eventId }).event_id };
}
