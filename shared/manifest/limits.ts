/**
 * Every limit of the service, declared once: page sizes, body and blob caps, the cursor cap, and the one id
 * rule with its messages. The handlers, the store, the local runtime and sandbox, the stack and the API
 * reference (`openapi/openapi.json`) take their numbers and words from here instead of writing them out.
 *
 * CDK-free and without side effects (plain constants), so that anything can import it: infra, the handlers,
 * the local runtime, the bench, the tests and the OpenAPI generator.
 */

// ---------------------------------------------------------------------------------------------------------
// Pages: `limit` (or `maxEvents`) is a whole number from 1 to `max`, `default` when omitted.
// ---------------------------------------------------------------------------------------------------------

export interface PageSize {
  /** The page size when the caller gives none. */
  readonly default: number;
  /** The largest page size accepted. */
  readonly max: number;
}

export const PAGE_SIZES = {
  /**
   * `GET /visitors/{visitorId}`: Fingerprint's v3 `GET /visitors` contract (default 100, at most 500), which
   * this service keeps from its cache (Fingerprint removed the route).
   */
  visitors: { default: 100, max: 500 },
  /** `GET /events`: the service's own history route. */
  events: { default: 20, max: 100 },
  /**
   * `GET /v4/events`: Fingerprint's v4 search as its document says (default 10, at most 100); the service
   * serves the same contract, the client asks for pages of at most this, and the sandbox answers them.
   */
  v4Search: { default: 10, max: 100 },
  /**
   * Fingerprint's v3 `GET /events/search`: `limit` is required and has no documented maximum; the client asks
   * for at most v4's documented 100, so a page costs about the same in either version (the emulator, like the
   * document, sets no bound). Its `default` is never used (the client always sends `limit`).
   */
  v3Search: { default: 100, max: 100 },
  /** `maxEvents` of `POST /enrich` (and a queue message): the events of one history resolved at most. */
  enrichHistory: { default: 100, max: 500 },
} as const satisfies Record<string, PageSize>;

// ---------------------------------------------------------------------------------------------------------
// Platform limits this service works within (not ours to choose).
// ---------------------------------------------------------------------------------------------------------

/** API Gateway's REST payload limit (10 MB): a larger request never reaches a function. */
export const API_GATEWAY_MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** SQS refuses a larger message body (256 KiB). */
export const SQS_MAX_MESSAGE_BYTES = 256 * 1024;

// ---------------------------------------------------------------------------------------------------------
// Body and blob caps
// ---------------------------------------------------------------------------------------------------------

/**
 * The largest sealed result accepted, decoded. Fingerprint's own example events seal to 1.8 KB (v3, every
 * Smart Signal) and 2.6 KB (v4); the largest part a page controls is the tag, which the JS agent caps at
 * 16 KB, and even a tag that does not compress at all keeps the blob under 24 KB. 64 KiB leaves room for
 * events richer than the examples while bounding the work (and the body) a caller can make us do.
 */
export const SEALED_RESULT_MAX_BYTES = 64 * 1024;
/** {@link SEALED_RESULT_MAX_BYTES} in base64 characters (with padding). */
export const SEALED_RESULT_MAX_BASE64_CHARS = 4 * Math.ceil(SEALED_RESULT_MAX_BYTES / 3);
/**
 * The largest plaintext a sealed result inflates to. Deflate can expand about 1000-fold, so a blob under the
 * size cap could inflate to 64 MB: inflation stops at this bound instead. Real events are under 10 KB of
 * JSON, 25 KB with the largest tag.
 */
export const SEALED_RESULT_MAX_PLAINTEXT_BYTES = 256 * 1024;

/**
 * The largest body `POST /enrich` and a queue message may have: room for the largest `sealedResult`
 * accepted, with margin, so that an oversized blob is refused by its own check (`SealedResultTooLarge`).
 * Well under {@link SQS_MAX_MESSAGE_BYTES}.
 */
export const ENRICH_BODY_MAX_BYTES = 128 * 1024;

/**
 * The largest webhook body accepted. A v4 event with every Smart Signal is a few KiB; this leaves room for
 * raw device attributes and tags while keeping a forged request from costing more than one small HMAC.
 */
export const WEBHOOK_BODY_MAX_BYTES = 256 * 1024;

/**
 * Items whose compressed copy of the upstream's v4 event is larger than this keep the normalized view only:
 * DynamoDB refuses items over 400 KB, and the normalized view (tags up to 64 KiB) must always fit.
 */
export const UPSTREAM_COPY_MAX_BYTES = 256 * 1024;

// ---------------------------------------------------------------------------------------------------------
// Bodies refused before their fields are read: one message each, whoever refuses them (the handler, or API
// Gateway's request validator in front of it).
// ---------------------------------------------------------------------------------------------------------

export const BODY_MESSAGES = {
  empty: 'The body is empty: send a JSON object such as {"requestId": "…"}.',
  notJson: 'The body is not valid JSON.',
  notAnObject: 'The body must be a JSON object such as {"requestId": "…"}.',
  /** `POST /enrich` and a queue message over {@link ENRICH_BODY_MAX_BYTES}. */
  enrichTooLarge: `The body is larger than ${ENRICH_BODY_MAX_BYTES} bytes.`,
  /** A webhook delivery over {@link WEBHOOK_BODY_MAX_BYTES}. */
  webhookTooLarge: `The body is larger than ${WEBHOOK_BODY_MAX_BYTES} bytes, more than any Fingerprint event.`,
} as const;

