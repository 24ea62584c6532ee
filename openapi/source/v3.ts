import {
  BOOLEAN,
  closed,
  count,
  each,
  errorCodeHeaders,
  fingerprintErrorOr,
  json,
  listOf,
  ref,
  retryAfter,
  STRING,
} from './build.js';
import { ACCURACY_RADIUS, COORDINATES, REGIONS } from './events.js';
import type { JsonObject } from './json.js';

/** The fields of v3's `browserDetails`, all strings. */
const V3_BROWSER_FIELDS = [
  'browserName',
  'browserMajorVersion',
  'browserFullVersion',
  'os',
  'osVersion',
  'device',
  'userAgent',
];

/** Fingerprint's v3 `GET /visitors/{visitor_id}` answer. */
export const V3_SCHEMAS: Readonly<Record<string, JsonObject>> = {
  V3BrowserDetails: closed(V3_BROWSER_FIELDS, each(STRING, ...V3_BROWSER_FIELDS)),
  V3IpLocation: {
    type: 'object',
    additionalProperties: false,
    properties: {
      accuracyRadius: ACCURACY_RADIUS,
      ...COORDINATES,
      ...each(STRING, 'postalCode', 'timezone'),
      city: closed(['name'], {
        name: STRING,
      }),
      ...REGIONS,
    },
  },
  V3Visit: {
    type: 'object',
    additionalProperties: false,
    description:
      'A visit of Fingerprint\'s v3 `GET /visitors/{visitor_id}`, without `components` (raw device attributes are not stored). Fields v3 requires but an event lacks get the empty value (`""`, `false`, `{}`, `null` seen-at times).',
    required: [
      'requestId',
      'browserDetails',
      'incognito',
      'ip',
      'timestamp',
      'time',
      'url',
      'tag',
      'visitorFound',
      'firstSeenAt',
      'lastSeenAt',
    ],
    properties: {
      requestId: ref('RequestId'),
      browserDetails: ref('V3BrowserDetails'),
      incognito: BOOLEAN,
      ip: STRING,
      ipLocation: ref('V3IpLocation'),
      linkedId: ref('LinkedId'),
      timestamp: count(),
      time: {
        type: 'string',
        format: 'date-time',
      },
      url: STRING,
      tag: {
        type: 'object',
        description:
          'As in `NormalizedEvent.tag`, changed only where DynamoDB cannot hold it; `{}` when there is none.',
      },
      confidence: ref('Confidence'),
      visitorFound: BOOLEAN,
      firstSeenAt: ref('SeenAt'),
      lastSeenAt: ref('SeenAt'),
    },
  },
  VisitorHistory: {
    type: 'object',
    additionalProperties: false,
    required: ['visitorId', 'visits'],
    description: "Fingerprint's v3 `GET /visitors/{visitor_id}` answer, from the cache.",
    dependentRequired: {
      lastTimestamp: ['paginationKey'],
      paginationKey: ['lastTimestamp'],
    },
    properties: {
      visitorId: ref('VisitorId'),
      visits: listOf('V3Visit', 'Newest first; empty for a visitor with nothing cached.'),
      lastTimestamp: count(
        'Present only when more visits exist: the timestamp of the last visit scanned; pass it back as `before` for the next page.',
      ),
      paginationKey: {
        allOf: [ref('RequestId')],
        description:
          'Present only when more visits exist: the requestId of the last visit scanned (a filter may have left it out of `visits`); pass it back as `paginationKey` for the next page.',
      },
    },
  },
};

/** v3's error body. */
export const V3_ERROR_SCHEMAS: Readonly<Record<string, JsonObject>> = {
  PlainError: {
    type: 'object',
    additionalProperties: false,
    required: ['error'],
    description:
      "Fingerprint's v3 `ErrorPlainResponse`, which `GET /visitors/{visitorId}` answers so that v3 callers and SDKs read our errors as Fingerprint's. The code (and the field at fault) are in the `X-Error-Code` and `X-Error-Field` headers.",
    properties: {
      error: {
        type: 'string',
        minLength: 1,
        description:
          'What is wrong and how to fix it; a validation error names the field. Never holds a key.',
      },
    },
  },
};

/**
 * The error responses of the v3 route: v3's body from the function, with our code in `X-Error-Code`; API
 * Gateway's own answers in the service's shape.
 */
export const V3_RESPONSES: Readonly<Record<string, JsonObject>> = {
  V3BadRequest: {
    description:
      'Invalid input. From the function, v3\'s `{"error": "<message>"}` naming the field, with `X-Error-Code: ValidationFailed` and `X-Error-Field`. From API Gateway itself (`RequestRejected`), the `{"error": {"code", "message"}}` shape of every route.',
    content: json(
      fingerprintErrorOr('PlainError', 'ValidationFailed', 'UpstreamRejected', 'RequestRejected'),
    ),
    headers: errorCodeHeaders('v3', 'ValidationFailed'),
  },
  V3InternalError: {
    description:
      "An unexpected failure; details are in the logs only. From the function in v3's shape (`X-Error-Code: Internal`); API Gateway's own `GatewayError` in the shape of every route.",
    content: json(fingerprintErrorOr('PlainError', 'Internal', 'GatewayError')),
    headers: errorCodeHeaders('v3', 'Internal'),
  },
  V3ServiceUnavailable: {
    description:
      "DynamoDB kept throttling; retry after `Retry-After`. From the function in v3's shape (`X-Error-Code: StoreThrottled`).",
    // v3's route has no upstream budget to exhaust.
    headers: {
      ...retryAfter('`UpstreamRateLimited` and `StoreThrottled`'),
      ...errorCodeHeaders('v3', 'StoreThrottled'),
    },
    content: json(fingerprintErrorOr('PlainError', 'StoreThrottled', 'GatewayError')),
  },
};
