import type { RouteKey } from '../../shared/manifest/routes.js';
import { errorWith, json, ref, responseRef } from './build.js';
import type { JsonObject } from './json.js';

/** The headers of every success answer. */
const ANSWER_HEADERS: Readonly<Record<string, JsonObject>> = {
  'Cache-Control': {
    description: 'Answers are never cached by intermediaries.',
    schema: { const: 'no-store' },
  },
  'x-amzn-RequestId': {
    description: "API Gateway's request id, also in the access logs.",
    schema: { type: 'string' },
  },
};

/** The header of a read-through route's success answer: whether the cache or Fingerprint answered. */
const EVENT_SOURCE: Readonly<Record<string, JsonObject>> = {
  'X-Event-Source': {
    description:
      'Which source answered: `cache`, or `fingerprint` for a cache miss resolved through the Server API (and now stored).',
    schema: { type: 'string', enum: ['cache', 'fingerprint'] },
  },
};

/** A success answer: its description, the headers of every answer, then the route's own. */
function answered(description: string, headers: Readonly<Record<string, JsonObject>> = {}): JsonObject {
  return { description, headers: { ...ANSWER_HEADERS, ...headers } };
}

/** The words of `ii`, which Fingerprint's SDKs send (the example is of the SDK of the route's version). */
function ignoredSdkName(nodeSdkVersion: string): string {
  return `Accepted and ignored: Fingerprint's SDKs send their name and version, e.g. \`fingerprint-pro-server-node-sdk/${nodeSdkVersion}\`.`;
}

/** A route's words and error statuses; see the manifest for the rest. */
export interface OperationSource {
  readonly tags: readonly string[];
  readonly summary: string;
  readonly description: string;
  /** The description of each path or query parameter, by name (the schema is generated). */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Parameters no zod schema reads (headers the route accepts and ignores), as written in the document. */
  readonly extraParameters?: readonly JsonObject[];
  readonly requestBody?: JsonObject;
  /** The security of a public route (an IAM route has the document's default, SigV4). */
  readonly security?: readonly JsonObject[];
  /** The success answer, without its content (the schema is the route's answer type). */
  readonly success: JsonObject;
  /** The error statuses answered with the route's error shape's standard response. */
  readonly errors: readonly number[];
  /** Error answers particular to this route, by status. */
  readonly errorResponses?: Readonly<Record<string, JsonObject>>;
}

