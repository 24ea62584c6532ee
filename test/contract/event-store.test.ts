import { afterAll, beforeAll } from 'vitest';
import { type DynaliteHandle, startDynalite } from '../../local/harness/dynalite.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import * as parts from '../../shared/store/dynamodb-event-store-parts.js';
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
  const options = { client: dynamo.client, tableName, ttlDays, now };
  return {
    // No wait between an erasure's two sweeps: dynalite's indexes are consistent at once.
    store: new DynamoDbEventStore({ ...options, erasureSettleMs: 0, parts }),
    webhook: new DynamoDbWebhookEventStore(options),
  };
});

describeEventStorePort('the fake of the use-case tests', async (options) => {
  const fake = new FakeEventStore(options);
  return { store: fake, webhook: fake };
});
