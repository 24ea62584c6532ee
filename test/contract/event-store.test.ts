import { afterAll, beforeAll } from 'vitest';
import { type DynaliteHandle, startDynalite } from '../../local/harness/dynalite.js';
import { DynamoDbWebhookEventStore } from '../../shared/store/dynamodb-webhook-event-store.js';
import { FakeEventStore } from '../support/fakes.js';
import { describeEventStorePort } from './event-store-port.js';

let dynamo: DynaliteHandle;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.close();
});

describeEventStorePort('DynamoDB on dynalite', async ({ ttlDays, now }) => {
  const tableName = await dynamo.createTable();
  // No wait between an erasure's two sweeps: dynalite's indexes are consistent at once.
  return new DynamoDbWebhookEventStore({
    client: dynamo.client,
    tableName,
    ttlDays,
    now,
    erasureSettleMs: 0,
  });
});

describeEventStorePort('the fake of the use-case tests', async (options) => new FakeEventStore(options));
