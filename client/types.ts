/**
 * The API's wire types. The answers, the request body and the error body are the handlers' own types,
 * generated from the component schemas of `openapi/openapi.json` (`npm run openapi`), and the error codes are
 * the manifest's: both are modules of the manifest that import nothing, which the client's build compiles and
 * ships with it (`dist/shared/manifest/`). The query options below are the client's own: how its methods take
 * a query string's parameters (`upstream` a boolean, at least one of `visitorId` and `linkedId`).
 */

export * from '../shared/manifest/api-types.js';
export {
  ALL_ERROR_CODES as ERROR_CODES,
  type AnyErrorCode as ErrorCode,
} from '../shared/manifest/error-codes.js';

export interface EraseVisitorOptions {
  /** Also ask Fingerprint to delete the visitor's data (the deployment must allow it). @default false */
  upstream?: boolean;
}

export interface VisitorHistoryQuery {
  request_id?: string;
  linked_id?: string;
  /**
   * Visits scanned for the page, 1–500, before the `request_id` / `linked_id` filters (as in v3): a filtered
   * page may hold fewer, with a `paginationKey` to go on. @default 100
   */
  limit?: number;
  /** Only visits strictly older than this ms timestamp. */
  before?: number;
  paginationKey?: string;
}

/** `GET /events`: `visitorId`, `linkedId` or both. */
export type EventListQuery = (
  | { visitorId: string; linkedId?: string }
  | { visitorId?: string; linkedId: string }
) & {
  /**
   * Events read for the page, 1–100, before the `linkedId` filter of a visitor query: a filtered page may hold
   * fewer, with a `nextCursor` to go on. @default 20
   */
  limit?: number;
  cursor?: string;
};
