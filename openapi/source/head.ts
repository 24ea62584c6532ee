import type { JsonObject } from './json.js';

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

/** How callers authenticate: SigV4 for every route but the webhook, which Fingerprint signs. */
export const SECURITY_SCHEMES: Readonly<Record<string, JsonObject>> = {
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
};
