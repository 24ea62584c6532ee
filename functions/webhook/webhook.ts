import {
  assertNever,
  PayloadTooLargeError,
  UnauthorizedError,
  ValidationError,
} from '../../shared/domain/errors.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { isId, requireId } from '../../shared/domain/ids.js';
import type { WebhookReceipt } from '../../shared/manifest/api-types.js';
import { BODY_MESSAGES, WEBHOOK_BODY_MAX_BYTES } from '../../shared/manifest/limits.js';
import { lazily } from '../../shared/runtime/lazy.js';
import type { WebhookEventStore } from '../../shared/store/event-store.js';
import { hasBasicCredentials, WebhookSecretError, type WebhookSecretSource } from './credentials.js';
import { parseSignatureHeader, SIGNATURE_HEADER, verifySignature } from './signature.js';

/** The challenge a failed basic auth check answers with. */
export const BASIC_AUTH_CHALLENGE = 'Basic realm="fingerprint-webhook", charset="UTF-8"';

/**
 * How far ahead of our clock an event's timestamp may be: clock skew, not a delivery of the future. Later
 * events would also outlive `EVENT_TTL_DAYS`, counted from their timestamp.
 */
export const MAX_EVENT_CLOCK_SKEW_MS = 5 * 60_000;

/** The webhook use case's ports: where events go, where the secrets come from, and the clock. */
export interface WebhookDeps {
  store: WebhookEventStore;
  secrets: WebhookSecretSource;
  /** Epoch ms, deciding which events are too old or too new. @default Date.now */
  now?: () => number;
}

/** One delivery as it arrived: the raw bytes and the two headers that may authenticate it. */
export interface WebhookDelivery {
  /** The body exactly as Fingerprint sent it: the signature covers these bytes. */
  body: Uint8Array;
  /** `FPJS-Event-Signature`. */
  signature: string | undefined;
  /** `Authorization`, for basic auth. */
  authorization: string | undefined;
}

/** What the deployment requires of a delivery besides its signature. */
export interface WebhookOptions {
  /** Also require the basic auth credentials of the webhook secret (`WEBHOOK_BASIC_AUTH_ENABLED`). */
  basicAuth: boolean;
  /** Deliveries of events older than this are not stored (`WEBHOOK_MAX_EVENT_AGE_SECONDS`). */
  maxEventAgeSeconds: number;
}

/**
 * Why a delivery's event is not written, each a delivery acknowledged all the same so that Fingerprint does
 * not retry it:
 * - `alreadyStored`: the event is stored, with this requestId, visitorId and timestamp (a retry or a replay);
 *   the stored copy is left as it is;
 * - `conflict`: another event is stored under this requestId (another visitorId or timestamp); it is left as
 *   it is, since a delivery never rewrites stored history;
 * - `stale`: the event is older than `WEBHOOK_MAX_EVENT_AGE_SECONDS`: a replay, not a delivery;
 * - `future`: the event's timestamp is more than 5 minutes ahead of our clock;
 * - `expired`: the event is already past `EVENT_TTL_DAYS`;
 * - `noVisitor`: a v4 Edge analysis without identification, so without a visitor to store it under;
 * - `visitorErased`: the event's visitor was erased at or after the moment it happened (ADR 7).
 */
export const WEBHOOK_SKIP_REASONS = [
  'alreadyStored',
  'conflict',
  'stale',
  'future',
  'expired',
  'noVisitor',
  'visitorErased',
] as const;
export type WebhookSkipReason = (typeof WEBHOOK_SKIP_REASONS)[number];

export type { WebhookReceipt };

/**
 * The normalizer of Fingerprint's payloads, with Zod, loaded by the first delivery whose signature header is
 * well-formed: about 50 KB minified that init no longer loads (esbuild keeps it in chunks of their own;
 * docs/performance.md, "What changed", 17). That delivery starts loading it before it reads the secret, so that
 * the load runs alongside the secret read (the SDK's own first-call work and the network's round trips)
 * instead of after it.
 */
const webhookNormalizer = lazily(() => import('../../shared/fingerprint/normalize.js'));

/**
 * Receives one webhook delivery: refuses it unless it is signed (and, when enabled, carries the basic auth
 * credentials), then stores the normalized event unless an event with its requestId is stored already.
 * Fingerprint sends an event once, when it happens (its Update API sends no webhook), so a delivery never
 * carries anything newer than what is stored: the first copy stays, which makes Fingerprint's retry (once, 5
 * minutes later, same event) and any replay change nothing, and a delivery with another visitor or timestamp
 * under a stored requestId cannot move or rewrite that event (docs/adr/0005). Events outside
 * [now − `maxEventAgeSeconds`, now + 5 min] are not stored either. Checks run cheapest first.
 *
 * @throws PayloadTooLargeError, UnauthorizedError, ValidationError (the header or the body) for requests to
 * refuse; WebhookSecretError (503 `WebhookNotConfigured`) when the deployment's secret is missing or wrong.
 */
