import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The key of a visitor's erasure record, computed here independently of the store: `erasure#<sha256 hex>`. */
export const erasureRecordKey = (visitorId: string) =>
  `erasure#${createHash('sha256').update(visitorId).digest('hex')}`;

/** Fingerprint's v4 webhook example as an event of `visitorId` with the given id and timestamp. */
export function v4WebhookBody(event: {
  requestId: string;
  visitorId: string;
  timestamp: number;
  linkedId?: string;
}) {
  const payload = JSON.parse(
    readFileSync(new URL('../fixtures/fingerprint/v4/webhook/webhook_event.json', import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
  payload.event_id = event.requestId;
  payload.timestamp = event.timestamp;
  if (event.linkedId !== undefined) payload.linked_id = event.linkedId;
  (payload.identification as Record<string, unknown>).visitor_id = event.visitorId;
  return JSON.stringify(payload);
}
