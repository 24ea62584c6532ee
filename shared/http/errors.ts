import {
  ERROR_CODES,
  type ErrorCode,
  StoreThrottledError,
  UnauthorizedError,
  UpstreamBudgetExhaustedError,
  UpstreamRateLimitedError,
} from '../domain/errors.js';
import { publicError } from '../domain/public-error.js';
import { ERROR_CODE_HEADER, ERROR_FIELD_HEADER } from '../manifest/error-codes.js';

/**
 * The one table from error code to HTTP status. What the answer's message says is the domain's
 * ({@link publicError}): the error's own message when it is safe to show, else a generic one.
 */
const HTTP_STATUSES: Record<ErrorCode, number> = {
  [ERROR_CODES.ValidationFailed]: 400,
  [ERROR_CODES.Unauthorized]: 401,
  [ERROR_CODES.NotFound]: 404,
  [ERROR_CODES.PayloadTooLarge]: 413,
  [ERROR_CODES.UpstreamRejected]: 400,
  [ERROR_CODES.UpstreamRateLimited]: 429,
  [ERROR_CODES.UpstreamBudgetExhausted]: 429,
  [ERROR_CODES.UpstreamAuthFailed]: 502,
  [ERROR_CODES.UpstreamUnavailable]: 502,
  [ERROR_CODES.UpstreamBadResponse]: 502,
  [ERROR_CODES.UpstreamMisconfigured]: 502,
  [ERROR_CODES.UpstreamTimeout]: 504,
  [ERROR_CODES.StoreThrottled]: 503,
  [ERROR_CODES.WebhookNotConfigured]: 503,
  [ERROR_CODES.SealedResultNotBase64]: 400,
  [ERROR_CODES.SealedResultTooShort]: 400,
  [ERROR_CODES.SealedResultTooLarge]: 400,
  [ERROR_CODES.SealedResultBadHeader]: 400,
  [ERROR_CODES.SealedResultUndecryptable]: 400,
  [ERROR_CODES.SealedResultNotAnEvent]: 400,
  [ERROR_CODES.SealedResultRequestIdMismatch]: 400,
  [ERROR_CODES.SealedResultsNotConfigured]: 400,
  [ERROR_CODES.SealedKeysUnavailable]: 503,
  [ERROR_CODES.Internal]: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

export interface HttpErrorAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

/** Fingerprint's v3 error body (`ErrorPlainResponse`): a message and nothing else. */
export interface PlainErrorBody {
  error: string;
}

export { ERROR_CODE_HEADER, ERROR_FIELD_HEADER };

/**
 * An error answer in Fingerprint's v3 shape, for the route that keeps v3's contract: the message in the body,
 * our code and field in headers. The field is URI-encoded because it may name an unknown query parameter,
 * which is caller input and not always a valid header value.
 */
export function toPlainErrorAnswer(answer: HttpErrorAnswer): {
  statusCode: number;
  headers: Record<string, string>;
  body: PlainErrorBody;
} {
  const { message } = answer.body.error;
  return { statusCode: answer.statusCode, headers: codeHeaders(answer), body: { error: message } };
}

/** Our code, and the field at fault, as headers of an answer in one of Fingerprint's error shapes. */
export function codeHeaders(answer: HttpErrorAnswer): Record<string, string> {
  const { code, field } = answer.body.error;
  return {
    ...answer.headers,
    [ERROR_CODE_HEADER]: code,
    // A lone surrogate (caller input) cannot be URI-encoded: it becomes U+FFFD, as UTF-8 would make it.
    ...(field !== undefined && {
      [ERROR_FIELD_HEADER]: encodeURIComponent(field.replace(/\p{Cs}/gu, '\ufffd')),
    }),
  };
}

/** Seconds a client should wait after a 503 from a busy store. */
const STORE_RETRY_AFTER_SECONDS = 1;

/** Maps any thrown value to the HTTP answer a caller sees. Unknown errors become a generic 500. */
export function toHttpError(error: unknown): HttpErrorAnswer {
  const { code, message, field } = publicError(error);
  const body: ErrorBody = { error: { code, message } };
  if (field !== undefined) body.error.field = field;
  return { statusCode: HTTP_STATUSES[code], headers: answerHeaders(error), body };
}

function answerHeaders(error: unknown): Record<string, string> {
  if (error instanceof UnauthorizedError && error.challenge !== undefined) {
    return { 'WWW-Authenticate': error.challenge };
  }
  if (error instanceof UpstreamRateLimitedError || error instanceof UpstreamBudgetExhaustedError) {
    return { 'Retry-After': String(Math.max(1, Math.ceil(error.retryAfterSeconds))) };
  }
  if (error instanceof StoreThrottledError) return { 'Retry-After': String(STORE_RETRY_AFTER_SECONDS) };
  return {};
}
