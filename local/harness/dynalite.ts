/**
 * dynalite (an in-memory DynamoDB) on loopback, with a table of the service's key schema: the tests' and the
 * bench's DynamoDB, the same embedded DynamoDB `npm start` runs (`local/dynamodb.ts`), kept in memory.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureEventTable, startEmbeddedDynamoDb } from '../dynamodb.js';

/**
 * A Scan filter that keeps the events only: the table also holds erasure and history sync records, the upstream
 * budget's `limiter#` items and the `lease#` items of coalesced fetches, none of which has a visitorId.
 */
export const EVENTS_ONLY = { FilterExpression: 'attribute_exists(visitorId)' } as const;

/** A running in-memory DynamoDB on loopback, with clients pointed at it. */
export interface DynaliteHandle {
  endpoint: string;
  client: DynamoDBClient;
  /** Drops `undefined` values, as the service's own document client does. */
  documentClient: DynamoDBDocumentClient;
  /** Creates an events table from the shared key schema (active at once), named at random unless named. */
  createTable(name?: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts dynalite in memory on 127.0.0.1 and an ephemeral port; a suite can create a fresh table per test. */
export async function startDynalite(): Promise<DynaliteHandle> {
  const dynamo = await startEmbeddedDynamoDb({ dataPath: undefined, region: 'us-east-1' });
  const documentClient = DynamoDBDocumentClient.from(dynamo.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    endpoint: dynamo.endpoint,
    client: dynamo.client,
    documentClient,
    async createTable(name = `events-${randomUUID()}`) {
      await ensureEventTable(dynamo.client, name);
      return name;
    },
    async close() {
      documentClient.destroy();
      await dynamo.close();
    },
  };
}