// ---------------------------------------------------------------------------------------------------------
// Ids: one rule for requestIds (v4 `event_id`), visitorIds and linkedIds alike (see `shared/domain/ids.ts`).
// ---------------------------------------------------------------------------------------------------------

/** The longest linkedId Fingerprint accepts ("linked_id can't be greater than 256 characters long"). */
export const FINGERPRINT_LINKED_ID_MAX_LENGTH = 256;

/**
 * Longest id, in characters (Unicode code points, as JSON Schema's `maxLength` counts them): Fingerprint's
 * own linkedId limit. It bounds an id to 1,024 UTF-8 bytes: half DynamoDB's 2,048-byte limit on a partition
 * key (the table key and both index keys), and small enough that a URL holding two ids, each
 * percent-encoded (3 characters a byte), stays under API Gateway's 8,192-character URL limit.
 */
export const ID_MAX_LENGTH = FINGERPRINT_LINKED_ID_MAX_LENGTH;
/** The most UTF-8 bytes an id can take: 4 per code point. */
export const ID_MAX_BYTES = ID_MAX_LENGTH * 4;

/**
 * The id rule as a JSON Schema / OpenAPI `pattern` (with `minLength` 1 and `maxLength`
 * {@link ID_MAX_LENGTH}): no control characters, not "." or "..". JSON Schema cannot say "no unpaired
 * surrogate"; JSON text cannot carry one to a validator anyway.
 */
export const ID_PATTERN = '^(?!\\.{1,2}$)[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]+$';

/** The rule in words, for messages and the API reference. */
export const ID_RULE =
  `one to ${ID_MAX_LENGTH} characters, without control characters (U+0000–U+001F, U+007F–U+009F, U+2028, ` +
  'U+2029) or unpaired surrogates, and not "." or ".."';

/** The three kinds of id; every field and parameter that holds an id is one of them. */
export const ID_KINDS = { requestId: 'requestId', visitorId: 'visitorId', linkedId: 'linkedId' } as const;
export type IdKind = (typeof ID_KINDS)[keyof typeof ID_KINDS];

/**
 * What each kind of id looks like in practice, with examples from Fingerprint's own documents: a requestId is
 * `<13-digit ms timestamp>.<6 letters or digits>`, or 20 letters or digits in older examples; a visitorId is
 * 20 letters or digits. The rule accepts any id (Fingerprint types them as plain strings); these say what to
 * pass, in the messages and in the API reference.
 */
export const ID_FORMS: Readonly<Record<IdKind, string>> = {
  requestId:
    '"1708102555327.NLOjmg" (a 13-digit ms timestamp, a dot and 6 letters or digits) or, in older examples, ' +
    '"0KSh65EnVoB85JBmloQK" (20 letters or digits)',
  visitorId: '"3HNey93AkBW6CRbxV6xP" (20 letters or digits)',
  linkedId: '"order-123"',
};

/** How to fix each kind of id. */
const ID_FIXES: Readonly<Record<IdKind, string>> = {
  requestId: `pass it exactly as the JS agent or Fingerprint returned it, e.g. ${ID_FORMS.requestId}`,
  visitorId: `pass it exactly as the JS agent or Fingerprint returned it, e.g. ${ID_FORMS.visitorId}`,
  linkedId: `pass your own id as you attached it to the identification, e.g. ${ID_FORMS.linkedId}`,
};

/** What a refused id is told: the rule, and how to fix it. One message per kind of id. */
export const ID_MESSAGES = Object.fromEntries(
  Object.values(ID_KINDS).map((kind) => [kind, `A ${kind} is ${ID_RULE}: ${ID_FIXES[kind]}.`]),
) as Readonly<Record<IdKind, string>>;

// ---------------------------------------------------------------------------------------------------------
// Cursors (`cursor` of `GET /events`, `pagination_key` of `GET /v4/events`)
// ---------------------------------------------------------------------------------------------------------

/**
 * The version of a cursor's payload (`v`), written by `shared/store/cursor.ts` and required by its schema
 * (`cursor-payload.ts`). Declared here rather than in `cursor.ts` so that the schema's chunk, loaded with the
 * first cursor passed back, does not import `cursor.ts`: a module imported by init and by a lazy chunk is
 * split into a file of its own, which init then reads as one more file (docs/performance.md, item 16).
 */
export const CURSOR_VERSION = 1;
/** The longest description a v4 search gives of the rest of its query (its time window), kept in its cursor. */
export const CURSOR_BINDING_MAX_LENGTH = 128;
/** The checksum before a cursor's payload (`shared/store/cursor.ts`). */
export const CURSOR_CHECKSUM_BYTES = 12;
/**
 * The longest cursor accepted, in base64url characters. A payload holds at most three ids (visitorId,
 * linkedId, requestId), each at most {@link ID_MAX_BYTES} bytes and at most doubled by JSON escaping, plus
 * 512 bytes of short fields (a search's binding of at most {@link CURSOR_BINDING_MAX_LENGTH} characters
 * among them) and the checksum; base64url adds a third. Anything longer is not ours.
 */
export const CURSOR_MAX_LENGTH = Math.ceil(((3 * 2 * ID_MAX_BYTES + 512 + CURSOR_CHECKSUM_BYTES) * 4) / 3);