/** Each route's words, in the document's order. */
export const OPERATIONS: Record<RouteKey, OperationSource> = {
  'POST /enrich': {
    tags: ['Enrichment'],
    summary:
      'Resolve a requestId, linkedId or visitorId through the Fingerprint Server API, or open a sealed result, and store the events',
    description:
      'A `sealedResult` (Fingerprint\'s Sealed Client Results: the event the JS agent returns encrypted with the workspace\'s key) is decrypted with the configured keys (`FINGERPRINT_SEALED_KEYS_SECRET_ID`, tried in order), normalized and stored with no Server API call (`source: "sealed"`); with a `requestId` beside it, the sealed event must carry that id. Each way a sealed result cannot be used is a 400 with its own code, and nothing is stored; a deployment with no key answers 400 `SealedResultsNotConfigured`. A requestId already stored (and not expired) is answered from the cache with no upstream call, unless `refresh` is true. A history (`visitorId`, `linkedId` or both) covers the last `FINGERPRINT_HISTORY_DAYS` (30 by default, at most `EVENT_TTL_DAYS`) and always asks Fingerprint, following its pagination up to `maxEvents`. The first time, or with `refresh: true`, the whole window is fetched; after that only the events newer than the newest one fetched for exactly these filters (less a 10-minute overlap, for events Fingerprint makes searchable late), merged with the cached history: the answer is the same newest `maxEvents` events of the window either way, and re-enriching a history with nothing new costs one upstream call. Storing is idempotent: the same requestId is one item.',
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: ref('EnrichRequest'),
          examples: {
            requestId: {
              summary: 'One event',
              value: {
                requestId: '1708102555327.NLOjmg',
              },
            },
            refresh: {
              summary: 'One event, bypassing the cache',
              value: {
                requestId: '1708102555327.NLOjmg',
                refresh: true,
              },
            },
            linkedId: {
              summary: 'The events of a linkedId',
              value: {
                linkedId: 'order-123',
                maxEvents: 250,
              },
            },
            visitorId: {
              summary: "A visitor's history",
              value: {
                visitorId: 'Ibk1527CUFmcnjLwIs4A9',
              },
            },
            refreshHistory: {
              summary: "A visitor's history, fetching its whole window again",
              value: {
                visitorId: 'Ibk1527CUFmcnjLwIs4A9',
                refresh: true,
              },
            },
            both: {
              summary: "A visitor's events with a linkedId",
              value: {
                visitorId: 'Ibk1527CUFmcnjLwIs4A9',
                linkedId: 'order-123',
              },
            },
            sealed: {
              summary:
                "A sealed client result, opened with no Server API call (Fingerprint's published test vector)",
              value: {
                sealedResult:
                  'noXc7SXO+mqeAGrvBMgObi/S0fXTpP3zupk8qFqsO/1zdtWCD169iLA3VkkZh9ICHpZ0oWRzqG0M9/TnCeKFohgBLqDp6O0zEfXOv6i5q++aucItznQdLwrKLP+O0blfb4dWVI8/aSbd4ELAZuJJxj9bCoVZ1vk+ShbUXCRZTD30OIEAr3eiG9aw00y1UZIqMgX6CkFlU9L9OnKLsNsyomPIaRHTmgVTI5kNhrnVNyNsnzt9rY7fUD52DQxJILVPrUJ1Q+qW7VyNslzGYBPG0DyYlKbRAomKJDQIkdj/Uwa6bhSTq4XYNVvbk5AJ/dGwvsVdOnkMT2Ipd67KwbKfw5bqQj/cw6bj8Cp2FD4Dy4Ud4daBpPRsCyxBM2jOjVz1B/lAyrOp8BweXOXYugwdPyEn38MBZ5oL4D38jIwR/QiVnMHpERh93jtgwh9Abza6i4/zZaDAbPhtZLXSM5ztdctv8bAb63CppLU541Kf4OaLO3QLvfLRXK2n8bwEwzVAqQ22dyzt6/vPiRbZ5akh8JB6QFXG0QJF9DejsIspKF3JvOKjG2edmC9o+GfL3hwDBiihYXCGY9lElZICAdt+7rZm5UxMx7STrVKy81xcvfaIp1BwGh/HyMsJnkE8IczzRFpLlHGYuNDxdLoBjiifrmHvOCUDcV8UvhSV+UAZtAVejdNGo5G/bz0NF21HUO4pVRPu6RqZIs/aX4hlm6iO/0Ru00ct8pfadUIgRcephTuFC2fHyZxNBC6NApRtLSNLfzYTTo/uSjgcu6rLWiNo5G7yfrM45RXjalFEFzk75Z/fu9lCJJa5uLFgDNKlU+IaFjArfXJCll3apbZp4/LNKiU35ZlB7ZmjDTrji1wLep8iRVVEGht/DW00MTok7Zn7Fv+MlxgWmbZB3BuezwTmXb/fNw==',
                requestId: '1703067132750.Z5hutJ',
              },
            },
          },
        },
      },
    },
    success: answered('The events, resolved and stored (or the cached event).'),
    errors: [403, 404, 413, 429, 500, 502, 503, 504],
    errorResponses: {
      '400': responseRef('EnrichBadRequest'),
    },
  },
  'GET /visitors/{visitorId}': {
    tags: ['Cache'],
    summary: "A visitor's cached history in Fingerprint's v3 `GET /visitors/{visitor_id}` contract",
    description:
      'Served from the cache only, so callers written against the v3 endpoint keep working after Fingerprint removes it. With v3\'s semantics: `limit` is the number of visits **scanned** (newest first) before the `request_id` and `linked_id` filters, so a page costs at most `limit` reads however selective the filters, and may hold fewer visits than `limit` (none, even) with a `paginationKey` to go on. `lastTimestamp` and `paginationKey` name the last visit scanned and appear only when more cached visits exist; passing either back gives the next page with no gap and no duplicate. A visitor with nothing cached gets `"visits": []`. Errors from the function keep v3\'s shape `{"error": "<message>"}` (`ErrorPlainResponse`) with our code in `X-Error-Code`; answers API Gateway gives by itself (a refused signature, its throttling) have the shape of every route. Fingerprint\'s SDKs work against it with only their host changed: `ii`, `api_key` and `Auth-API-Key` are accepted and ignored.',
    parameters: {
      request_id:
        'Only this visit, if it is among the visits the page scans (v3: filters apply after `limit`). Page on with `paginationKey` to scan further.',
      linked_id: 'Only visits with this linkedId, among the visits the page scans.',
      limit:
        "Visits scanned for the page, newest first, before the `request_id` / `linked_id` filters (v3's semantics): a page holds at most this many visits, fewer when a filter leaves some out, and costs at most this many reads.",
      before: 'Only visits strictly older than this ms timestamp (pass back `lastTimestamp`).',
      paginationKey: 'Continue after this visit (pass back `paginationKey`).',
      ii: ignoredSdkName('6.10.0'),
      api_key:
        'Accepted and ignored: IAM authenticates callers. A Fingerprint key sent here is never read, logged, answered or stored; better not to send one.',
    },
    extraParameters: [
      {
        name: 'Auth-API-Key',
        in: 'header',
        required: false,
        description: 'Accepted and ignored, like `api_key`: v3 SDKs send their key here.',
        schema: {
          type: 'string',
        },
      },
    ],
    success: answered("The visitor's cached visits, newest first."),
    errors: [400, 403, 429, 500, 502, 503, 504],
  },
  'DELETE /visitors/{visitorId}': {
    tags: ['Erasure'],
    summary: 'Erase every cached event of a visitor, and on request its data at Fingerprint',
    description:
      "Erases the visitor: records the erasure (keyed by a SHA-256 of the visitorId, kept longer than any older event could still be stored, then expired by TTL), then deletes every cached event of the visitor up to the erasure time, expired ones included, and answers how many. From then on every write path (`POST /enrich`, read-through, the queue, webhooks) drops the visitor's events that happened before the erasure, racing writes included; events that happen after it are new data. Erasing a visitor never seen still records the erasure. Idempotent: a second call deletes 0 and moves `erasedAt` forward. With `upstream=true` (allowed when the deployment enables `upstreamErasureEnabled`; else 400 and nothing is erased) the service also calls Fingerprint's Delete API after erasing the cache; its outcome, failures included, is in `upstream`, never hidden behind the 200.",
    parameters: {
      upstream: "`true` also asks Fingerprint to delete the visitor's data.",
    },
    success: answered('What was erased.'),
    errors: [400, 403, 429, 500, 502, 503, 504],
  },
  'GET /events/{requestId}': {
    tags: ['Cache'],
    summary: 'One event: from the cache, or on a miss from Fingerprint (read-through)',
    description:
      "A cached event (not expired) is answered from the cache. On a miss, when read-through is enabled (`readThroughEnabled`, on by default), the event is resolved through the Fingerprint Server API, stored, and answered; `X-Event-Source` says which. 404 when neither has it (or read-through is off and it is not cached), and when the event's visitor was erased after it happened: it is then neither answered nor stored. A miss costs one Server API call and can meet its errors: 429, 502, 504 as for `POST /enrich`.",
    success: answered('The event.', EVENT_SOURCE),
    errors: [400, 403, 404, 429, 500, 502, 503, 504],
  },
  'GET /events': {
    tags: ['Cache'],
    summary: 'A page of cached events by visitorId and/or linkedId',
    description:
      "Pass `visitorId`, `linkedId` or both (else 400 naming `visitorId`). `limit` bounds what a page costs, as v3's `limit` does on `GET /visitors/{visitorId}`: it is the number of events read for the page, before the `linkedId` filter of a visitor query, so a page may hold fewer events than `limit` (none, even) with a `nextCursor` to go on. Cursors are opaque and bound to the query: a malformed, altered or foreign cursor is a 400 naming `cursor`.",
    parameters: {
      visitorId: "The visitor's events (optionally only those with `linkedId`).",
      linkedId: 'The events with this linkedId, across visitors.',
      limit:
        'Events read for the page, newest first, before the `linkedId` filter of a visitor query: a page holds at most this many events and costs at most this many reads.',
      cursor: '`nextCursor` of the previous page.',
    },
    success: answered('A page of cached events, newest first.'),
    errors: [400, 403, 429, 500, 502, 503, 504],
  },
  'POST /webhooks/fingerprint': {
    tags: ['Webhooks'],
    summary: 'Receive a Fingerprint webhook delivery and store its event',
    description:
      'Set this URL as the webhook in the Fingerprint dashboard. Not IAM-authorized (Fingerprint cannot sign with SigV4): a delivery must carry `FPJS-Event-Signature` matching its exact body under the webhook secret, and, when enabled, the basic auth credentials. A refused delivery stores nothing. A delivery never changes a stored event: the first copy of an event stays, so Fingerprint\'s retry of a failed delivery (once, 5 minutes later, same event) and any replay leave it as it is (`reason: "alreadyStored"`), and a delivery carrying a stored requestId with another visitorId or timestamp is acknowledged without being stored (`reason: "conflict"`). Events older than `WEBHOOK_MAX_EVENT_AGE_SECONDS` (default 3600) or more than 5 minutes in the future are acknowledged without being stored too (`stale`, `future`). Until the webhook secret is set or while it cannot be read, signed deliveries get 503 `WebhookNotConfigured`. The route is throttled on its own (`webhookThrottleRateLimit`, `webhookThrottleBurstLimit`) and may be limited to source ranges (`webhookAllowedSourceCidrs`).',
    requestBody: {
      required: true,
      description: 'At most 256 KiB.',
      content: {
        'application/json': {
          schema: ref('FingerprintWebhook'),
        },
      },
    },
    security: [
      {
        webhookSignature: [],
      },
      {
        webhookSignature: [],
        webhookBasicAuth: [],
      },
    ],
    success: answered('Received: the event is stored (or can never be, see `stored`).'),
    errors: [400, 401, 403, 413, 429, 500, 502, 504],
    errorResponses: {
      '503': {
        description:
          'The webhook secret is missing or unreadable (`WebhookNotConfigured`: put the signing secret in the webhook secret; Fingerprint retries the delivery 5 minutes later), or DynamoDB kept throttling (`StoreThrottled`).',
        content: json(errorWith('WebhookNotConfigured', 'StoreThrottled', 'GatewayError')),
      },
    },
  },
  'GET /v4/events/{event_id}': {
    tags: ['Fingerprint v4'],
    summary: "One event in Fingerprint's v4 `GET /v4/events/{event_id}` contract",
    description:
      "The event in v4's `Event` shape: Fingerprint's own copy, exactly as received, for an event that reached the service in v4 form; rendered from the normalized view otherwise (docs/storage.md says what that leaves out). A cache miss reads through to the Server API when `READ_THROUGH_ENABLED` (and is stored), exactly like `GET /events/{requestId}`: same coalescing of concurrent misses, same erasure rules. Errors from the function keep v4's shape. `ruleset_id` is refused: the cache cannot evaluate rulesets.",
    parameters: {
      event_id: 'The event id (requestId).',
      ii: ignoredSdkName('7.7.1'),
    },
    success: answered('The event.', EVENT_SOURCE),
    errors: [400, 403, 404, 429, 500, 502, 503, 504],
  },
  'GET /v4/events': {
    tags: ['Fingerprint v4'],
    summary: "Cached events in Fingerprint's v4 `GET /v4/events` contract",
    description:
      "From the cache only, with v4's semantics: the events of a `visitor_id` (optionally only those with a `linked_id`) or of a `linked_id`, strictly after `start` (default: 7 days ago) and strictly before `end` (default: now, included), newest first or, with `reverse=true`, oldest first; at most `limit` per page (default 10, at most 100) and a `pagination_key` while more remain. A page of a `visitor_id` + `linked_id` search reads at most 1,000 of the visitor's events, so it may hold fewer than `limit` with a `pagination_key` to go on. Each event is Fingerprint's own copy when the cache keeps it, else rendered from the normalized view. v4's other filters (`bot`, `vpn`, `suspect`, `total_hits`, …) are refused by name rather than ignored; a search without `visitor_id` or `linked_id` is refused. Errors from the function keep v4's shape.",
    parameters: {
      pagination_key: 'The `pagination_key` of the previous page, unchanged, with the same other parameters.',
      start: 'Only events after it: an RFC3339 date-time, or Unix milliseconds. Default: 7 days ago.',
      end: 'Only events before it, as `start`. Default: now.',
      reverse: '`true`: oldest first.',
      ii: ignoredSdkName('7.7.1'),
    },
    success: answered('A page of cached events.'),
    errors: [400, 403, 429, 500, 503],
    errorResponses: {
      '504': responseRef('GatewayTimeout'),
    },
  },
};
