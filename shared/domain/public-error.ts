/**
 * What a caller may see of an error, whatever carries it (an HTTP answer, the upstream part of an erasure's
 * answer): `public: true` means the error's own message is safe to show (it names a field or a setting, never
 * the key); otherwise the caller gets `message` here and the details stay in the logs.
 */
import { AppError, ERROR_CODES, type ErrorCode, ValidationError } from './errors.js';

const PUBLIC_ERRORS: Record<ErrorCode, { public: boolean; message: string }> = {
  [ERROR_CODES.ValidationFailed]: { public: true, message: 'The request is invalid.' },
  [ERROR_CODES.Unauthorized]: { public: true, message: 'The request does not carry valid credentials.' },
  [ERROR_CODES.NotFound]: { public: true, message: 'Not found.' },
  [ERROR_CODES.PayloadTooLarge]: { public: true, message: 'The body is too large.' },
  [ERROR_CODES.UpstreamRejected]: { public: true, message: 'Fingerprint rejected the request as invalid.' },
  [ERROR_CODES.UpstreamRateLimited]: {
    public: true,
    message: 'Fingerprint is rate limiting this service; retry after the Retry-After delay.',
  },
  [ERROR_CODES.UpstreamBudgetExhausted]: {
    public: true,
    message: 'The service used its whole budget of Fingerprint calls; retry after the Retry-After delay.',
  },
  [ERROR_CODES.UpstreamAuthFailed]: {
    public: true,
    message: 'Fingerprint refused the configured secret API key.',
  },
  [ERROR_CODES.UpstreamUnavailable]: {
    public: false,
    message: 'The Fingerprint Server API is unavailable; retry later.',
  },
  // Public: the message names what was unusable (built by the client; upstream text redacted and capped).
  [ERROR_CODES.UpstreamBadResponse]: {
    public: true,
    message: 'The Fingerprint Server API answered with content that cannot be used.',
  },
  [ERROR_CODES.UpstreamMisconfigured]: {
    public: true,
    message: 'The Fingerprint Server API is not reachable as configured; check FINGERPRINT_BASE_URL.',
  },
  [ERROR_CODES.UpstreamTimeout]: {
    public: false,
    message: 'The Fingerprint Server API did not answer in time; retry later.',
  },
  [ERROR_CODES.StoreThrottled]: { public: false, message: 'The event store is busy; retry later.' },
  [ERROR_CODES.WebhookNotConfigured]: {
    public: false,
    message: 'The webhook is not configured yet; the delivery can be retried later.',
  },
  [ERROR_CODES.SealedResultNotBase64]: { public: true, message: 'The sealed result is not base64.' },
  [ERROR_CODES.SealedResultTooShort]: { public: true, message: 'The sealed result is too short.' },
  [ERROR_CODES.SealedResultTooLarge]: { public: true, message: 'The sealed result is too large.' },
  [ERROR_CODES.SealedResultBadHeader]: {
    public: true,
    message: 'The sealed result does not start with the sealed header.',
  },
  [ERROR_CODES.SealedResultUndecryptable]: {
    public: true,
    message: 'No configured key decrypts the sealed result.',
  },
  [ERROR_CODES.SealedResultNotAnEvent]: {
    public: true,
    message: 'The sealed result does not hold a Fingerprint event.',
  },
  [ERROR_CODES.SealedResultRequestIdMismatch]: {
    public: true,
    message: 'The sealed result holds another event than the requestId sent with it.',
  },
  [ERROR_CODES.SealedResultsNotConfigured]: {
    public: true,
    message: 'This deployment has no key to decrypt sealed results.',
  },
  [ERROR_CODES.SealedKeysUnavailable]: {
    public: false,
    message: 'The keys of sealed results cannot be read; retry later.',
  },
  [ERROR_CODES.Internal]: { public: false, message: 'Internal error.' },
};

/** The part of an error a caller may see: its code, a message safe to show, and the field at fault. */
export interface PublicError {
  code: ErrorCode;
  message: string;
  field?: string;
}

/** The public part of any thrown value. Unknown errors are `Internal`, with the generic message. */
export function publicError(error: unknown): PublicError {
  const code: ErrorCode = error instanceof AppError ? error.code : ERROR_CODES.Internal;
  const entry = PUBLIC_ERRORS[code];
  const message = entry.public && error instanceof AppError ? error.message : entry.message;
  const answer: PublicError = { code, message };
  if (error instanceof ValidationError) answer.field = error.field;
  return answer;
}
