import {
  BOOLEAN,
  closed,
  count,
  errorCodeHeaders,
  fingerprintErrorOr,
  json,
  listOf,
  ref,
  retryAfter,
  STRING,
} from './build.js';
import type { JsonObject } from './json.js';

/** Fingerprint's v4 Event, EventSearch and ErrorResponse. */
export const V4_SCHEMAS: Readonly<Record<string, JsonObject>> = {
  V4Event: {
    type: 'object',
    required: ['event_id', 'timestamp'],
    description:
      "An event in the shape of the official Server API v4 document's `Event` (`test/fixtures/fingerprint/openapi/fingerprint-server-api-v4-with-examples.yaml`), which is the authority on its fields. For an event that reached the service in v4 form (Server API v4, v4 webhooks) it is Fingerprint's own copy exactly as received; otherwise (a v3-sourced event, or `STORE_UPSTREAM_EVENTS` off) it is rendered from the normalized view and leaves out what that view does not keep (docs/storage.md lists it).",
    properties: {
      event_id: ref('RequestId'),
      timestamp: count('When the event happened, ms since the epoch.'),
      linked_id: STRING,
      tags: {
        type: 'object',
      },
      identification: {
        type: 'object',
        required: ['visitor_id', 'visitor_found'],
        properties: {
          visitor_id: ref('VisitorId'),
          visitor_found: BOOLEAN,
        },
      },
    },
    additionalProperties: true,
  },
  V4EventSearch: {
    type: 'object',
    additionalProperties: false,
    required: ['events'],
    description:
      'The official v4 `EventSearch`: a page of events and, while more remain, the key of the next page.',
    properties: {
      events: listOf('V4Event'),
      pagination_key: {
        type: 'string',
        minLength: 1,
        description: 'Pass back as `pagination_key`, with the same other parameters, for the next page.',
      },
    },
  },
  V4Error: {
    type: 'object',
    additionalProperties: false,
    required: ['error'],
    description:
      "Fingerprint's v4 `ErrorResponse`, which the v4 routes' functions answer so that v4 callers and SDKs read our errors as Fingerprint's. Our own code (and the field at fault) are in the `X-Error-Code` and `X-Error-Field` headers.",
    properties: {
      error: closed(['code', 'message'], {
        code: {
          type: 'string',
          enum: [
            'request_cannot_be_parsed',
            'request_read_timeout',
            'secret_api_key_required',
            'secret_api_key_not_found',
            'public_api_key_required',
            'public_api_key_not_found',
            'subscription_not_active',
            'wrong_region',
            'feature_not_enabled',
            'visitor_not_found',
            'too_many_requests',
            'state_not_ready',
            'failed',
            'event_not_found',
            'missing_module',
            'payload_too_large',
            'service_unavailable',
            'ruleset_not_found',
          ],
          description:
            'The official v4 `ErrorCode`. Ours map to `request_cannot_be_parsed` (ValidationFailed, UpstreamRejected), `event_not_found` (NotFound), `too_many_requests` (UpstreamRateLimited, UpstreamBudgetExhausted), `payload_too_large`, `secret_api_key_not_found` (Unauthorized), `service_unavailable` (the upstream and store failures) and `failed` (Internal).',
        },
        message: {
          type: 'string',
          minLength: 1,
          description:
            'What is wrong and how to fix it; a validation error names the field. Never holds a key.',
        },
      }),
    },
  },
};

/**
 * The error responses of the v4 routes: v4's `ErrorResponse` from the function, with our code in
 * `X-Error-Code`; API Gateway's own answers in the service's shape.
 */
export const V4_RESPONSES: Readonly<Record<string, JsonObject>> = {
  V4BadRequest: {
    description:
      "Invalid input: from the function, v4's `request_cannot_be_parsed` naming the field, with `X-Error-Code: ValidationFailed` (or `UpstreamRejected` when Fingerprint refused a read-through) and `X-Error-Field`. Among them: a v4 filter this cache does not serve (e.g. `bot`, `ruleset_id`), named. From API Gateway itself (`RequestRejected`), the shape of every route.",
    headers: errorCodeHeaders('v4', 'ValidationFailed', 'UpstreamRejected'),
    content: json(fingerprintErrorOr('V4Error', 'RequestRejected')),
  },
  V4NotFound: {
    description:
      '`event_not_found`: the event is not cached and, with read-through, Fingerprint does not know it (or no longer keeps it), or its visitor was erased. `X-Error-Code: NotFound`.',
    headers: errorCodeHeaders('v4', 'NotFound'),
    content: json(ref('V4Error')),
  },
  V4TooManyRequests: {
    description:
      "`too_many_requests` from the function (`UpstreamRateLimited`, `UpstreamBudgetExhausted`: a read-through found no room); API Gateway's own `Throttled` in the shape of every route.",
    headers: { ...retryAfter(), ...errorCodeHeaders('v4', 'UpstreamRateLimited', 'UpstreamBudgetExhausted') },
    content: json(fingerprintErrorOr('V4Error', 'Throttled')),
  },
  V4InternalError: {
    description:
      "`failed`: an unexpected failure; details are in the logs only (`X-Error-Code: Internal`). API Gateway's own `GatewayError` in the shape of every route.",
    headers: errorCodeHeaders('v4', 'Internal'),
    content: json(fingerprintErrorOr('V4Error', 'GatewayError')),
  },
  V4BadGateway: {
    description:
      "`service_unavailable`: a read-through failed at Fingerprint (`X-Error-Code` `UpstreamAuthFailed`, `UpstreamMisconfigured`, `UpstreamUnavailable` or `UpstreamBadResponse`, as on `GET /events/{requestId}`). API Gateway's own `GatewayError` in the shape of every route.",
    headers: errorCodeHeaders(
      'v4',
      'UpstreamAuthFailed',
      'UpstreamMisconfigured',
      'UpstreamUnavailable',
      'UpstreamBadResponse',
    ),
    content: json(fingerprintErrorOr('V4Error', 'GatewayError')),
  },
  V4ServiceUnavailable: {
    description:
      '`service_unavailable`: DynamoDB kept throttling (`X-Error-Code: StoreThrottled`); retry after `Retry-After`.',
    headers: { ...retryAfter(), ...errorCodeHeaders('v4', 'StoreThrottled') },
    content: json(ref('V4Error')),
  },
  V4GatewayTimeout: {
    description:
      "`service_unavailable`: Fingerprint did not answer a read-through in time (`X-Error-Code: UpstreamTimeout`). API Gateway's own `GatewayError` when the function did not answer in time.",
    headers: errorCodeHeaders('v4', 'UpstreamTimeout'),
    content: json(fingerprintErrorOr('V4Error', 'GatewayError')),
  },
};