export async function receiveWebhook(
  delivery: WebhookDelivery,
  deps: WebhookDeps,
  options: WebhookOptions,
): Promise<WebhookReceipt> {
  if (delivery.body.byteLength > WEBHOOK_BODY_MAX_BYTES) {
    throw new PayloadTooLargeError(BODY_MESSAGES.webhookTooLarge);
  }
  const header = parseSignatureHeader(delivery.signature);
  if (header.kind === 'missing') {
    throw new UnauthorizedError(
      `The request has no ${SIGNATURE_HEADER} header: webhook deliveries must be signed (set a signing secret for the webhook in the Fingerprint dashboard).`,
    );
  }
  if (header.kind === 'malformed') {
    throw new ValidationError(
      SIGNATURE_HEADER,
      `The ${SIGNATURE_HEADER} header is malformed (${header.reason}): expected v1=<64 hexadecimal digits>, comma-separated.`,
    );
  }

  // Not awaited before the signature is verified. A delivery refused before then leaves this promise
  // unawaited, and that is safe: `lazily` handles its rejection (a failed load) before returning it, so
  // a chunk that fails to load never becomes an unhandled rejection, and the next delivery loads it again.
  const normalizer = webhookNormalizer();
  const secrets = await deps.secrets.get();
  if (options.basicAuth) {
    if (secrets.basicAuth === undefined) {
      throw new WebhookSecretError(
        'Basic auth is enabled (WEBHOOK_BASIC_AUTH_ENABLED) but the webhook secret has no "basicAuth": add ' +
          '{"username": "…", "password": "…"} to it, or turn basic auth off.',
      );
    }
    if (!hasBasicCredentials(delivery.authorization, secrets.basicAuth)) {
      throw new UnauthorizedError(
        'The request does not carry the basic auth credentials configured for the webhook.',
        BASIC_AUTH_CHALLENGE,
      );
    }
  }
  if (!verifySignature(delivery.body, header.digests, secrets.signingSecrets)) {
    throw new UnauthorizedError(
      `The ${SIGNATURE_HEADER} header does not match the body under any configured webhook secret.`,
    );
  }

  const payload = parseJsonObject(delivery.body);
  const edgeAnalysis = edgeAnalysisId(payload);
  if (edgeAnalysis !== undefined) return { requestId: edgeAnalysis, stored: false, reason: 'noVisitor' };
  const now = (deps.now ?? Date.now)();
  const { normalizeWebhook } = await normalizer;
  let event: NormalizedEvent;
  try {
    event = normalizeWebhook(payload);
  } catch (error) {
    // A timestamp no event can have (years ahead, before 2015) is refused by the normalizer, but it is a
    // delivery outside the window like any other: acknowledged, so Fingerprint does not retry it.
    const id = payload.event_id ?? payload.requestId;
    const outside = outsideWindow(payload.timestamp, now, options);
    const timeRefused = error instanceof ValidationError && error.field.endsWith('timestamp');
    if (timeRefused && outside !== undefined && isId(id)) {
      return { requestId: id, stored: false, reason: outside };
    }
    throw error;
  }
  const { requestId } = event;
  const outside = outsideWindow(event.timestamp, now, options);
  if (outside !== undefined) return { requestId, stored: false, reason: outside };
  const result = await deps.store.putEventIfAbsent(event);
  switch (result.outcome) {
    case 'stored':
      return { requestId, stored: true };
    case 'duplicate':
      return { requestId, stored: true, reason: 'alreadyStored' };
    case 'expired':
      return { requestId, stored: false, reason: 'expired' };
    case 'suppressed':
      return { requestId, stored: false, reason: 'visitorErased' };
    case 'conflict':
      return { requestId, stored: false, reason: 'conflict', conflictingFields: [...result.fields] };
    default:
      return assertNever(result);
  }
}

function parseJsonObject(body: Uint8Array): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new ValidationError('body', 'The body is not UTF-8 JSON.');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ValidationError('body', 'The body must be a JSON object: a Fingerprint event.');
  }
  return json as Record<string, unknown>;
}

/** Why an event time is outside the deliveries accepted (`stale` or `future`), if it is a time at all. */
function outsideWindow(
  timestamp: unknown,
  now: number,
  options: WebhookOptions,
): 'stale' | 'future' | undefined {
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) return undefined;
  if (timestamp < now - options.maxEventAgeSeconds * 1000) return 'stale';
  if (timestamp > now + MAX_EVENT_CLOCK_SKEW_MS) return 'future';
  return undefined;
}

/**
 * The event_id of a v4 Edge analysis: an event without `identification`, hence without a visitor to store
 * it under (the Server API client skips them in searches for the same reason).
 */
function edgeAnalysisId(payload: Record<string, unknown>): string | undefined {
  if (!('event_id' in payload) || 'identification' in payload) return undefined;
  return requireId(payload.event_id, 'requestId', 'event_id');
}
