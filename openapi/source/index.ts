/**
 * What `openapi/openapi.json` says that the code cannot: the words (summaries, descriptions, examples), the
 * answer schemas (no zod schema validates an answer, so they are authored here: NormalizedEvent, V3Visit,
 * V4Event...), the shared error responses, and for each route which error statuses it documents. Everything
 * else is generated from the service manifest by `generate.ts` (`npm run openapi`): the paths and methods, their
 * security, their path and query parameters (from the zod schemas the handlers parse with), each answer's
 * schema reference, each error response by the route's error shape, and the error code enum.
 *
 * One module a part of the document: `head.ts` (info, servers, tags, security schemes), `events.ts` (the ids,
 * `POST /enrich`, the normalized event), `v3.ts` (the v3 contract), `service.ts` (erasure, webhook, the error
 * body), `v4.ts` (the v4 contract), `responses.ts` (the error responses in the service's shape),
 * `operations.ts` (each route's words); `build.ts` holds the builders of what the document writes again and
 * again (a reference, an error body narrowed to its codes, a closed object...). The document keeps the order
 * the parts are spread in here.
 */
import { EVENT_SCHEMAS } from './events.js';
import { HEAD, SECURITY_SCHEMES } from './head.js';
import type { JsonObject } from './json.js';
import { SERVICE_RESPONSES } from './responses.js';
import { SERVICE_SCHEMAS } from './service.js';
import { V3_ERROR_SCHEMAS, V3_RESPONSES, V3_SCHEMAS } from './v3.js';
import { V4_RESPONSES, V4_SCHEMAS } from './v4.js';

export type { Json } from './json.js';
export { OPERATIONS, type OperationSource } from './operations.js';
export { HEAD };

/** The components. The error code enum of `Error` is generated from the manifest's error codes. */
export const COMPONENTS: JsonObject = {
  securitySchemes: SECURITY_SCHEMES,
  schemas: { ...EVENT_SCHEMAS, ...V3_SCHEMAS, ...SERVICE_SCHEMAS, ...V3_ERROR_SCHEMAS, ...V4_SCHEMAS },
  responses: { ...SERVICE_RESPONSES, ...V3_RESPONSES, ...V4_RESPONSES },
};
