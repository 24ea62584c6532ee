import type { APIGatewayProxyEvent } from 'aws-lambda';
import { NotFoundError, PayloadTooLargeError } from '../../shared/domain/errors.js';
import { httpHandler, jsonResponse } from '../../shared/http/middleware.js';
import { BODY_MESSAGES, WEBHOOK_BODY_MAX_BYTES } from '../../shared/manifest/limits.js';
import { type RouteKeyOf, WEBHOOK_PATH } from '../../shared/manifest/routes.js';
import type { Logger } from '../../shared/observability/logger.js';
import { SIGNATURE_HEADER } from './signature.js';
import { receiveWebhook, type WebhookDeps, type WebhookOptions, type WebhookSkipReason } from './webhook.js';

/** Skip reasons logged at WARN: Fingerprint itself never sends these. */
const SUSPICIOUS: ReadonlySet<WebhookSkipReason> = new Set(['conflict', 'stale', 'future']);

/** The route Fingerprint delivers to: the one route of this function in the manifest. */
export const WEBHOOK_ROUTE: RouteKeyOf<'webhook'> = `POST ${WEBHOOK_PATH}`;

/** The webhook handler's ports and its deployment settings. */
export interface WebhookHttpHandlerDeps extends WebhookDeps {
  logger: Logger;
  settings: WebhookOptions;
}

/**
 * Builds the handler of `POST /webhooks/fingerprint`. `http.ts` calls it once at module scope with ports
 * built from the environment (the Lambda); the local server calls it with ports of its own.
 *
 * Refusals are logged with their code only: never the signature, the secret or the body.
 */
export function createWebhookHttpHandler(deps: WebhookHttpHandlerDeps) {
  const { logger, settings } = deps;
  return httpHandler(logger, async (event) => {
    if (`${event.httpMethod} ${event.resource}` !== WEBHOOK_ROUTE) {
      throw new NotFoundError(`No route ${event.httpMethod} ${event.resource}.`);
    }
    const receipt = await receiveWebhook(
      {
        body: rawBody(event),
        signature: header(event, SIGNATURE_HEADER),
        authorization: header(event, 'Authorization'),
      },
      deps,
      settings,
    );
    const attributes = {
      eventRequestId: receipt.requestId,
      stored: receipt.stored,
      reason: receipt.reason,
      conflictingFields: receipt.conflictingFields,
    };
    // A delivery that contradicts a stored event, or carries an event outside the accepted window, is what a
    // replay or a forged delivery signed with a leaked secret looks like: acknowledged, stored nowhere, and
    // logged where operators look.
    if (receipt.reason !== undefined && SUSPICIOUS.has(receipt.reason)) {
      logger.warn('Webhook delivery not stored', attributes);
    } else {
      logger.info('Webhook received', attributes);
    }
    return jsonResponse(200, receipt);
  });
}

/**
 * The bytes API Gateway received: base64-decoded for a binary media type, else the UTF-8 text it passed on.
 * An oversized body is refused before it is decoded.
 */
function rawBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): Buffer {
  if (event.body === null) return Buffer.alloc(0);
  // Base64 is 4 characters per 3 bytes, UTF-8 at least 1 byte per character.
  const maxLength = event.isBase64Encoded
    ? Math.ceil(WEBHOOK_BODY_MAX_BYTES / 3) * 4
    : WEBHOOK_BODY_MAX_BYTES;
  if (event.body.length > maxLength) throw new PayloadTooLargeError(BODY_MESSAGES.webhookTooLarge);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** A request header by name, whatever its case; repeated lines are one comma-separated value (RFC 9110). */
function header(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [key, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && list !== undefined) values.push(...list);
  }
  if (values.length > 0) return values.join(',');
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}
