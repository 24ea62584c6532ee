import { isId } from '../../shared/domain/ids.js';
import { ENRICH_BODY_MAX_BYTES } from '../../shared/manifest/limits.js';
import { lazily } from '../../shared/runtime/lazy.js';
import type { EnrichInput } from './enrich.js';

/**
 * The enrich function's requests without Zod on their most common form. A body of exactly `{"requestId": <id>}`
 * (or with `"refresh": true|false` beside it), the cached read that most instances serve first, is read here
 * with the one id rule (`shared/domain/ids.ts`); every other body, and any doubt (too large, not JSON, another
 * field, an id the rule refuses), goes to `parseEnrichBody` of `./input.ts` and its Zod schema, the one
 * definition of what `POST /enrich` and a queue message accept and of every error message, loaded then by
 * `import()` in a chunk of its own. This read never refuses. `test/unit/request-fast-path.test.ts` checks that
 * whenever it answers, `parseEnrichBody` accepts the same body and answers the identical input.
 */

/** The Zod parsers of the enrich function's requests, loaded on the first request the fast read leaves to them. */
export const enrichInputParsers = lazily(() => import('./input.js'));

/**
 * A body that is exactly `{"requestId": <id>}` or `{"requestId": <id>, "refresh": <boolean>}`, as the enrich
 * input; `undefined` for anything else.
 */
export function readRequestIdBody(raw: string | null | undefined): EnrichInput | undefined {
  // Longer bodies are the full parser's, which measures their UTF-8 bytes against the cap: below a quarter of it
  // in UTF-16 units (at most 3 bytes each), no body can exceed it.
  if (typeof raw !== 'string' || raw.length > ENRICH_BODY_MAX_BYTES / 4) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const body = json as Record<string, unknown>;
  const keys = Object.keys(body);
  const { requestId, refresh } = body;
  if (!isId(requestId)) return undefined;
  if (keys.length === 1) return { kind: 'request', requestId, refresh: false };
  if (keys.length === 2 && 'refresh' in body && typeof refresh === 'boolean') {
    return { kind: 'request', requestId, refresh };
  }
  return undefined;
}

/**
 * Parses a raw `POST /enrich` body or queue message body: the fast read when it answers, else
 * `parseEnrichBody`, whose every refusal is a `ValidationError` naming the field.
 */
export async function parseEnrichRequest(raw: string | null | undefined): Promise<EnrichInput> {
  return readRequestIdBody(raw) ?? (await enrichInputParsers()).parseEnrichBody(raw);
}
