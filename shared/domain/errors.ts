/**
 * Domain errors. Every failure the product can explain extends {@link AppError}; `retryable` is the one retry
 * policy of the product (the queue consumer redelivers exactly the retryable failures and dead-letters the
 * others at once), `public-error.ts` says what a caller may see of each, and `shared/http/errors.ts` maps each
 * `code` to an HTTP status.
 */

import { ERROR_CODES, type ErrorCode } from '../manifest/error-codes.js';

/** The codes are declared once, with API Gateway's and the local server's, in the service manifest. */
export { ERROR_CODES, type ErrorCode };

export interface AppErrorOptions {
  cause?: unknown;
}

export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;
  /**
   * Whether the same operation, unchanged, can succeed later: after a pause (429, 5xx, timeouts, a busy
   * store) or once an operator fixes the configuration (the key, the region, the base URL), which no caller
   * can do. `false` when only different input or a different upstream answer could succeed: invalid input,
   * "not found", a 400, a 2xx whose content is unusable.
   */
  abstract readonly retryable: boolean;

  constructor(message: string, options?: AppErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input that can never succeed as given: names the offending field and how to fix it. */
export class ValidationError extends AppError {
  readonly code: ErrorCode = ERROR_CODES.ValidationFailed;
  readonly retryable = false;

  constructor(
    readonly field: string,
    message: string,
    options?: AppErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A request that does not prove where it comes from: a webhook without a valid signature or basic auth
 * credentials. The message says what is missing, never what was expected.
 */
export class UnauthorizedError extends AppError {
  readonly code = ERROR_CODES.Unauthorized;
  readonly retryable = false;

  constructor(
    message: string,
    /** The `WWW-Authenticate` challenge to answer with, e.g. `Basic realm="…"`, when credentials can help. */
    readonly challenge?: string,
    options?: AppErrorOptions,
  ) {
    super(message, options);
  }
}

/** A body larger than the route accepts; refused before it is read any further. */
export class PayloadTooLargeError extends AppError {
  readonly code = ERROR_CODES.PayloadTooLarge;
  readonly retryable = false;
}

export class NotFoundError extends AppError {
  readonly code = ERROR_CODES.NotFound;
  readonly retryable = false;
}

/** Fingerprint answered 429 and retries within the deadline did not get through. */
export class UpstreamRateLimitedError extends AppError {
  readonly code = ERROR_CODES.UpstreamRateLimited;
  readonly retryable = true;

  constructor(
    message: string,
    /** Seconds the caller should wait before trying again. */
    readonly retryAfterSeconds: number,
    options?: AppErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The fleet's own budget of Fingerprint calls (`FINGERPRINT_MAX_RPS`, shared by every instance) had no room
 * for this call within the time it may wait: nothing was sent to Fingerprint.
 */
export class UpstreamBudgetExhaustedError extends AppError {
  readonly code = ERROR_CODES.UpstreamBudgetExhausted;
  readonly retryable = true;

  constructor(
    message: string,
    /** Seconds the caller should wait before trying again. */
    readonly retryAfterSeconds: number,
    options?: AppErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Fingerprint refused the key: missing, wrong, for another region, or the subscription is inactive. The
 * message names the setting to fix, never the key.
 */
export class UpstreamAuthError extends AppError {
  readonly code = ERROR_CODES.UpstreamAuthFailed;
  /** A configuration error: the same call succeeds once an operator fixes the setting it names. */
  readonly retryable = true;

  constructor(
    message: string,
    /** The configuration setting an operator should look at, e.g. `FINGERPRINT_REGION`. */
    readonly setting: string,
    options?: AppErrorOptions,
  ) {
    super(message, options);
  }
}

/** Fingerprint answered 400 to a request we built: the input cannot succeed as given. */
export class UpstreamRejectedError extends AppError {
  readonly code = ERROR_CODES.UpstreamRejected;
  readonly retryable = false;
}

/** Fingerprint answered 5xx, StateNotReady, or the network failed, and retries did not get through. */
export class UpstreamUnavailableError extends AppError {
  readonly code = ERROR_CODES.UpstreamUnavailable;
  readonly retryable = true;
}

/** No answer from Fingerprint within the per-attempt timeout or the overall deadline. */
export class UpstreamTimeoutError extends AppError {
  readonly code = ERROR_CODES.UpstreamTimeout;
  readonly retryable = true;
}

/**
 * Fingerprint answered 2xx with content that can never be used: not the documented shape, an event that
 * cannot be normalized, or an event for another id than the one asked for. Asking again gets the same answer,
 * so it is never retried. The message names the cause (upstream text in it is redacted and capped).
 */
export class UpstreamBadResponseError extends AppError {
  readonly code = ERROR_CODES.UpstreamBadResponse;
  readonly retryable = false;
}

/**
 * The answer shows the client is not talking to the Server API it expects: a 404 whose body is not a
 * Fingerprint error (a proxy's or gateway's "route not found"). The message names the setting to fix.
 * Retryable: the same call succeeds once an operator fixes it.
 */
export class UpstreamMisconfiguredError extends AppError {
  readonly code = ERROR_CODES.UpstreamMisconfigured;
  readonly retryable = true;

  constructor(
    message: string,
    /** The settings an operator should look at, e.g. `FINGERPRINT_BASE_URL`. */
    readonly setting: string,
    options?: AppErrorOptions,
  ) {
    super(message, options);
  }
}

/** DynamoDB throttled us, or left items unprocessed after every retry. */
export class StoreThrottledError extends AppError {
  readonly code = ERROR_CODES.StoreThrottled;
  readonly retryable = true;
}

/**
 * The webhook's secret is missing, unreadable or unusable (the state right after a deployment, before the
 * signing secret is put in it): our problem, not the sender's. Answered 503, so Fingerprint retries later,
 * and counted apart from other 5xx (docs/deploy.md). The message names the setting, never the value.
 */
export class WebhookNotConfiguredError extends AppError {
  readonly code = ERROR_CODES.WebhookNotConfigured;
  readonly retryable = true;
}

/** The codes of a `sealedResult` that cannot be used as sent, one per fault so that a caller can tell them apart. */
export type SealedResultFault = Exclude<
  Extract<ErrorCode, `SealedResult${string}`>,
  'SealedResultsNotConfigured'
>;

/**
 * A `sealedResult` (Fingerprint's Sealed Client Results) that cannot be used as sent: a validation error with
 * a code of its own. Never retried: the same blob fails the same way. The message says what is wrong and how
 * to fix it, never a key nor the decrypted content.
 */
export class SealedResultError extends ValidationError {
  override readonly code: SealedResultFault;

  constructor(code: SealedResultFault, field: string, message: string, options?: AppErrorOptions) {
    super(field, message, options);
    this.code = code;
  }
}

/**
 * A `sealedResult` arrived but this deployment has no decryption key: `FINGERPRINT_SEALED_KEYS_SECRET_ID`
 * (or `FINGERPRINT_SEALED_KEYS` locally) is unset or holds no key. Answered 400: the caller can send a
 * `requestId` instead. Retryable, as every configuration an operator can fix: a queue record succeeds
 * unchanged once the keys are put.
 */
export class SealedResultsNotConfiguredError extends AppError {
  readonly code = ERROR_CODES.SealedResultsNotConfigured;
  readonly retryable = true;
}

/**
 * The decryption keys of sealed results could not be read: Secrets Manager failed or refused, or the secret's
 * value is not a JSON list of base64 keys. Our fault, never the caller's (503); the message names the setting,
 * never a key.
 */
export class SealedKeysUnavailableError extends AppError {
  readonly code = ERROR_CODES.SealedKeysUnavailable;
  readonly retryable = true;
}

export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}
