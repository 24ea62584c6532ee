import { ERROR_CODES, type ErrorCode } from '../domain/errors.js';
import { codeHeaders, type HttpErrorAnswer } from './errors.js';

/*
 * Fingerprint's v4 error shape, in a module of its own: only the `/v4/*` routes answer it, so
 * `./middleware.ts` imports it on the first error of such a route, and esbuild keeps it out of what the
 * functions load at init (docs/performance.md).
 */

/** Fingerprint's v4 error codes (`ErrorCode` of the official v4 document) that our answers use. */
export type V4ErrorCode =
  | 'request_cannot_be_parsed'
  | 'secret_api_key_not_found'
  | 'event_not_found'
  | 'too_many_requests'
  | 'payload_too_large'
  | 'service_unavailable'
  | 'failed';

/** Fingerprint's v4 error body (`ErrorResponse`): exactly a v4 code and a message. */
export interface V4ErrorBody {
  error: { code: V4ErrorCode; message: string };
}

/** The v4 code closest to each of ours: what Fingerprint's v4 API answers in the same situation. */
const V4_ERROR_CODES: Record<ErrorCode, V4ErrorCode> = {
  [ERROR_CODES.ValidationFailed]: 'request_cannot_be_parsed',
  [ERROR_CODES.Unauthorized]: 'secret_api_key_not_found',
  [ERROR_CODES.NotFound]: 'event_not_found',
  [ERROR_CODES.PayloadTooLarge]: 'payload_too_large',
  [ERROR_CODES.UpstreamRejected]: 'request_cannot_be_parsed',
  [ERROR_CODES.UpstreamRateLimited]: 'too_many_requests',
  [ERROR_CODES.UpstreamBudgetExhausted]: 'too_many_requests',
  [ERROR_CODES.UpstreamAuthFailed]: 'service_unavailable',
  [ERROR_CODES.UpstreamUnavailable]: 'service_unavailable',
  [ERROR_CODES.UpstreamBadResponse]: 'service_unavailable',
  [ERROR_CODES.UpstreamMisconfigured]: 'service_unavailable',
  [ERROR_CODES.UpstreamTimeout]: 'service_unavailable',
  [ERROR_CODES.StoreThrottled]: 'service_unavailable',
  [ERROR_CODES.WebhookNotConfigured]: 'service_unavailable',
  // Only POST /enrich answers these; mapped so that every code has a v4 reading.
  [ERROR_CODES.SealedResultNotBase64]: 'request_cannot_be_parsed',
  [ERROR_CODES.SealedResultTooShort]: 'request_cannot_be_parsed',
  [ERROR_CODES.SealedResultTooLarge]: 'request_cannot_be_parsed',
  [ERROR_CODES.SealedResultBadHeader]: 'request_cannot_be_parsed',
  [ERROR_CODES.SealedResultUndecryptable]: 'request_cannot_be_parsed',
  [ERROR_CODES.SealedResultNotAnEvent]: 'request_cannot_be_parsed',
  [ERROR_CODES.SealedResultRequestIdMismatch]: 'request_cannot_be_parsed',
  [ERROR_CODES.SealedResultsNotConfigured]: 'request_cannot_be_parsed',
  [ERROR_CODES.SealedKeysUnavailable]: 'service_unavailable',
  [ERROR_CODES.Internal]: 'failed',
};

/**
 * An error answer in Fingerprint's v4 shape, for the routes that keep v4's contract: `{"error": {"code": <v4
 * code>, "message"}}` and nothing else (the v4 `Error` allows no other field), our code and field in headers.
 * The status stays ours.
 */
export function toV4ErrorAnswer(answer: HttpErrorAnswer): {
  statusCode: number;
  headers: Record<string, string>;
  body: V4ErrorBody;
} {
  const { code, message } = answer.body.error;
  return {
    statusCode: answer.statusCode,
    headers: codeHeaders(answer),
    body: { error: { code: V4_ERROR_CODES[code], message } },
  };
}
