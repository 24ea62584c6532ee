import { errorWith, json, retryAfter } from './build.js';
import type { JsonObject } from './json.js';

/** The error responses in the service's shape (`{"error": {"code", "message", "field"?}}`), by name. */
export const SERVICE_RESPONSES: Readonly<Record<string, JsonObject>> = {
  EnrichBadRequest: {
    description:
      'Invalid input: the field is named. `UpstreamRejected`: Fingerprint refused the request as invalid. `SealedResult…`: the `sealedResult` cannot be used (each fault has its own code); `SealedResultsNotConfigured`: this deployment has no key to open sealed results. Nothing was stored.',
    content: json(
      errorWith(
        'ValidationFailed',
        'UpstreamRejected',
        'RequestRejected',
        'SealedResultNotBase64',
        'SealedResultTooShort',
        'SealedResultTooLarge',
        'SealedResultBadHeader',
        'SealedResultUndecryptable',
        'SealedResultNotAnEvent',
        'SealedResultRequestIdMismatch',
        'SealedResultsNotConfigured',
      ),
      {
        error: {
          code: 'SealedResultUndecryptable',
          message:
            'sealedResult does not decrypt with any configured key: it was altered or truncated, or sealed with a key this deployment does not hold (another workspace, or a new key not yet added to FINGERPRINT_SEALED_KEYS_SECRET_ID); send the `sealedResult` string exactly as the JS agent returned it.',
          field: 'sealedResult',
        },
      },
    ),
  },
  BadRequest: {
    description:
      'Invalid input: the field is named. `UpstreamRejected`: Fingerprint refused the request as invalid.',
    content: json(errorWith('ValidationFailed', 'UpstreamRejected', 'RequestRejected'), {
      error: {
        code: 'ValidationFailed',
        message:
          'Invalid "requestId": expected "<13-digit ms timestamp>.<6 letters or digits>", e.g. "1708102555327.NLOjmg".',
        field: 'requestId',
      },
    }),
  },
  Unauthorized: {
    description:
      'The webhook delivery is not signed, its `FPJS-Event-Signature` matches no configured webhook secret, or (with basic auth enabled) it lacks the configured credentials. Nothing was stored.',
    headers: {
      'WWW-Authenticate': {
        description: 'Sent when basic auth credentials are missing or wrong.',
        schema: { type: 'string', pattern: '^Basic ' },
      },
    },
    content: json(errorWith('Unauthorized')),
  },
  Forbidden: {
    description:
      'The request is not signed with SigV4 for `execute-api`, the signature is wrong, or the caller may not invoke the API. An unknown route is answered this way too.',
    content: json(errorWith('AccessDenied', 'MissingAuthentication')),
  },
  NotFound: {
    description: 'Nothing matches.',
    content: json(errorWith('NotFound'), {
      error: {
        code: 'NotFound',
        message: 'No cached event has requestId "1708102555327.NLOjmg": enrich it with POST /enrich first.',
      },
    }),
  },
  PayloadTooLarge: {
    description:
      '`PayloadTooLarge`: a webhook body over 256 KiB, refused by its handler. `RequestRejected`: a request larger than API Gateway accepts (10 MB).',
    content: json(errorWith('PayloadTooLarge', 'RequestRejected')),
  },
  TooManyRequests: {
    description:
      "`UpstreamRateLimited`: Fingerprint kept rate limiting the service past the call's deadline. `UpstreamBudgetExhausted`: the fleet's own budget of Fingerprint calls (`FINGERPRINT_MAX_RPS`, shared by every instance) had no room within about a second; nothing was sent to Fingerprint. `Throttled`: the API stage's throttling.",
    headers: retryAfter(),
    content: json(errorWith('UpstreamRateLimited', 'UpstreamBudgetExhausted', 'Throttled')),
  },
  InternalError: {
    description: 'An unexpected failure; details are in the logs only.',
    content: json(errorWith('Internal', 'GatewayError')),
  },
  BadGateway: {
    description:
      "`UpstreamAuthFailed`: Fingerprint refused the configured key (the message names the setting to fix: FINGERPRINT_REGION, FINGERPRINT_SECRET_ID or the subscription). `UpstreamMisconfigured`: a 404 whose body is not a Fingerprint error (a proxy's or gateway's route-not-found): the message names FINGERPRINT_BASE_URL and FINGERPRINT_REGION. `UpstreamUnavailable`: Fingerprint answered 5xx or the network failed, after retries. `UpstreamBadResponse`: Fingerprint answered 2xx with content that cannot be used (not the documented shape, an event that cannot be normalized, an event for another id than the one asked for); the message names the cause, and asking again gets the same answer, so it is not retried. An upstream 504 is answered as `UpstreamTimeout` (504).",
    content: json(
      errorWith(
        'UpstreamAuthFailed',
        'UpstreamUnavailable',
        'UpstreamBadResponse',
        'UpstreamMisconfigured',
        'GatewayError',
      ),
    ),
  },
  ServiceUnavailable: {
    description:
      'DynamoDB kept throttling; retry after `Retry-After`. `SealedKeysUnavailable` (`POST /enrich` with a `sealedResult`): the keys of sealed results could not be read from Secrets Manager, or the secret is not a JSON list of base64 keys.',
    headers: retryAfter(),
    content: json(errorWith('StoreThrottled', 'SealedKeysUnavailable', 'GatewayError')),
  },
  GatewayTimeout: {
    description:
      "Fingerprint did not answer within the call's deadline, or the function did not answer in time.",
    content: json(errorWith('UpstreamTimeout', 'GatewayError')),
  },
};
