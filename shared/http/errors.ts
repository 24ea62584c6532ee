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
  [ERROR_CODES.UpstreamBadResponse]: {
    status: 502,
    public: false,
    message: 'The Fingerprint Server API answered with an unexpected response; retry later.',
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
