import { UPSTREAM_ERASURE_ERROR_CODES, UPSTREAM_ERASURE_OUTCOMES } from '../../functions/enrich/erase.js';
import { WEBHOOK_SKIP_REASONS } from '../../functions/webhook/webhook.js';
import { closed, count, ref } from './build.js';
import type { JsonObject } from './json.js';

/** Erasure, webhook receipt and the service's error body. */
export const SERVICE_SCHEMAS: Readonly<Record<string, JsonObject>> = {
  UpstreamErasure: {
    description: 'What happened at Fingerprint. `requested: false` when `upstream=true` was not passed.',
    oneOf: [
      closed(['requested'], {
        requested: {
          const: false,
        },
      }),
      closed(['requested', 'outcome'], {
        requested: {
          const: true,
        },
        outcome: {
          enum: [UPSTREAM_ERASURE_OUTCOMES.scheduled, UPSTREAM_ERASURE_OUTCOMES.notFound],
          description:
            '`scheduled`: Fingerprint accepted the deletion and carries it out asynchronously (recent events within about 24 hours). `notFound`: Fingerprint holds nothing about this visitor.',
        },
      }),
      closed(['requested', 'outcome', 'error'], {
        requested: {
          const: true,
        },
        outcome: {
          const: UPSTREAM_ERASURE_OUTCOMES.failed,
          description:
            'The request to Fingerprint failed; the cache is erased all the same. Retry the call: erasure is idempotent.',
        },
        error: closed(['code', 'message'], {
          code: {
            type: 'string',
            enum: [...UPSTREAM_ERASURE_ERROR_CODES],
          },
          message: {
            type: 'string',
            minLength: 1,
            description:
              'What failed and what to fix (e.g. the Fingerprint subscription for `UpstreamAuthFailed`), never the key.',
          },
        }),
      }),
    ],
  },
  VisitorErasure: closed(['visitorId', 'deleted', 'erasedAt', 'upstream'], {
    visitorId: ref('VisitorId'),
    deleted: count(
      'Cached events this call deleted (those up to `erasedAt`), expired ones included; 0 when nothing was cached.',
    ),
    erasedAt: count(
      "The erasure time in effect, in ms since the epoch: the visitor's events up to it are deleted, and every write path (`POST /enrich`, read-through, the queue, webhooks) refuses them from now on; events after it are new data. A later erasure of the same visitor moves it forward, never back.",
    ),
    upstream: ref('UpstreamErasure'),
  }),
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
  WebhookReceipt: closed(['requestId', 'stored'], {
    requestId: ref('RequestId'),
    stored: {
      type: 'boolean',
      description:
        'Whether the event is in the cache: `true` when this delivery stored it, or an earlier delivery or enrichment stored the same event (`reason: "alreadyStored"`, left as it is). `false` when the delivery is not stored, with the `reason`; it is acknowledged all the same, so Fingerprint does not retry it.',
    },
    reason: {
      type: 'string',
      enum: [...WEBHOOK_SKIP_REASONS],
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
  }),
  Error: closed(['error'], {
    error: closed(['code', 'message'], {
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
        description: 'The input field at fault (validation errors only), e.g. `requestId`, `limit`, `body`.',
      },
    }),
  }),
};
