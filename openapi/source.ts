/**
 * What `openapi/openapi.json` says that the code cannot: the words (summaries, descriptions, examples), the
 * answer schemas (no zod schema validates an answer, so they are authored here: NormalizedEvent, V3Visit,
 * V4Event...), the shared error responses, and for each route which error statuses it documents. Everything
 * else is generated from the service manifest by `generate.ts` (`npm run openapi`): the paths and methods, their
 * security, their path and query parameters (from the zod schemas the handlers parse with), each answer's
 * schema reference, each error response by the route's error shape, and the error code enum.
 */
import {
  ID_MAX_LENGTH,
  ID_PATTERN,
  PAGE_SIZES,
  SEALED_RESULT_MAX_BASE64_CHARS,
} from '../shared/manifest/limits.js';
import type { RouteKey } from '../shared/manifest/routes.js';

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
type JsonObject = { readonly [key: string]: Json };

/**
 * An id schema of the one id rule (`shared/manifest/limits.ts`): its bound, its pattern and its words, after a
 * description of the kind of id.
 */
function idSchema(kind: string, example: string): JsonObject {
  return {
    type: 'string',
    minLength: 1,
    maxLength: ID_MAX_LENGTH,
    pattern: ID_PATTERN,
    description: `${kind}1 to ${ID_MAX_LENGTH} characters (Unicode code points), without control characters (U+0000–U+001F, U+007F–U+009F, U+2028, U+2029) or unpaired surrogates, and not \`.\` or \`..\` (which no URL path can carry). Any other character is allowed: in a path or query string, percent-encode the id as one component (\`encodeURIComponent\`), slashes included.`,
    examples: [example],
  };
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

/** The document's head: version, info, servers, default security, tags. */
export const HEAD: JsonObject = {
  openapi: '3.1.1',
  info: {
    title: 'Fingerprint event enrichment',
    version: '0.1.0',
    summary: 'Resolve Fingerprint identifications once, store them normalized, and serve the cached history.',
    description:
      'Every route answers JSON. Errors are `{"error": {"code", "message", "field"?}}`, except those of Fingerprint\'s own routes from their functions: `GET /visitors/{visitorId}` keeps Fingerprint\'s v3 shape `{"error": "<message>"}` and `GET /v4/events`, `GET /v4/events/{event_id}` its v4 shape `{"error": {"code": <v4 code>, "message"}}`, each with our code in `X-Error-Code`; a bad input is always a 4xx that names the field, never a 5xx. Calls are authorized with IAM: sign them with AWS Signature Version 4 for the `execute-api` service (the `client` export of this package does). The one exception is `POST /webhooks/fingerprint`, which Fingerprint calls: it is authenticated by the `FPJS-Event-Signature` HMAC (and optional basic auth) instead. The local server (`npm start`) serves the same routes without enforcing IAM.',
    license: {
      name: 'MIT',
      identifier: 'MIT',
    },
  },
  jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
  servers: [
    {
      url: 'https://{apiId}.execute-api.{region}.amazonaws.com/{stage}',
      description: 'The deployed REST API (IAM authorization).',
      variables: {
        apiId: {
          default: 'abc123',
          description: "The API's id (stack output).",
        },
        region: {
          default: 'eu-west-1',
        },
        stage: {
          default: 'prod',
        },
      },
    },
    {
      url: 'http://127.0.0.1:3000',
      description: '`npm start`: the local server (IAM not enforced).',
    },
  ],
  security: [
    {
      sigv4: [],
    },
  ],
  tags: [
    {
      name: 'Enrichment',
      description: 'Calls the Fingerprint Server API and stores what it answers.',
    },
    {
      name: 'Cache',
      description:
        'Reads the store. Only `GET /events/{requestId}` may call Fingerprint, to resolve a cache miss (read-through).',
    },
    {
      name: 'Erasure',
      description: "Deletes a visitor's data: from the cache, and on request at Fingerprint.",
    },
    {
      name: 'Webhooks',
      description: 'Called by Fingerprint, not by your services: events pushed as they happen.',
    },
    {
      name: 'Fingerprint v4',
      description:
        "Fingerprint's own Server API v4 read contract, served from the cache: Fingerprint's official v4 SDKs work against these routes with only their host changed (and SigV4 signing).",
    },
  ],
};

/** The components. The error code enum of `Error` is generated from the manifest's error codes. */
export const COMPONENTS: JsonObject = {
  securitySchemes: {
    sigv4: {
      type: 'apiKey',
      name: 'Authorization',
      in: 'header',
      description:
        "AWS Signature Version 4 for the `execute-api` service, with credentials of a principal the API's resource policy admits. Temporary credentials add `X-Amz-Security-Token`.",
      'x-amazon-apigateway-authtype': 'awsSigv4',
    },
    webhookSignature: {
      type: 'apiKey',
      in: 'header',
      name: 'FPJS-Event-Signature',
      description:
        "Fingerprint's webhook signature: a comma-separated list of `v1=<hex HMAC-SHA256 of the raw body>`, one per signing secret active at Fingerprint, keyed with the webhook signing secret. The service accepts a delivery when any entry matches under any secret of its webhook secret (two during a rotation).",
    },
    webhookBasicAuth: {
      type: 'http',
      scheme: 'basic',
      description:
        'The credentials configured on the webhook in the Fingerprint dashboard; required only when the deployment enables webhook basic auth (`webhookBasicAuthEnabled`).',
    },
  },
  schemas: {
    RequestId: idSchema(
      "A Fingerprint requestId (v4 `event_id`), exactly as Fingerprint returned it: usually `<13-digit ms timestamp>.<6 letters or digits>` such as `1708102555327.NLOjmg`, or 20 letters or digits such as `0KSh65EnVoB85JBmloQK` in older examples. Fingerprint's documents type it as a plain string, so any id of the one id rule is accepted: ",
      '1708102555327.NLOjmg',
    ),
    VisitorId: idSchema(
      "A Fingerprint visitorId, exactly as Fingerprint returned it (20 letters or digits in practice). Fingerprint's documents type it as a plain string, so any id of the one id rule is accepted: ",
      'Ibk1527CUFmcnjLwIs4A9',
    ),
    LinkedId: idSchema(
      'Your own id attached to identifications (a session, order or account id). The one id rule: ',
      'order-123',
    ),
    EnrichRequest: {
      description:
        'Exactly one form: a `requestId` (with optional `refresh`), a history by `visitorId`, `linkedId` or both (with optional `maxEvents` and `refresh`), or a `sealedResult` (with optional `requestId`). Unknown fields are refused. At most 128 KiB.',
      oneOf: [
        {
          $ref: '#/components/schemas/EnrichByRequestId',
        },
        {
          $ref: '#/components/schemas/EnrichHistory',
        },
        {
          $ref: '#/components/schemas/EnrichSealed',
        },
      ],
    },
    EnrichSealed: {
      type: 'object',
      additionalProperties: false,
      required: ['sealedResult'],
      properties: {
        sealedResult: {
          type: 'string',
          minLength: 44,
          maxLength: SEALED_RESULT_MAX_BASE64_CHARS,
          pattern: '^[A-Za-z0-9+/]+={0,2}$',
          contentEncoding: 'base64',
          description:
            'The `sealedResult` the Fingerprint JS agent returned, as is: standard base64 of the header `9E 85 DC ED`, a 12-byte nonce, and the AES-256-GCM ciphertext of the raw-deflated event (a v3 events response or a v4 Event) with its 16-byte tag. At most 65,536 bytes decoded (87,384 characters). Errors: `SealedResultNotBase64`, `SealedResultTooShort`, `SealedResultTooLarge`, `SealedResultBadHeader`, `SealedResultUndecryptable` (no configured key opens it), `SealedResultNotAnEvent`.',
        },
        requestId: {
          $ref: '#/components/schemas/RequestId',
          description:
            'When sent, the sealed event must carry this requestId, else 400 `SealedResultRequestIdMismatch`.',
        },
      },
    },
    EnrichByRequestId: {
      type: 'object',
      additionalProperties: false,
      required: ['requestId'],
      properties: {
        requestId: {
          $ref: '#/components/schemas/RequestId',
        },
        refresh: {
          type: 'boolean',
          default: false,
          description: 'Ask Fingerprint even if the event is cached (and not expired).',
        },
      },
    },
    EnrichHistory: {
      type: 'object',
      additionalProperties: false,
      anyOf: [
        {
          required: ['visitorId'],
        },
        {
          required: ['linkedId'],
        },
      ],
      properties: {
        visitorId: {
          $ref: '#/components/schemas/VisitorId',
        },
        linkedId: {
          $ref: '#/components/schemas/LinkedId',
        },
        maxEvents: {
          type: 'integer',
          minimum: 1,
          maximum: PAGE_SIZES.enrichHistory.max,
          default: PAGE_SIZES.enrichHistory.default,
          description: "How many events to pull at most, newest first, following Fingerprint's pagination.",
        },
        refresh: {
          type: 'boolean',
          default: false,
          description:
            'Fetch the whole window (`FINGERPRINT_HISTORY_DAYS`) again instead of only what is newer than the cached history: picks up changes Fingerprint made to older events (e.g. through its Update API).',
        },
      },
    },
    EnrichResponse: {
      type: 'object',
      additionalProperties: false,
      required: ['events', 'source', 'stored', 'skipped', 'complete', 'suppressed'],
      properties: {
        events: {
          type: 'array',
          items: {
            $ref: '#/components/schemas/NormalizedEvent',
          },
          description:
            'Newest first. For a history: the newest `maxEvents` events of the window, whether all of them came from Fingerprint in this call or the cached history was refreshed with the newer ones. Skipped events, and events of a visitor erased after they happened (see `suppressed`), are not in it.',
        },
        source: {
          type: 'string',
          enum: ['cache', 'fingerprint', 'sealed'],
          description:
            '`cache`: a cached requestId, answered with no upstream call; `sealed`: a `sealedResult`, opened and stored with no upstream call.',
        },
        stored: {
          type: 'integer',
          minimum: 0,
          description: 'How many events this call wrote to the store.',
        },
        skipped: {
          type: 'object',
          additionalProperties: false,
          required: ['count', 'reasons'],
          description:
            'Events of a history that Fingerprint returned but that could not be used: neither stored nor answered. One bad event never fails the history. Always `{"count": 0, "reasons": {}}` for a requestId, which either succeeds or fails as a whole.',
          properties: {
            count: {
              type: 'integer',
              minimum: 0,
            },
            reasons: {
              type: 'object',
              additionalProperties: {
                type: 'integer',
                minimum: 1,
              },
              description:
                "How many events were skipped per reason; the counts add up to `count`. A reason is the path of the field at fault in Fingerprint's payload (e.g. `identification.visitor_id`, `products.identification.data`, `timestamp`), or `unstorable` for an event DynamoDB refused. Each skipped event is logged at WARN with its reason.",
            },
          },
        },
        complete: {
          type: 'boolean',
          description:
            "`true` when the answer holds every event Fingerprint has for the query: paging ran until Fingerprint reported no further page and no event was skipped. `false` when the answer is partial: events were skipped (see `skipped`); `maxEvents` was reached while Fingerprint had more; Fingerprint repeated a pagination key (paging stops with what was fetched); or a later page's content was unusable (paging stops with the pages before it). Everything in `events` is stored all the same. Always `true` for a requestId.",
        },
        suppressed: {
          type: 'integer',
          minimum: 0,
          description:
            'How many events Fingerprint returned that were dropped, neither stored nor in `events`, because their visitor was erased (`DELETE /visitors/{visitorId}`) at or after the moment they happened. Events that happen after an erasure are new data and are stored.',
        },
      },
    },
    BrowserInfo: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'majorVersion', 'fullVersion', 'os', 'osVersion', 'device', 'userAgent'],
      properties: {
        name: {
          type: 'string',
        },
        majorVersion: {
          type: 'string',
        },
        fullVersion: {
          type: 'string',
        },
        os: {
          type: 'string',
        },
        osVersion: {
          type: 'string',
        },
        device: {
          type: 'string',
        },
        userAgent: {
          type: 'string',
        },
      },
      description: 'Empty strings where Fingerprint did not say (e.g. mobile events have no browser name).',
    },
    NamedCode: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'name'],
      properties: {
        code: {
          type: 'string',
        },
        name: {
          type: 'string',
        },
      },
    },
    Subdivision: {
      type: 'object',
      additionalProperties: false,
      required: ['isoCode', 'name'],
      properties: {
        isoCode: {
          type: 'string',
        },
        name: {
          type: 'string',
        },
      },
    },
    Location: {
      type: 'object',
      additionalProperties: false,
      description: "Where the event's IP address is, from Fingerprint's IP geolocation.",
      properties: {
        city: {
          type: 'string',
        },
        country: {
          $ref: '#/components/schemas/NamedCode',
        },
        continent: {
          $ref: '#/components/schemas/NamedCode',
        },
        subdivisions: {
          type: 'array',
          items: {
            $ref: '#/components/schemas/Subdivision',
          },
        },
        latitude: {
          type: 'number',
          minimum: -90,
          maximum: 90,
          description: 'Omitted when Fingerprint sent a value outside the range.',
        },
        longitude: {
          type: 'number',
          minimum: -180,
          maximum: 180,
          description: 'Omitted when Fingerprint sent a value outside the range.',
        },
        postalCode: {
          type: 'string',
        },
        timezone: {
          type: 'string',
        },
        accuracyRadius: {
          type: 'integer',
          minimum: 0,
          description: 'Kilometres; omitted when Fingerprint sent a negative value.',
        },
      },
    },
    SeenAt: {
      type: 'object',
      additionalProperties: false,
      required: ['global', 'subscription'],
      description:
        "When the visitor was first or last seen: across Fingerprint (`global`) and in your workspace (`subscription`); `null` when unknown. A time Fingerprint sent that is not an RFC 3339 date-time between 2015-01-01 and a day ahead of the service's clock (a far-future `first_seen_at`, an impossible date) is served as `null`.",
      properties: {
        global: {
          type: ['string', 'null'],
          format: 'date-time',
        },
        subscription: {
          type: ['string', 'null'],
          format: 'date-time',
        },
      },
    },
    Confidence: {
      type: 'object',
      additionalProperties: false,
      required: ['score'],
      properties: {
        score: {
          type: 'number',
          minimum: 0,
          maximum: 1,
          description: 'A probability: a score Fingerprint sent outside [0, 1] is clamped to it.',
        },
        revision: {
          type: 'string',
        },
        comment: {
          type: 'string',
        },
      },
    },
    Signals: {
      type: 'object',
      additionalProperties: false,
      properties: {
        bot: {
          type: 'string',
          description: '`notDetected`, `good` or `bad`.',
          examples: ['notDetected'],
        },
        botType: {
          type: 'string',
          examples: ['selenium'],
        },
        vpn: {
          type: 'boolean',
        },
        proxy: {
          type: 'boolean',
        },
        tor: {
          type: 'boolean',
        },
        tampering: {
          type: 'boolean',
        },
        incognito: {
          type: 'boolean',
        },
        emulator: {
          type: 'boolean',
        },
        rootApps: {
          type: 'boolean',
        },
        jailbroken: {
          type: 'boolean',
        },
        frida: {
          type: 'boolean',
        },
        clonedApp: {
          type: 'boolean',
        },
        virtualMachine: {
          type: 'boolean',
        },
        privacySettings: {
          type: 'boolean',
        },
        developerTools: {
          type: 'boolean',
        },
        locationSpoofing: {
          type: 'boolean',
        },
        highActivity: {
          type: 'boolean',
        },
        ipBlocklisted: {
          type: 'boolean',
        },
        suspectScore: {
          type: 'integer',
          minimum: 0,
          description: "Fingerprint's Suspect Score; a negative one is omitted.",
        },
      },
      description: 'Smart Signals reduced to their verdicts; only those the workspace has.',
    },
    NormalizedEvent: {
      type: 'object',
      additionalProperties: false,
      description:
        "One identification event in the product's version-neutral shape, whatever Server API version or webhook it came from.",
      required: ['requestId', 'visitorId', 'timestamp', 'time', 'browser', 'source', 'schemaVersion'],
      properties: {
        requestId: {
          $ref: '#/components/schemas/RequestId',
        },
        visitorId: {
          $ref: '#/components/schemas/VisitorId',
        },
        linkedId: {
          $ref: '#/components/schemas/LinkedId',
        },
        timestamp: {
          type: 'integer',
          minimum: 0,
          description:
            "Milliseconds since the Unix epoch. An event whose timestamp is before 2015-01-01T00:00:00Z or more than a day ahead of the service's clock is refused, never stored: it would defeat the TTL.",
        },
        time: {
          type: 'string',
          format: 'date-time',
          description:
            "ISO 8601, UTC: the payload's own `time` when it is a real RFC 3339 date-time in the same plausible window, else derived from `timestamp`.",
        },
        url: {
          type: 'string',
        },
        ip: {
          type: 'string',
        },
        incognito: {
          type: 'boolean',
        },
        tag: {
          type: 'object',
          description:
            'The tag attached by the JS agent (v4 `tags`), as stored. Kept as sent except where DynamoDB cannot hold it (then `tagAltered` is `true`): a number beyond ±2^53, below 1e-130 in magnitude or infinite (JSON `1e999`) becomes its text (`"1e-200"`, `"Infinity"`); an object or array nested 16 levels deep or more, or an object with an empty key, becomes its JSON text; an unpaired surrogate becomes U+FFFD; a tag with an empty key at its top level becomes `{"json": "<its JSON text>"}`; a tag whose stored form exceeds 64 KiB is dropped.',
        },
        tagAltered: {
          const: true,
          description:
            'Present, `true`, when the tag had to be changed (or dropped for its size) to be stored; see `tag`.',
        },
        confidence: {
          $ref: '#/components/schemas/Confidence',
        },
        visitorFound: {
          type: 'boolean',
        },
        firstSeenAt: {
          $ref: '#/components/schemas/SeenAt',
        },
        lastSeenAt: {
          $ref: '#/components/schemas/SeenAt',
        },
        browser: {
          $ref: '#/components/schemas/BrowserInfo',
        },
        location: {
          $ref: '#/components/schemas/Location',
        },
        signals: {
          $ref: '#/components/schemas/Signals',
        },
        source: {
          type: 'string',
          enum: ['v3', 'v4', 'webhook', 'sealed'],
          description:
            'Where the event was read from: the Server API (`v3`, `v4`), a webhook delivery, or a sealed client result sent to `POST /enrich`.',
        },
        schemaVersion: {
          const: 1,
          description: 'Bumped when this shape changes in a way readers must know about.',
        },
      },
    },
    EventList: {
      type: 'object',
      additionalProperties: false,
      required: ['events'],
      properties: {
        events: {
          type: 'array',
          items: {
            $ref: '#/components/schemas/NormalizedEvent',
          },
          description: 'Newest first.',
        },
        nextCursor: {
          type: 'string',
          description:
            "Present only when more events of the query remain to be read: pass it back as `cursor` with the same query parameters. A filtered query's next page may hold no event and still carry one.",
        },
      },
    },
    V3BrowserDetails: {
      type: 'object',
      additionalProperties: false,
      required: [
        'browserName',
        'browserMajorVersion',
        'browserFullVersion',
        'os',
        'osVersion',
        'device',
        'userAgent',
      ],
      properties: {
        browserName: {
          type: 'string',
        },
        browserMajorVersion: {
          type: 'string',
        },
        browserFullVersion: {
          type: 'string',
        },
        os: {
          type: 'string',
        },
        osVersion: {
          type: 'string',
        },
        device: {
          type: 'string',
        },
        userAgent: {
          type: 'string',
        },
      },
    },
    V3IpLocation: {
      type: 'object',
      additionalProperties: false,
      properties: {
        accuracyRadius: {
          type: 'integer',
          minimum: 0,
          description: 'Kilometres; omitted when Fingerprint sent a negative value.',
        },
        latitude: {
          type: 'number',
          minimum: -90,
          maximum: 90,
          description: 'Omitted when Fingerprint sent a value outside the range.',
        },
        longitude: {
          type: 'number',
          minimum: -180,
          maximum: 180,
          description: 'Omitted when Fingerprint sent a value outside the range.',
        },
        postalCode: {
          type: 'string',
        },
        timezone: {
          type: 'string',
        },
        city: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: {
              type: 'string',
            },
          },
        },
        country: {
          $ref: '#/components/schemas/NamedCode',
        },
        continent: {
          $ref: '#/components/schemas/NamedCode',
        },
        subdivisions: {
          type: 'array',
          items: {
            $ref: '#/components/schemas/Subdivision',
          },
        },
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
        requestId: {
          $ref: '#/components/schemas/RequestId',
        },
        browserDetails: {
          $ref: '#/components/schemas/V3BrowserDetails',
        },
        incognito: {
          type: 'boolean',
        },
        ip: {
          type: 'string',
        },
        ipLocation: {
          $ref: '#/components/schemas/V3IpLocation',
        },
        linkedId: {
          $ref: '#/components/schemas/LinkedId',
        },
        timestamp: {
          type: 'integer',
          minimum: 0,
        },
        time: {
          type: 'string',
          format: 'date-time',
        },
        url: {
          type: 'string',
        },
        tag: {
          type: 'object',
          description:
            'As in `NormalizedEvent.tag`, changed only where DynamoDB cannot hold it; `{}` when there is none.',
        },
        confidence: {
          $ref: '#/components/schemas/Confidence',
        },
        visitorFound: {
          type: 'boolean',
        },
        firstSeenAt: {
          $ref: '#/components/schemas/SeenAt',
        },
        lastSeenAt: {
          $ref: '#/components/schemas/SeenAt',
        },
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
        visitorId: {
          $ref: '#/components/schemas/VisitorId',
        },
        visits: {
          type: 'array',
          items: {
            $ref: '#/components/schemas/V3Visit',
          },
          description: 'Newest first; empty for a visitor with nothing cached.',
        },
        lastTimestamp: {
          type: 'integer',
          minimum: 0,
          description:
            'Present only when more visits exist: the timestamp of the last visit scanned; pass it back as `before` for the next page.',
        },
        paginationKey: {
          allOf: [
            {
              $ref: '#/components/schemas/RequestId',
            },
          ],
          description:
            'Present only when more visits exist: the requestId of the last visit scanned (a filter may have left it out of `visits`); pass it back as `paginationKey` for the next page.',
        },
      },
    },
    UpstreamErasure: {
      description: 'What happened at Fingerprint. `requested: false` when `upstream=true` was not passed.',
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['requested'],
          properties: {
            requested: {
              const: false,
            },
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['requested', 'outcome'],
          properties: {
            requested: {
              const: true,
            },
            outcome: {
              enum: ['scheduled', 'notFound'],
              description:
                '`scheduled`: Fingerprint accepted the deletion and carries it out asynchronously (recent events within about 24 hours). `notFound`: Fingerprint holds nothing about this visitor.',
            },
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['requested', 'outcome', 'error'],
          properties: {
            requested: {
              const: true,
            },
            outcome: {
              const: 'failed',
              description:
                'The request to Fingerprint failed; the cache is erased all the same. Retry the call: erasure is idempotent.',
            },
            error: {
              type: 'object',
              additionalProperties: false,
              required: ['code', 'message'],
              properties: {
                code: {
                  type: 'string',
                  enum: [
                    'UpstreamRateLimited',
                    'UpstreamBudgetExhausted',
                    'UpstreamAuthFailed',
                    'UpstreamRejected',
                    'UpstreamUnavailable',
                    'UpstreamTimeout',
                    'UpstreamBadResponse',
                    'UpstreamMisconfigured',
                    'Internal',
                  ],
                },
                message: {
                  type: 'string',
                  minLength: 1,
                  description:
                    'What failed and what to fix (e.g. the Fingerprint subscription for `UpstreamAuthFailed`), never the key.',
                },
              },
            },
          },
        },
      ],
    },
    VisitorErasure: {
      type: 'object',
      additionalProperties: false,
      required: ['visitorId', 'deleted', 'erasedAt', 'upstream'],
      properties: {
        visitorId: {
          $ref: '#/components/schemas/VisitorId',
        },
        deleted: {
          type: 'integer',
          minimum: 0,
          description:
            'Cached events this call deleted (those up to `erasedAt`), expired ones included; 0 when nothing was cached.',
        },
        erasedAt: {
          type: 'integer',
          minimum: 0,
          description:
            "The erasure time in effect, in ms since the epoch: the visitor's events up to it are deleted, and every write path (`POST /enrich`, read-through, the queue, webhooks) refuses them from now on; events after it are new data. A later erasure of the same visitor moves it forward, never back.",
        },
        upstream: {
          $ref: '#/components/schemas/UpstreamErasure',
        },
      },
    },
    FingerprintWebhook: {
      type: 'object',
      description:
        'A Fingerprint webhook payload, as Fingerprint sends it: the v4 Event object (`event_id`, `identification.visitor_id`, `timestamp`, …) or the legacy v3 flat webhook (`requestId`, `visitorId`, `timestamp`, …). Unknown fields are ignored; the signature covers the exact bytes.',
      anyOf: [
        {
          required: ['event_id'],
        },
        {
          required: ['requestId'],
        },
      ],
    },
    WebhookReceipt: {
      type: 'object',
      additionalProperties: false,
      required: ['requestId', 'stored'],
      properties: {
        requestId: {
          $ref: '#/components/schemas/RequestId',
        },
        stored: {
          type: 'boolean',
          description:
            'Whether the event is in the cache: `true` when this delivery stored it, or an earlier delivery or enrichment stored the same event (`reason: "alreadyStored"`, left as it is). `false` when the delivery is not stored, with the `reason`; it is acknowledged all the same, so Fingerprint does not retry it.',
        },
        reason: {
          type: 'string',
          enum: ['alreadyStored', 'conflict', 'stale', 'future', 'expired', 'noVisitor', 'visitorErased'],
          description:
            "Present when this delivery wrote nothing. `alreadyStored`: the same event (requestId, visitorId, timestamp) is stored already and is not changed. `conflict`: another event is stored under this requestId (another visitorId or timestamp) and is not changed. `stale`: the event is older than `WEBHOOK_MAX_EVENT_AGE_SECONDS`. `future`: its timestamp is more than 5 minutes ahead. `expired`: it is already past `EVENT_TTL_DAYS`. `noVisitor`: a v4 Edge analysis, without identification. `visitorErased`: the event's visitor was erased at or after the moment it happened.",
        },
        conflictingFields: {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: {
            enum: ['visitorId', 'timestamp'],
          },
          description:
            'With `reason: "conflict"`: which identity attributes of the stored event the delivery contradicts (their values are not shown).',
        },
      },
    },
    Error: {
      type: 'object',
      additionalProperties: false,
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          additionalProperties: false,
          required: ['code', 'message'],
          properties: {
            code: {
              type: 'string',
              description:
                'Stable, PascalCase. `AccessDenied`, `MissingAuthentication`, `Throttled`, `RequestRejected` and `GatewayError` come from API Gateway itself (the local server answers the last two the same way); `MethodNotAllowed` only from the local server, for a known path with another method (405, with `Allow`), where API Gateway answers `MissingAuthentication`.',
            },
            message: {
              type: 'string',
              minLength: 1,
              description: 'What is wrong and how to fix it. Never holds the Fingerprint key.',
            },
            field: {
              type: 'string',
              description:
                'The input field at fault (validation errors only), e.g. `requestId`, `limit`, `body`.',
            },
          },
        },
      },
    },
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
    V4Event: {
      type: 'object',
      required: ['event_id', 'timestamp'],
      description:
        "An event in the shape of the official Server API v4 document's `Event` (`test/fixtures/fingerprint/openapi/fingerprint-server-api-v4-with-examples.yaml`), which is the authority on its fields. For an event that reached the service in v4 form (Server API v4, v4 webhooks) it is Fingerprint's own copy exactly as received; otherwise (a v3-sourced event, or `STORE_UPSTREAM_EVENTS` off) it is rendered from the normalized view and leaves out what that view does not keep (docs/storage.md lists it).",
      properties: {
        event_id: {
          $ref: '#/components/schemas/RequestId',
        },
        timestamp: {
          type: 'integer',
          minimum: 0,
          description: 'When the event happened, ms since the epoch.',
        },
        linked_id: {
          type: 'string',
        },
        tags: {
          type: 'object',
        },
        identification: {
          type: 'object',
          required: ['visitor_id', 'visitor_found'],
          properties: {
            visitor_id: {
              $ref: '#/components/schemas/VisitorId',
            },
            visitor_found: {
              type: 'boolean',
            },
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
        events: {
          type: 'array',
          items: {
            $ref: '#/components/schemas/V4Event',
          },
        },
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
        error: {
          type: 'object',
          additionalProperties: false,
          required: ['code', 'message'],
          properties: {
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
          },
        },
      },
    },
  },
  responses: {
    EnrichBadRequest: {
      description:
        'Invalid input: the field is named. `UpstreamRejected`: Fingerprint refused the request as invalid. `SealedResult…`: the `sealedResult` cannot be used (each fault has its own code); `SealedResultsNotConfigured`: this deployment has no key to open sealed results. Nothing was stored.',
      content: {
        'application/json': {
          schema: {
            allOf: [
              {
                $ref: '#/components/schemas/Error',
              },
              {
                type: 'object',
                properties: {
                  error: {
                    type: 'object',
                    properties: {
                      code: {
                        enum: [
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
                        ],
                      },
                    },
                  },
                },
              },
            ],
          },
          example: {
            error: {
              code: 'SealedResultUndecryptable',
              message:
                'sealedResult does not decrypt with any configured key: it was altered or truncated, or sealed with a key this deployment does not hold (another workspace, or a new key not yet added to FINGERPRINT_SEALED_KEYS_SECRET_ID); send the `sealedResult` string exactly as the JS agent returned it.',
              field: 'sealedResult',
            },
          },
        },
      },
    },
    BadRequest: {
      description:
        'Invalid input: the field is named. `UpstreamRejected`: Fingerprint refused the request as invalid.',
      content: {
        'application/json': {
          schema: {
            allOf: [
              {
                $ref: '#/components/schemas/Error',
              },
              {
                type: 'object',
                properties: {
                  error: {
                    type: 'object',
                    properties: {
                      code: {
                        enum: ['ValidationFailed', 'UpstreamRejected', 'RequestRejected'],
                      },
                    },
                  },
                },
              },
            ],
          },
          example: {
            error: {
              code: 'ValidationFailed',
              message:
                'Invalid "requestId": expected "<13-digit ms timestamp>.<6 letters or digits>", e.g. "1708102555327.NLOjmg".',
              field: 'requestId',
            },
          },
        },
      },
    },
    Unauthorized: {
      description:
        'The webhook delivery is not signed, its `FPJS-Event-Signature` matches no configured webhook secret, or (with basic auth enabled) it lacks the configured credentials. Nothing was stored.',
      headers: {
        'WWW-Authenticate': {
          description: 'Sent when basic auth credentials are missing or wrong.',
          schema: {
            type: 'string',
            pattern: '^Basic ',
          },
        },
      },
      content: {
        'application/json': {
          schema: {
            allOf: [
              {
                $ref: '#/components/schemas/Error',
              },
              {
                type: 'object',
                properties: {
                  error: {
                    type: 'object',
                    properties: {
                      code: {
                        enum: ['Unauthorized'],
                      },
                    },
                  },
                },
              },
            ],
          },
        },
      },
    },
    Forbidden: {
      description:
        'The request is not signed with SigV4 for `execute-api`, the signature is wrong, or the caller may not invoke the API. An unknown route is answered this way too.',
      content: {
        'application/json': {
          schema: {
            allOf: [
              {
                $ref: '#/components/schemas/Error',
              },
              {
                type: 'object',
                properties: {
                  error: {
                    type: 'object',
                    properties: {
                      code: {
                        enum: ['AccessDenied', 'MissingAuthentication'],
                      },
                    },
                  },
                },
              },
            ],
          },
        },
      },
    },
    NotFound: {
      description: 'Nothing matches.',
      content: {
        'application/json': {
          schema: {
            allOf: [
              {
                $ref: '#/components/schemas/Error',
              },
              {
                type: 'object',
                properties: {
                  error: {
                    type: 'object',
                    properties: {
                      code: {
                        enum: ['NotFound'],
                      },
                    },
                  },
                },
              },
            ],
          },
          example: {
            error: {
              code: 'NotFound',
              message:
                'No cached event has requestId "1708102555327.NLOjmg": enrich it with POST /enrich first.',
            },
          },
        },
      },
    },
    PayloadTooLarge: {
      description:
        '`PayloadTooLarge`: a webhook body over 256 KiB, refused by its handler. `RequestRejected`: a request larger than API Gateway accepts (10 MB).',
      content: {
        'application/json': {
          schema: {
            allOf: [
              {
                $ref: '#/components/schemas/Error',
              },
              {
                type: 'object',
                properties: {
                  error: {
                    type: 'object',
                    properties: {
                      code: {
                        enum: ['PayloadTooLarge', 'RequestRejected'],
                      },
                    },
                  },
                },
              },
            ],
          },
        },
      },
    },
    TooManyRequests: {
      description:
        "`UpstreamRateLimited`: Fingerprint kept rate limiting the service past the call's deadline. `UpstreamBudgetExhausted`: the fleet's own budget of Fingerprint calls (`FINGERPRINT_MAX_RPS`, shared by every instance) had no room within about a second; nothing was sent to Fingerprint. `Throttled`: the API stage's throttling.",
      headers: {
        'Retry-After': {
          description:
            "Seconds to wait before retrying. Always sent with `UpstreamRateLimited`, `UpstreamBudgetExhausted` and `StoreThrottled`; API Gateway's own `Throttled` answer has none.",
          schema: {
            type: 'string',
            pattern: '^[1-9][0-9]*$',
          },
        },
      },
      content: {
        'application/json': {
          schema: {
            allOf: [
              {
                $ref: '#/components/schemas/Error',
              },
              {
                type: 'object',
                properties: {
                  error: {
                    type: 'object',
                    properties: {
                      code: {
                        enum: ['UpstreamRateLimited', 'UpstreamBudgetExhausted', 'Throttled'],
                      },
                    },
                  },
                },
              },
            ],
          },
        },
      },
    },
    InternalError: {
      description: 'An unexpected failure; details are in the logs only.',
      content: {
        'application/json': {
          schema: {
            allOf: [
              {
                $ref: '#/components/schemas/Error',
              },
              {
                type: 'object',
                properties: {
                  error: {
                    type: 'object',
                    properties: {
                      code: {
                        enum: ['Internal', 'GatewayError'],
                      },
                    },
                  },
                },
              },
            ],
          },
        },
      },
    },
    BadGateway: {
      description:
        "`UpstreamAuthFailed`: Fingerprint refused the configured key (the message names the setting to fix: FINGERPRINT_REGION, FINGERPRINT_SECRET_ID or the subscription). `UpstreamMisconfigured`: a 404 whose body is not a Fingerprint error (a proxy's or gateway's route-not-found): the message names FINGERPRINT_BASE_URL and FINGERPRINT_REGION. `UpstreamUnavailable`: Fingerprint answered 5xx or the network failed, after retries. `UpstreamBadResponse`: Fingerprint answered 2xx with content that cannot be used (not the documented shape, an event that cannot be normalized, an event for another id than the one asked for); the message names the cause, and asking again gets the same answer, so it is not retried. An upstream 504 is answered as `UpstreamTimeout` (504).",
      content: {
        'application/json': {
          schema: {
            allOf: [
              {
                $ref: '#/components/schemas/Error',
              },
              {
                type: 'object',
                properties: {
                  error: {
                    type: 'object',
                    properties: {
                      code: {
                        enum: [
                          'UpstreamAuthFailed',
                          'UpstreamUnavailable',
                          'UpstreamBadResponse',
                          'UpstreamMisconfigured',
                          'GatewayError',
                        ],
                      },
                    },
                  },
                },
              },
            ],
          },
        },
      },
    },
    ServiceUnavailable: {
      description:
        'DynamoDB kept throttling; retry after `Retry-After`. `SealedKeysUnavailable` (`POST /enrich` with a `sealedResult`): the keys of sealed results could not be read from Secrets Manager, or the secret is not a JSON list of base64 keys.',
      headers: {
        'Retry-After': {
          description:
            "Seconds to wait before retrying. Always sent with `UpstreamRateLimited`, `UpstreamBudgetExhausted` and `StoreThrottled`; API Gateway's own `Throttled` answer has none.",
          schema: {
            type: 'string',
            pattern: '^[1-9][0-9]*$',
          },
        },
      },
      content: {
        'application/json': {
          schema: {
            allOf: [
              {
                $ref: '#/components/schemas/Error',
              },
              {
                type: 'object',
                properties: {
                  error: {
                    type: 'object',
                    properties: {
                      code: {
                        enum: ['StoreThrottled', 'SealedKeysUnavailable', 'GatewayError'],
                      },
                    },
                  },
                },
              },
            ],
          },
        },
      },
    },
    GatewayTimeout: {
      description:
        "Fingerprint did not answer within the call's deadline, or the function did not answer in time.",
      content: {
        'application/json': {
          schema: {
            allOf: [
              {
                $ref: '#/components/schemas/Error',
              },
              {
                type: 'object',
                properties: {
                  error: {
                    type: 'object',
                    properties: {
                      code: {
                        enum: ['UpstreamTimeout', 'GatewayError'],
                      },
                    },
                  },
                },
              },
            ],
          },
        },
      },
    },
    V3BadRequest: {
      description:
        'Invalid input. From the function, v3\'s `{"error": "<message>"}` naming the field, with `X-Error-Code: ValidationFailed` and `X-Error-Field`. From API Gateway itself (`RequestRejected`), the `{"error": {"code", "message"}}` shape of every route.',
      content: {
        'application/json': {
          schema: {
            oneOf: [
              {
                $ref: '#/components/schemas/PlainError',
              },
              {
                allOf: [
                  {
                    $ref: '#/components/schemas/Error',
                  },
                  {
                    type: 'object',
                    properties: {
                      error: {
                        type: 'object',
                        properties: {
                          code: {
                            enum: ['ValidationFailed', 'UpstreamRejected', 'RequestRejected'],
                          },
                        },
                      },
                    },
                  },
                ],
              },
            ],
          },
        },
      },
      headers: {
        'X-Error-Code': {
          description: "Our error code, which v3's body shape has no room for.",
          schema: {
            type: 'string',
            enum: ['ValidationFailed'],
          },
        },
        'X-Error-Field': {
          description:
            'The input field at fault (validation errors only), URI-encoded, e.g. `limit` or `query.foo%20bar`.',
          schema: {
            type: 'string',
            minLength: 1,
          },
        },
      },
    },
    V3InternalError: {
      description:
        "An unexpected failure; details are in the logs only. From the function in v3's shape (`X-Error-Code: Internal`); API Gateway's own `GatewayError` in the shape of every route.",
      content: {
        'application/json': {
          schema: {
            oneOf: [
              {
                $ref: '#/components/schemas/PlainError',
              },
              {
                allOf: [
                  {
                    $ref: '#/components/schemas/Error',
                  },
                  {
                    type: 'object',
                    properties: {
                      error: {
                        type: 'object',
                        properties: {
                          code: {
                            enum: ['Internal', 'GatewayError'],
                          },
                        },
                      },
                    },
                  },
                ],
              },
            ],
          },
        },
      },
      headers: {
        'X-Error-Code': {
          description: "Our error code, which v3's body shape has no room for.",
          schema: {
            type: 'string',
            enum: ['Internal'],
          },
        },
        'X-Error-Field': {
          description:
            'The input field at fault (validation errors only), URI-encoded, e.g. `limit` or `query.foo%20bar`.',
          schema: {
            type: 'string',
            minLength: 1,
          },
        },
      },
    },
    V3ServiceUnavailable: {
      description:
        "DynamoDB kept throttling; retry after `Retry-After`. From the function in v3's shape (`X-Error-Code: StoreThrottled`).",
      headers: {
        'Retry-After': {
          description:
            "Seconds to wait before retrying. Always sent with `UpstreamRateLimited` and `StoreThrottled`; API Gateway's own `Throttled` answer has none.",
          schema: {
            type: 'string',
            pattern: '^[1-9][0-9]*$',
          },
        },
        'X-Error-Code': {
          description: "Our error code, which v3's body shape has no room for.",
          schema: {
            type: 'string',
            enum: ['StoreThrottled'],
          },
        },
        'X-Error-Field': {
          description:
            'The input field at fault (validation errors only), URI-encoded, e.g. `limit` or `query.foo%20bar`.',
          schema: {
            type: 'string',
            minLength: 1,
          },
        },
      },
      content: {
        'application/json': {
          schema: {
            oneOf: [
              {
                $ref: '#/components/schemas/PlainError',
              },
              {
                allOf: [
                  {
                    $ref: '#/components/schemas/Error',
                  },
                  {
                    type: 'object',
                    properties: {
                      error: {
                        type: 'object',
                        properties: {
                          code: {
                            enum: ['StoreThrottled', 'GatewayError'],
                          },
                        },
                      },
                    },
                  },
                ],
              },
            ],
          },
        },
      },
    },
    V4BadRequest: {
      description:
        "Invalid input: from the function, v4's `request_cannot_be_parsed` naming the field, with `X-Error-Code: ValidationFailed` (or `UpstreamRejected` when Fingerprint refused a read-through) and `X-Error-Field`. Among them: a v4 filter this cache does not serve (e.g. `bot`, `ruleset_id`), named. From API Gateway itself (`RequestRejected`), the shape of every route.",
      headers: {
        'X-Error-Code': {
          description: "Our error code, which v4's body shape has no room for.",
          schema: {
            type: 'string',
            enum: ['ValidationFailed', 'UpstreamRejected'],
          },
        },
        'X-Error-Field': {
          description:
            'The input field at fault (validation errors only), URI-encoded, e.g. `limit` or `query.foo%20bar`.',
          schema: {
            type: 'string',
            minLength: 1,
          },
        },
      },
      content: {
        'application/json': {
          schema: {
            oneOf: [
              {
                $ref: '#/components/schemas/V4Error',
              },
              {
                allOf: [
                  {
                    $ref: '#/components/schemas/Error',
                  },
                  {
                    type: 'object',
                    properties: {
                      error: {
                        type: 'object',
                        properties: {
                          code: {
                            enum: ['RequestRejected'],
                          },
                        },
                      },
                    },
                  },
                ],
              },
            ],
          },
        },
      },
    },
    V4NotFound: {
      description:
        '`event_not_found`: the event is not cached and, with read-through, Fingerprint does not know it (or no longer keeps it), or its visitor was erased. `X-Error-Code: NotFound`.',
      headers: {
        'X-Error-Code': {
          description: "Our error code, which v4's body shape has no room for.",
          schema: {
            type: 'string',
            enum: ['NotFound'],
          },
        },
        'X-Error-Field': {
          description:
            'The input field at fault (validation errors only), URI-encoded, e.g. `limit` or `query.foo%20bar`.',
          schema: {
            type: 'string',
            minLength: 1,
          },
        },
      },
      content: {
        'application/json': {
          schema: {
            $ref: '#/components/schemas/V4Error',
          },
        },
      },
    },
    V4TooManyRequests: {
      description:
        "`too_many_requests` from the function (`UpstreamRateLimited`, `UpstreamBudgetExhausted`: a read-through found no room); API Gateway's own `Throttled` in the shape of every route.",
      headers: {
        'Retry-After': {
          description:
            "Seconds to wait before retrying. Always sent with `UpstreamRateLimited`, `UpstreamBudgetExhausted` and `StoreThrottled`; API Gateway's own `Throttled` answer has none.",
          schema: {
            type: 'string',
            pattern: '^[1-9][0-9]*$',
          },
        },
        'X-Error-Code': {
          description: "Our error code, which v4's body shape has no room for.",
          schema: {
            type: 'string',
            enum: ['UpstreamRateLimited', 'UpstreamBudgetExhausted'],
          },
        },
        'X-Error-Field': {
          description:
            'The input field at fault (validation errors only), URI-encoded, e.g. `limit` or `query.foo%20bar`.',
          schema: {
            type: 'string',
            minLength: 1,
          },
        },
      },
      content: {
        'application/json': {
          schema: {
            oneOf: [
              {
                $ref: '#/components/schemas/V4Error',
              },
              {
                allOf: [
                  {
                    $ref: '#/components/schemas/Error',
                  },
                  {
                    type: 'object',
                    properties: {
                      error: {
                        type: 'object',
                        properties: {
                          code: {
                            enum: ['Throttled'],
                          },
                        },
                      },
                    },
                  },
                ],
              },
            ],
          },
        },
      },
    },
    V4InternalError: {
      description:
        "`failed`: an unexpected failure; details are in the logs only (`X-Error-Code: Internal`). API Gateway's own `GatewayError` in the shape of every route.",
      headers: {
        'X-Error-Code': {
          description: "Our error code, which v4's body shape has no room for.",
          schema: {
            type: 'string',
            enum: ['Internal'],
          },
        },
        'X-Error-Field': {
          description:
            'The input field at fault (validation errors only), URI-encoded, e.g. `limit` or `query.foo%20bar`.',
          schema: {
            type: 'string',
            minLength: 1,
          },
        },
      },
      content: {
        'application/json': {
          schema: {
            oneOf: [
              {
                $ref: '#/components/schemas/V4Error',
              },
              {
                allOf: [
                  {
                    $ref: '#/components/schemas/Error',
                  },
                  {
                    type: 'object',
                    properties: {
                      error: {
                        type: 'object',
                        properties: {
                          code: {
                            enum: ['GatewayError'],
                          },
                        },
                      },
                    },
                  },
                ],
              },
            ],
          },
        },
      },
    },
    V4BadGateway: {
      description:
        "`service_unavailable`: a read-through failed at Fingerprint (`X-Error-Code` `UpstreamAuthFailed`, `UpstreamMisconfigured`, `UpstreamUnavailable` or `UpstreamBadResponse`, as on `GET /events/{requestId}`). API Gateway's own `GatewayError` in the shape of every route.",
      headers: {
        'X-Error-Code': {
          description: "Our error code, which v4's body shape has no room for.",
          schema: {
            type: 'string',
            enum: [
              'UpstreamAuthFailed',
              'UpstreamMisconfigured',
              'UpstreamUnavailable',
              'UpstreamBadResponse',
            ],
          },
        },
        'X-Error-Field': {
          description:
            'The input field at fault (validation errors only), URI-encoded, e.g. `limit` or `query.foo%20bar`.',
          schema: {
            type: 'string',
            minLength: 1,
          },
        },
      },
      content: {
        'application/json': {
          schema: {
            oneOf: [
              {
                $ref: '#/components/schemas/V4Error',
              },
              {
                allOf: [
                  {
                    $ref: '#/components/schemas/Error',
                  },
                  {
                    type: 'object',
                    properties: {
                      error: {
                        type: 'object',
                        properties: {
                          code: {
                            enum: ['GatewayError'],
                          },
                        },
                      },
                    },
                  },
                ],
              },
            ],
          },
        },
      },
    },
    V4ServiceUnavailable: {
      description:
        '`service_unavailable`: DynamoDB kept throttling (`X-Error-Code: StoreThrottled`); retry after `Retry-After`.',
      headers: {
        'Retry-After': {
          description:
            "Seconds to wait before retrying. Always sent with `UpstreamRateLimited`, `UpstreamBudgetExhausted` and `StoreThrottled`; API Gateway's own `Throttled` answer has none.",
          schema: {
            type: 'string',
            pattern: '^[1-9][0-9]*$',
          },
        },
        'X-Error-Code': {
          description: "Our error code, which v4's body shape has no room for.",
          schema: {
            type: 'string',
            enum: ['StoreThrottled'],
          },
        },
        'X-Error-Field': {
          description:
            'The input field at fault (validation errors only), URI-encoded, e.g. `limit` or `query.foo%20bar`.',
          schema: {
            type: 'string',
            minLength: 1,
          },
        },
      },
      content: {
        'application/json': {
          schema: {
            $ref: '#/components/schemas/V4Error',
          },
        },
      },
    },
    V4GatewayTimeout: {
      description:
        "`service_unavailable`: Fingerprint did not answer a read-through in time (`X-Error-Code: UpstreamTimeout`). API Gateway's own `GatewayError` when the function did not answer in time.",
      headers: {
        'X-Error-Code': {
          description: "Our error code, which v4's body shape has no room for.",
          schema: {
            type: 'string',
            enum: ['UpstreamTimeout'],
          },
        },
        'X-Error-Field': {
          description:
            'The input field at fault (validation errors only), URI-encoded, e.g. `limit` or `query.foo%20bar`.',
          schema: {
            type: 'string',
            minLength: 1,
          },
        },
      },
      content: {
        'application/json': {
          schema: {
            oneOf: [
              {
                $ref: '#/components/schemas/V4Error',
              },
              {
                allOf: [
                  {
                    $ref: '#/components/schemas/Error',
                  },
                  {
                    type: 'object',
                    properties: {
                      error: {
                        type: 'object',
                        properties: {
                          code: {
                            enum: ['GatewayError'],
                          },
                        },
                      },
                    },
                  },
                ],
              },
            ],
          },
        },
      },
    },
  },
};

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
          schema: {
            $ref: '#/components/schemas/EnrichRequest',
          },
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
    success: {
      description: 'The events, resolved and stored (or the cached event).',
      headers: {
        'Cache-Control': {
          description: 'Answers are never cached by intermediaries.',
          schema: {
            const: 'no-store',
          },
        },
        'x-amzn-RequestId': {
          description: "API Gateway's request id, also in the access logs.",
          schema: {
            type: 'string',
          },
        },
      },
    },
    errors: [403, 404, 413, 429, 500, 502, 503, 504],
    errorResponses: {
      '400': {
        $ref: '#/components/responses/EnrichBadRequest',
      },
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
      ii: "Accepted and ignored: Fingerprint's SDKs send their name and version, e.g. `fingerprint-pro-server-node-sdk/6.10.0`.",
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
    success: {
      description: "The visitor's cached visits, newest first.",
      headers: {
        'Cache-Control': {
          description: 'Answers are never cached by intermediaries.',
          schema: {
            const: 'no-store',
          },
        },
        'x-amzn-RequestId': {
          description: "API Gateway's request id, also in the access logs.",
          schema: {
            type: 'string',
          },
        },
      },
    },
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
    success: {
      description: 'What was erased.',
      headers: {
        'Cache-Control': {
          description: 'Answers are never cached by intermediaries.',
          schema: {
            const: 'no-store',
          },
        },
        'x-amzn-RequestId': {
          description: "API Gateway's request id, also in the access logs.",
          schema: {
            type: 'string',
          },
        },
      },
    },
    errors: [400, 403, 429, 500, 502, 503, 504],
  },
  'GET /events/{requestId}': {
    tags: ['Cache'],
    summary: 'One event: from the cache, or on a miss from Fingerprint (read-through)',
    description:
      "A cached event (not expired) is answered from the cache. On a miss, when read-through is enabled (`readThroughEnabled`, on by default), the event is resolved through the Fingerprint Server API, stored, and answered; `X-Event-Source` says which. 404 when neither has it (or read-through is off and it is not cached), and when the event's visitor was erased after it happened: it is then neither answered nor stored. A miss costs one Server API call and can meet its errors: 429, 502, 504 as for `POST /enrich`.",
    success: {
      description: 'The event.',
      headers: {
        'Cache-Control': {
          description: 'Answers are never cached by intermediaries.',
          schema: {
            const: 'no-store',
          },
        },
        'x-amzn-RequestId': {
          description: "API Gateway's request id, also in the access logs.",
          schema: {
            type: 'string',
          },
        },
        'X-Event-Source': {
          description:
            'Which source answered: `cache`, or `fingerprint` for a cache miss resolved through the Server API (and now stored).',
          schema: {
            type: 'string',
            enum: ['cache', 'fingerprint'],
          },
        },
      },
    },
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
    success: {
      description: 'A page of cached events, newest first.',
      headers: {
        'Cache-Control': {
          description: 'Answers are never cached by intermediaries.',
          schema: {
            const: 'no-store',
          },
        },
        'x-amzn-RequestId': {
          description: "API Gateway's request id, also in the access logs.",
          schema: {
            type: 'string',
          },
        },
      },
    },
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
          schema: {
            $ref: '#/components/schemas/FingerprintWebhook',
          },
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
    success: {
      description: 'Received: the event is stored (or can never be, see `stored`).',
      headers: {
        'Cache-Control': {
          description: 'Answers are never cached by intermediaries.',
          schema: {
            const: 'no-store',
          },
        },
        'x-amzn-RequestId': {
          description: "API Gateway's request id, also in the access logs.",
          schema: {
            type: 'string',
          },
        },
      },
    },
    errors: [400, 401, 403, 413, 429, 500, 502, 504],
    errorResponses: {
      '503': {
        description:
          'The webhook secret is missing or unreadable (`WebhookNotConfigured`: put the signing secret in the webhook secret; Fingerprint retries the delivery 5 minutes later), or DynamoDB kept throttling (`StoreThrottled`).',
        content: {
          'application/json': {
            schema: {
              allOf: [
                {
                  $ref: '#/components/schemas/Error',
                },
                {
                  type: 'object',
                  properties: {
                    error: {
                      type: 'object',
                      properties: {
                        code: {
                          enum: ['WebhookNotConfigured', 'StoreThrottled', 'GatewayError'],
                        },
                      },
                    },
                  },
                },
              ],
            },
          },
        },
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
      ii: "Accepted and ignored: Fingerprint's SDKs send their name and version, e.g. `fingerprint-pro-server-node-sdk/7.7.1`.",
    },
    success: {
      description: 'The event.',
      headers: {
        'Cache-Control': {
          description: 'Answers are never cached by intermediaries.',
          schema: {
            const: 'no-store',
          },
        },
        'x-amzn-RequestId': {
          description: "API Gateway's request id, also in the access logs.",
          schema: {
            type: 'string',
          },
        },
        'X-Event-Source': {
          description:
            'Which source answered: `cache`, or `fingerprint` for a cache miss resolved through the Server API (and now stored).',
          schema: {
            type: 'string',
            enum: ['cache', 'fingerprint'],
          },
        },
      },
    },
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
      ii: "Accepted and ignored: Fingerprint's SDKs send their name and version, e.g. `fingerprint-pro-server-node-sdk/7.7.1`.",
    },
    success: {
      description: 'A page of cached events.',
      headers: {
        'Cache-Control': {
          description: 'Answers are never cached by intermediaries.',
          schema: {
            const: 'no-store',
          },
        },
        'x-amzn-RequestId': {
          description: "API Gateway's request id, also in the access logs.",
          schema: {
            type: 'string',
          },
        },
      },
    },
    errors: [400, 403, 429, 500, 503],
    errorResponses: {
      '504': {
        $ref: '#/components/responses/GatewayTimeout',
      },
    },
  },
};
