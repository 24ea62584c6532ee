import {
  AppError,
  ERROR_CODES,
  type ErrorCode,
  StoreThrottledError,
  UnauthorizedError,
  UpstreamBudgetExhaustedError,
  UpstreamRateLimitedError,
  ValidationError,
} from '../domain/errors.js';
import { ERROR_CODE_HEADER, ERROR_FIELD_HEADER } from './error-headers.js';

/**
 * The one table from error code to HTTP answer. `public: true` means the error's own message is safe to
 * show (it names a field or a setting, never the key); otherwise the caller gets `message` here and the
 * details stay in the logs.
 */
const HTTP_ERRORS: Record<ErrorCode, { status: number; public: boolean; message: string }> = {
  [ERROR_CODES.ValidationFailed]: { status: 400, public: true, message: 'The request is invalid.' },
  [ERROR_CODES.Unauthorized]: {
    status: 401,
    public: true,
    message: 'The request does not carry valid credentials.',
  },
  [ERROR_CODES.NotFound]: { status: 404, public: true, message: 'Not found.' },
  [ERROR_CODES.PayloadTooLarge]: { status: 413, public: true, message: 'The body is too large.' },
  [ERROR_CODES.UpstreamRejected]: {
    status: 400,
    public: true,
    message: 'Fingerprint rejected the request as invalid.',
  },
  [ERROR_CODES.UpstreamRateLimited]: {
    status: 429,
    public: true,
    message: 'Fingerprint is rate limiting this service; retry after the Retry-After delay.',
  },
  [ERROR_CODES.UpstreamBudgetExhausted]: {
    status: 429,
    public: true,
    message: 'The service used its whole budget of Fingerprint calls; retry after the Retry-After delay.',
  },
  [ERROR_CODES.UpstreamAuthFailed]: {
    status: 502,
    public: true,
    message: 'Fingerprint refused the configured secret API key.',
  },
  [ERROR_CODES.UpstreamUnavailable]: {
    status: 502,
    public: false,
    message: 'The Fingerprint Server API is unavailable; retry later.',
  },
  // Public: the message names what was unusable (built by the client; upstream text redacted and capped).
  [ERROR_CODES.UpstreamBadResponse]: {
    status: 502,
    public: true,
    message: 'The Fingerprint Server API answered with content that cannot be used.',
  },
  [ERROR_CODES.UpstreamMisconfigured]: {
    status: 502,
    public: true,
    message: 'The Fingerprint Server API is not reachable as configured; check FINGERPRINT_BASE_URL.',
  },
  [ERROR_CODES.UpstreamTimeout]: {
    status: 504,
    public: false,
    message: 'The Fingerprint Server API did not answer in time; retry later.',
  },
  [ERROR_CODES.StoreThrottled]: {
    status: 503,
    public: false,
    message: 'The event store is busy; retry later.',
  },
  [ERROR_CODES.WebhookNotConfigured]: {
    status: 503,
    public: false,
    message: 'The webhook is not configured yet; the delivery can be retried later.',
  },
  [ERROR_CODES.SealedResultNotBase64]: {
    status: 400,
    public: true,
    message: 'The sealed result is not base64.',
  },
  [ERROR_CODES.SealedResultTooShort]: {
    status: 400,
    public: true,
    message: 'The sealed result is too short.',
  },
  [ERROR_CODES.SealedResultTooLarge]: {
    status: 400,
    public: true,
    message: 'The sealed result is too large.',
  },
  [ERROR_CODES.SealedResultBadHeader]: {
    status: 400,
    public: true,
    message: 'The sealed result does not start with the sealed header.',
  },
  [ERROR_CODES.SealedResultUndecryptable]: {
    status: 400,
    public: true,
    message: 'No configured key decrypts the sealed result.',
  },
  [ERROR_CODES.SealedResultNotAnEvent]: {
    status: 400,
    public: true,
    message: 'The sealed result does not hold a Fingerprint event.',
  },
  [ERROR_CODES.SealedResultRequestIdMismatch]: {
    status: 400,
    public: true,
    message: 'The sealed result holds another event than the requestId sent with it.',
  },
  [ERROR_CODES.SealedResultsNotConfigured]: {
    status: 400,
    public: true,
    message: 'This deployment has no key to decrypt sealed results.',
  },
  [ERROR_CODES.SealedKeysUnavailable]: {
    status: 503,
    public: false,
    message: 'The keys of sealed results cannot be read; retry later.',
  },
  [ERROR_CODES.Internal]: { status: 500, public: false, message: 'Internal error.' },
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
  const code: ErrorCode = error instanceof AppError ? error.code : ERROR_CODES.Internal;
  const entry = HTTP_ERRORS[code];
  const message = entry.public && error instanceof AppError ? error.message : entry.message;
  const body: ErrorBody = { error: { code, message } };
  if (error instanceof ValidationError) body.error.field = error.field;
  return { statusCode: entry.status, headers: answerHeaders(error), body };
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
