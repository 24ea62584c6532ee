import { ResponseType, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import { ERROR_CODES, GATEWAY_ERROR_CODES } from '../../shared/manifest/error-codes.js';
import { BODY_MESSAGES } from '../../shared/manifest/limits.js';

/*
 * The answers API Gateway gives by itself, with the manifest's gateway error codes. The local gateway
 * (`local/api-gateway.ts`) answers `RequestRejected` and `GatewayError` the same way.
 */

/** The gateway's own words for the fault: `$context.error.messageString`, which it writes as a JSON string. */
const GATEWAY_MESSAGE = { variable: '$context.error.messageString' } as const;

/** An error body in the handlers' shape, with our message (written ASCII-only) or the gateway's. */
function errorTemplate(
  code: string,
  message: string | typeof GATEWAY_MESSAGE,
  field?: string,
): Record<string, string> {
  const messageJson = typeof message === 'string' ? asciiJson(message) : message.variable;
  const fieldPart = field === undefined ? '' : `,"field":${JSON.stringify(field)}`;
  return {
    'application/json': `{"error":{"code":${JSON.stringify(code)},"message":${messageJson}${fieldPart}}}`,
  };
}

/**
 * `text` as a JSON string with every non-ASCII character escaped (`…` as `\u2026`), so that the mapping
 * template stays ASCII whatever the message holds; the client reads back the same text.
 */
function asciiJson(text: string): string {
  return JSON.stringify(text).replace(
    /[\u0080-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Errors API Gateway answers by itself, in the same shape as the handlers' errors. A body rejected by the
 * validator (not JSON, or not an object) is reported exactly as the handler would report it.
 */
export function addGatewayResponses(api: RestApi, corsOrigins: readonly string[]): void {
  const headers: Record<string, string> = {
    'Content-Type': "'application/json'",
    'Cache-Control': "'no-store'",
    // One origin can be echoed statically; with several, browsers get the header from the preflight only.
    ...(corsOrigins.length === 1 && { 'Access-Control-Allow-Origin': `'${corsOrigins[0]}'` }),
  };
  const responses = [
    {
      id: 'BadRequestBody',
      type: ResponseType.BAD_REQUEST_BODY,
      templates: errorTemplate(ERROR_CODES.ValidationFailed, BODY_MESSAGES.notAnObject, 'body'),
    },
    {
      id: 'AccessDenied',
      type: ResponseType.ACCESS_DENIED,
      templates: errorTemplate(GATEWAY_ERROR_CODES.AccessDenied, GATEWAY_MESSAGE),
    },
    {
      id: 'MissingAuthentication',
      type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
      templates: errorTemplate(
        GATEWAY_ERROR_CODES.MissingAuthentication,
        'Sign the request with AWS Signature Version 4 (service "execute-api"), and check the method and path: an unknown route is answered this way too.',
      ),
    },
    {
      id: 'Throttled',
      type: ResponseType.THROTTLED,
      templates: errorTemplate(GATEWAY_ERROR_CODES.Throttled, GATEWAY_MESSAGE),
    },
    {
      id: 'Default4xx',
      type: ResponseType.DEFAULT_4XX,
      templates: errorTemplate(GATEWAY_ERROR_CODES.RequestRejected, GATEWAY_MESSAGE),
    },
    {
      id: 'Default5xx',
      type: ResponseType.DEFAULT_5XX,
      templates: errorTemplate(GATEWAY_ERROR_CODES.GatewayError, GATEWAY_MESSAGE),
    },
  ];
  for (const response of responses) {
    api.addGatewayResponse(response.id, {
      type: response.type,
      responseHeaders: headers,
      templates: response.templates,
    });
  }
}
