import { ANSWER_SOURCES } from '../../functions/enrich/result.js';
import { EVENT_SOURCES, SCHEMA_VERSION } from '../../shared/domain/event.js';
import {
  ID_MAX_LENGTH,
  ID_PATTERN,
  PAGE_SIZES,
  SEALED_RESULT_MAX_BASE64_CHARS,
} from '../../shared/manifest/limits.js';
import { BOOLEAN, closed, count, each, listOf, ref, STRING } from './build.js';
import type { JsonObject } from './json.js';

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

/** The fields of the browser the normalized event keeps, all strings. */
const BROWSER_FIELDS = ['name', 'majorVersion', 'fullVersion', 'os', 'osVersion', 'device', 'userAgent'];

/** The IP geolocation's coordinates, as the normalized event and v3's `ipLocation` both serve them. */
export const COORDINATES: Readonly<Record<string, JsonObject>> = {
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
};

export const ACCURACY_RADIUS = count('Kilometres; omitted when Fingerprint sent a negative value.');

/** The IP geolocation's country, continent and subdivisions, as both shapes serve them. */
export const REGIONS: Readonly<Record<string, JsonObject>> = {
  country: ref('NamedCode'),
  continent: ref('NamedCode'),
  subdivisions: listOf('Subdivision'),
};

/** The service's own schemas: the ids, `POST /enrich`'s request and answer, the normalized event. */
export const EVENT_SCHEMAS: Readonly<Record<string, JsonObject>> = {
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
    oneOf: [ref('EnrichByRequestId'), ref('EnrichHistory'), ref('EnrichSealed')],
  },
  EnrichSealed: closed(['sealedResult'], {
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
      ...ref('RequestId'),
      description:
        'When sent, the sealed event must carry this requestId, else 400 `SealedResultRequestIdMismatch`.',
    },
  }),
  EnrichByRequestId: closed(['requestId'], {
    requestId: ref('RequestId'),
    refresh: {
      type: 'boolean',
      default: false,
      description: 'Ask Fingerprint even if the event is cached (and not expired).',
    },
  }),
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
      visitorId: ref('VisitorId'),
      linkedId: ref('LinkedId'),
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
  EnrichResponse: closed(['events', 'source', 'stored', 'skipped', 'complete', 'suppressed'], {
    events: listOf(
      'NormalizedEvent',
      'Newest first. For a history: the newest `maxEvents` events of the window, whether all of them came from Fingerprint in this call or the cached history was refreshed with the newer ones. Skipped events, and events of a visitor erased after they happened (see `suppressed`), are not in it.',
    ),
    source: {
      type: 'string',
      enum: Object.values(ANSWER_SOURCES),
      description:
        '`cache`: a cached requestId, answered with no upstream call; `sealed`: a `sealedResult`, opened and stored with no upstream call.',
    },
    stored: count('How many events this call wrote to the store.'),
    skipped: {
      type: 'object',
      additionalProperties: false,
      required: ['count', 'reasons'],
      description:
        'Events of a history that Fingerprint returned but that could not be used: neither stored nor answered. One bad event never fails the history. Always `{"count": 0, "reasons": {}}` for a requestId, which either succeeds or fails as a whole.',
      properties: {
        count: count(),
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
    suppressed: count(
      'How many events Fingerprint returned that were dropped, neither stored nor in `events`, because their visitor was erased (`DELETE /visitors/{visitorId}`) at or after the moment they happened. Events that happen after an erasure are new data and are stored.',
    ),
  }),
  BrowserInfo: {
    type: 'object',
    additionalProperties: false,
    required: BROWSER_FIELDS,
    properties: each(STRING, ...BROWSER_FIELDS),
    description: 'Empty strings where Fingerprint did not say (e.g. mobile events have no browser name).',
  },
  NamedCode: closed(['code', 'name'], {
    code: STRING,
    name: STRING,
  }),
  Subdivision: closed(['isoCode', 'name'], {
    isoCode: STRING,
    name: STRING,
  }),
  Location: {
    type: 'object',
    additionalProperties: false,
    description: "Where the event's IP address is, from Fingerprint's IP geolocation.",
    properties: {
      city: STRING,
      ...REGIONS,
      ...COORDINATES,
      ...each(STRING, 'postalCode', 'timezone'),
      accuracyRadius: ACCURACY_RADIUS,
    },
  },
  SeenAt: {
    type: 'object',
    additionalProperties: false,
    required: ['global', 'subscription'],
    description:
      "When the visitor was first or last seen: across Fingerprint (`global`) and in your workspace (`subscription`); `null` when unknown. A time Fingerprint sent that is not an RFC 3339 date-time between 2015-01-01 and a day ahead of the service's clock (a far-future `first_seen_at`, an impossible date) is served as `null`.",
    properties: {
      ...each({ type: ['string', 'null'], format: 'date-time' }, 'global', 'subscription'),
    },
  },
  Confidence: closed(['score'], {
    score: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      description: 'A probability: a score Fingerprint sent outside [0, 1] is clamped to it.',
    },
    revision: {
      type: 'string',
      description: 'The method that computed the score: v3 `revision`, v4 `version`.',
    },
    comment: STRING,
  }),
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
      ...each(
        BOOLEAN,
        'vpn',
        'proxy',
        'tor',
        'tampering',
        'incognito',
        'emulator',
        'rootApps',
        'jailbroken',
        'frida',
        'clonedApp',
        'virtualMachine',
        'privacySettings',
        'developerTools',
        'locationSpoofing',
        'highActivity',
        'ipBlocklisted',
      ),
      suspectScore: count("Fingerprint's Suspect Score; a negative one is omitted."),
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
      requestId: ref('RequestId'),
      visitorId: ref('VisitorId'),
      linkedId: ref('LinkedId'),
      timestamp: count(
        "Milliseconds since the Unix epoch. An event whose timestamp is before 2015-01-01T00:00:00Z or more than a day ahead of the service's clock is refused, never stored: it would defeat the TTL.",
      ),
      time: {
        type: 'string',
        format: 'date-time',
        description:
          "ISO 8601, UTC: the payload's own `time` when it is a real RFC 3339 date-time in the same plausible window, else derived from `timestamp`.",
      },
      url: STRING,
      ip: STRING,
      incognito: BOOLEAN,
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
      confidence: ref('Confidence'),
      visitorFound: BOOLEAN,
      firstSeenAt: ref('SeenAt'),
      lastSeenAt: ref('SeenAt'),
      browser: ref('BrowserInfo'),
      location: ref('Location'),
      signals: ref('Signals'),
      source: {
        type: 'string',
        enum: Object.values(EVENT_SOURCES),
        description:
          'Where the event was read from: the Server API (`v3`, `v4`), a webhook delivery, or a sealed client result sent to `POST /enrich`.',
      },
      schemaVersion: {
        const: SCHEMA_VERSION,
        description: 'Bumped when this shape changes in a way readers must know about.',
      },
    },
  },
  EventList: closed(['events'], {
    events: listOf('NormalizedEvent', 'Newest first.'),
    nextCursor: {
      type: 'string',
      description:
        "Present only when more events of the query remain to be read: pass it back as `cursor` with the same query parameters. A filtered query's next page may hold no event and still carry one.",
    },
  }),
};
