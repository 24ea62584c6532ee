/**
 * Every error code an answer of this service can carry, each written once. The domain's codes
 * (`shared/domain/errors.ts` gives each its error class, `shared/http/errors.ts` its status), the ones API Gateway
 * answers by itself (`infra/constructs/service-api.ts`'s gateway responses, mimicked by the local gateway) and
 * the local server's own: `openapi/openapi.json`'s enum is generated from {@link ALL_ERROR_CODES}, so a code
 * cannot be answered without being documented.
 *
 * No imports, no side effects: infra, handlers, the local runtime and the OpenAPI generator all read it.
 */

/**
 * Where an answer in one of Fingerprint's error shapes keeps our error code, and the field at fault
 * (URI-encoded): `shared/http/errors.ts` writes them, and `shared/http/middleware.ts` names them for CORS to
 * expose without loading `errors.ts`, which it imports on the first error only. Here rather than in a module of
 * their own: a module imported by init and by a lazy chunk is split into a file of its own, which init then
 * reads as one more file, and this one is already read at init (docs/performance.md, item 16).
 */
export const ERROR_CODE_HEADER = 'X-Error-Code';
export const ERROR_FIELD_HEADER = 'X-Error-Field';

/** The codes of the functions' own answers (the {@link AppError} codes of `shared/domain/errors.ts`). */
export const ERROR_CODES = {
  ValidationFailed: 'ValidationFailed',
  Unauthorized: 'Unauthorized',
  NotFound: 'NotFound',
  PayloadTooLarge: 'PayloadTooLarge',
  UpstreamRateLimited: 'UpstreamRateLimited',
  UpstreamBudgetExhausted: 'UpstreamBudgetExhausted',
  UpstreamAuthFailed: 'UpstreamAuthFailed',
  UpstreamRejected: 'UpstreamRejected',
  UpstreamUnavailable: 'UpstreamUnavailable',
  UpstreamTimeout: 'UpstreamTimeout',
  UpstreamBadResponse: 'UpstreamBadResponse',
  UpstreamMisconfigured: 'UpstreamMisconfigured',
  StoreThrottled: 'StoreThrottled',
  WebhookNotConfigured: 'WebhookNotConfigured',
  SealedResultNotBase64: 'SealedResultNotBase64',
  SealedResultTooShort: 'SealedResultTooShort',
  SealedResultTooLarge: 'SealedResultTooLarge',
  SealedResultBadHeader: 'SealedResultBadHeader',
  SealedResultUndecryptable: 'SealedResultUndecryptable',
  SealedResultNotAnEvent: 'SealedResultNotAnEvent',
  SealedResultRequestIdMismatch: 'SealedResultRequestIdMismatch',
  SealedResultsNotConfigured: 'SealedResultsNotConfigured',
  SealedKeysUnavailable: 'SealedKeysUnavailable',
  Internal: 'Internal',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/**
 * The codes of the answers API Gateway gives by itself (its gateway responses), in the handlers' error shape.
 * The local gateway gives `RequestRejected` and `GatewayError` the same way.
 */
export const GATEWAY_ERROR_CODES = {
  /** `ACCESS_DENIED`: the resource policy or IAM refused the caller. */
  AccessDenied: 'AccessDenied',
  /** `MISSING_AUTHENTICATION_TOKEN`: an unsigned request, or an unknown route. */
  MissingAuthentication: 'MissingAuthentication',
  /** `THROTTLED`: the stage's (or the webhook route's) throttling. */
  Throttled: 'Throttled',
  /** `DEFAULT_4XX`: any other refusal of the gateway's own. */
  RequestRejected: 'RequestRejected',
  /** `DEFAULT_5XX`: the integration failed, timed out or answered malformed. */
  GatewayError: 'GatewayError',
} as const;
export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[keyof typeof GATEWAY_ERROR_CODES];

/** The codes only the local server (`npm start`) answers, where the deployed API would answer another. */
export const LOCAL_ERROR_CODES = {
  /**
   * A known path with another method. The deployed API answers `MissingAuthentication` (403) there, as for
   * any unknown route; the local server says which methods the path has (405, `Allow`).
   */
  MethodNotAllowed: 'MethodNotAllowed',
} as const;
export type LocalErrorCode = (typeof LOCAL_ERROR_CODES)[keyof typeof LOCAL_ERROR_CODES];

/** Any code an answer in the service's error shape may carry. */
export type AnyErrorCode = ErrorCode | GatewayErrorCode | LocalErrorCode;

/** Every code, once, in the order of the OpenAPI enum: the functions', the gateway's, the local server's. */
export const ALL_ERROR_CODES: readonly AnyErrorCode[] = /* @__PURE__ */ Object.values<AnyErrorCode>({
  ...ERROR_CODES,
  ...GATEWAY_ERROR_CODES,
  ...LOCAL_ERROR_CODES,
});
