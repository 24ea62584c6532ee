import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Looks at the events table directly, bypassing the store, to find what an erasure left behind: the base table
 * (a strongly consistent Scan) and both indexes.
 */
export function tableProbe(documentClient: DynamoDBDocumentClient, tableName: string) {
  const scanAll = async (filter: string, values: Record<string, unknown>) => {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documentClient.send(
        new ScanCommand({
          TableName: tableName,
          ConsistentRead: true,
          FilterExpression: filter,
          ExpressionAttributeValues: values,
          ...(start !== undefined && { ExclusiveStartKey: start }),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  };
  const queryIndex = async (indexName: string, attribute: string, value: string) =>
    (
      await documentClient.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: indexName,
          KeyConditionExpression: '#pk = :v',
          ExpressionAttributeNames: { '#pk': attribute },
          ExpressionAttributeValues: { ':v': value },
        }),
      )
    ).Items ?? [];

  return {
    /** Every item of the visitor in the base table, expired or not. */
    baseItemsOf: (visitorId: string) => scanAll('visitorId = :v', { ':v': visitorId }),
    /** Every item whose table key starts with `prefix`, e.g. the erasure records. */
    itemsWithKeyPrefix: (prefix: string) => scanAll('begins_with(requestId, :p)', { ':p': prefix }),
    byVisitor: (visitorId: string) => queryIndex('byVisitor', 'visitorId', visitorId),
    byLinkedId: (linkedId: string) => queryIndex('byLinkedId', 'linkedId', linkedId),
    async item(requestId: string) {
      return (
        await documentClient.send(
          new GetCommand({ TableName: tableName, Key: { requestId }, ConsistentRead: true }),
        )
      ).Item;
    },
    /**
     * The visitor's events still stored (base table and both indexes) whose timestamp is not after `erasedAt`:
     * what an erasure must leave none of.
     */
    async survivors(visitorId: string, erasedAt: number, linkedIds: readonly string[] = []) {
      const covered = (item: Record<string, unknown>) =>
        item.visitorId === visitorId && typeof item.timestamp === 'number' && item.timestamp <= erasedAt;
      const linked = await Promise.all(
        linkedIds.map((linkedId) => queryIndex('byLinkedId', 'linkedId', linkedId)),
      );
      return [
        ...(await scanAll('visitorId = :v', { ':v': visitorId })),
        ...(await queryIndex('byVisitor', 'visitorId', visitorId)),
        ...linked.flat(),
      ]
        .filter(covered)
        .map((item) => String(item.requestId));
    },
  };
}

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
