import { PayloadTooLargeError, UnauthorizedError, ValidationError } from '../../shared/domain/errors.js';
import { requireId } from '../../shared/domain/ids.js';
import { normalizeWebhook } from '../../shared/domain/normalize.js';
import type { EventStore } from '../../shared/store/event-store.js';
import { hasBasicCredentials, WebhookSecretError, type WebhookSecretSource } from './credentials.js';
import { parseSignatureHeader, SIGNATURE_HEADER, verifySignature } from './signature.js';

/**
 * The largest webhook body accepted. A v4 event with every Smart Signal is a few KiB; this leaves room for
 * raw device attributes and tags while keeping a forged request from costing more than one small HMAC.
 */
export const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;

/** The challenge a failed basic auth check answers with. */
export const BASIC_AUTH_CHALLENGE = 'Basic realm="fingerprint-webhook", charset="UTF-8"';

/** The webhook use case's ports: where events go, and where the secrets come from. */
export interface WebhookDeps {
  store: EventStore;
  secrets: WebhookSecretSource;
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
}

/** The answer to Fingerprint: which event the delivery carried and whether it is now stored. */
export interface WebhookReceipt {
  requestId: string;
  /**
   * `false` for an event that can never be stored: already past `EVENT_TTL_DAYS`, or an Edge analysis with
   * no identification (no visitor). Such a delivery is still acknowledged, so Fingerprint does not retry it.
   */
  stored: boolean;
}

/**
 * Receives one webhook delivery: refuses it unless it is signed (and, when enabled, carries the basic auth
 * credentials), then stores the normalized event. Storing is idempotent, so Fingerprint's retry of a delivery
 * (once, five minutes later, with the same event) leaves one item. Checks run cheapest first, and nothing is
 * stored unless every one passes.
 *
 * @throws PayloadTooLargeError, UnauthorizedError, ValidationError (the header or the body) for requests to
 * refuse; WebhookSecretError when the deployment's secret is missing or wrong.
 */
export async function receiveWebhook(
  delivery: WebhookDelivery,
  deps: WebhookDeps,
  options: WebhookOptions,
): Promise<WebhookReceipt> {
  if (delivery.body.byteLength > MAX_WEBHOOK_BODY_BYTES) {
    throw new PayloadTooLargeError(
      `The body is larger than ${MAX_WEBHOOK_BODY_BYTES} bytes, more than any Fingerprint event.`,
    );
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
  if (edgeAnalysis !== undefined) return { requestId: edgeAnalysis, stored: false };
  const event = normalizeWebhook(payload);
  const written = await deps.store.putEvents([event]);
  return { requestId: event.requestId, stored: written > 0 };
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

/**
 * The event_id of a v4 Edge analysis: an event without `identification`, hence without a visitor to store
 * it under (the Server API client skips them in searches for the same reason).
 */
function edgeAnalysisId(payload: Record<string, unknown>): string | undefined {
  if (!('event_id' in payload) || 'identification' in payload) return undefined;
  return requireId(payload.event_id, 'requestId', 'event_id');
}
