import { setTimeout as delay } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult, SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VisitorErasure } from '../../functions/enrich/erase.js';
import { createEnrichHttpHandler } from '../../functions/enrich/http-handler.js';
import { createEnrichQueueHandler } from '../../functions/enrich/queue-handler.js';
import { StaticWebhookSecrets } from '../../functions/webhook/credentials.js';
import { createWebhookHttpHandler } from '../../functions/webhook/http-handler.js';
import { signatureHeaderFor } from '../../functions/webhook/signature.js';
import { type FakeFingerprint, startFakeFingerprint } from '../../local/fingerprint-emulator/index.js';
import { type DynaliteHandle, startDynalite } from '../../local/harness/dynalite.js';
import { buildApiEvent, buildContext } from '../../local/harness/lambda-events.js';
import { newSealingKey, sealJson, v4ExampleEvent } from '../../local/harness/sealing.js';
import { buildRecord } from '../../local/harness/sqs-events.js';
import { createFingerprintClient } from '../../shared/fingerprint/client.js';
import { StaticSealedKeys } from '../../shared/fingerprint/sealed-keys.js';
import { StaticKeyProvider } from '../../shared/fingerprint/secret.js';
import { createLogger } from '../../shared/observability/logger.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import * as parts from '../../shared/store/dynamodb-event-store-parts.js';
import { DynamoDbWebhookEventStore } from '../../shared/store/dynamodb-webhook-event-store.js';
import { v4WebhookBody } from '../support/erasure.js';
import { buildEvent } from '../support/events.js';
import { readTable, type TableReader } from '../support/table.js';

const API_KEY = 'fpsk_RaceCanary_4nV8qT2wK6';
const WEBHOOK_SECRET = 'race-webhook-secret';
const TRIALS = 24;

/**
 * Runs `hook` before every DynamoDB command the client sends (after the store built it, before it reaches
 * dynalite), or answers in its place when the hook returns an output: how these tests put a delay between a
 * store's steps, or make the visitor index lag behind the table.
 */
type Hook = (command: string, input: Record<string, unknown>) => Promise<Record<string, unknown> | undefined>;

function hookedClient(dynamo: DynaliteHandle, hook: Hook): DynamoDBClient {
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const answer = await hook(String(context.commandName), args.input as Record<string, unknown>);
      if (answer !== undefined) return { output: { $metadata: {}, ...answer } as never, response: {} };
      return next(args);
    },
    { step: 'initialize', name: 'raceHook' },
  );
  return client;
}

const jitter = (maxMs: number) => delay(Math.floor(Math.random() * maxMs));

describe('erasure racing writes of the same visitor', () => {
  let dynamo: DynaliteHandle;
  let tableName: string;
  let upstream: FakeFingerprint;
  let probe: TableReader;
  const clients: DynamoDBClient[] = [];
  const logger = createLogger('ERROR');

  /** A client as one function instance has it, its own, with `hook` before each command. */
  const clientWith = (hook: Hook) => {
    const client = hookedClient(dynamo, hook);
    clients.push(client);
    return client;
  };
  /** The event store of an enrich function instance (its writes and erasures), on a client with `hook`. */
  const storeWith = (hook: Hook, erasureSettleMs = 25) =>
    new DynamoDbEventStore({ client: clientWith(hook), tableName, ttlDays: 90, erasureSettleMs, parts });
  /** The webhook's insert-only store of a webhook function instance, on the same table, with `hook`. */
  const webhookStoreWith = (hook: Hook) =>
    new DynamoDbWebhookEventStore({ client: clientWith(hook), tableName, ttlDays: 90 });
  /**
   * A hook that runs a whole erasure of `visitorId` (its record and both sweeps, by another instance's store)
   * before the first `command` it sees reaches the table: the writer's check before it has passed by then.
   */
  const erasingBefore = (command: string, visitorId: string): Hook => {
    const eraser = storeWith(async () => undefined);
    let erasure: Promise<unknown> | undefined;
    return async (sent) => {
      if (sent === command && erasure === undefined) {
        erasure = eraser.eraseVisitor(visitorId);
        await erasure;
      }
      return undefined;
    };
  };
  const fingerprint = () =>
    createFingerprintClient({
      apiVersion: 'v4',
      baseUrl: upstream.baseUrl,
      keys: new StaticKeyProvider(API_KEY),
      maxRps: 1000,
    });

  beforeAll(async () => {
    dynamo = await startDynalite();
    tableName = await dynamo.createTable();
    upstream = await startFakeFingerprint({ apiKey: API_KEY });
    probe = readTable(dynamo.documentClient, tableName);
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await upstream.close();
    await dynamo.close();
  });

  it(`leaves no survivor when DELETE races POST /enrich, read-through, the queue, webhooks and sealed results (${TRIALS} trials)`, {
    timeout: 180_000,
  }, async () => {
    // Every store step may be late, so a DELETE lands between a writer's check and its write, and between
    // its write and its second check; the upstream is slow too, so it lands between fetch and write.
    // A write may take longer than the whole erasure, so some land after both sweeps: only the writer's own
    // second check can catch those.
    const slowly: Hook = async (command) => {
      await jitter(command === 'BatchWriteItemCommand' || command === 'PutItemCommand' ? 120 : 15);
      return undefined;
    };
    const slowStore = () => storeWith(slowly, 5);
    upstream.setFaultInjector(() => ({ kind: 'delay', ms: Math.floor(Math.random() * 40) }));
    const settings = { readThrough: true, upstreamErasure: false };
    const sealingKey = newSealingKey();
    const sealedKeys = new StaticSealedKeys(sealingKey.toString('base64'));
    const httpWriters = [1, 2].map(() =>
      createEnrichHttpHandler({
        logger,
        settings,
        store: slowStore(),
        fingerprint: fingerprint(),
        sealedKeys,
      }),
    );
    const eraser = createEnrichHttpHandler({
      logger,
      settings,
      store: slowStore(),
      fingerprint: fingerprint(),
    });
    const webhook = createWebhookHttpHandler({
      logger,
      settings: { basicAuth: false, maxEventAgeSeconds: 3600 },
      store: webhookStoreWith(slowly),
      secrets: new StaticWebhookSecrets(WEBHOOK_SECRET),
    });
    const queueStore = slowStore();
    const queueFingerprint = fingerprint();
    const deadLettered: unknown[] = [];
    // One handler per concurrent batch, as Lambda (and the local server) runs them.
    const queueHandler = () =>
      createEnrichQueueHandler({
        logger,
        store: queueStore,
        fingerprint: queueFingerprint,
        sealedKeys,
        deadLetters: {
          send: async (_record, reason) => {
            deadLettered.push(reason);
          },
        },
      });
    const [first, second] = httpWriters;
    if (first === undefined || second === undefined) throw new Error('no writers');
    const post = (handler: typeof first, body: Record<string, unknown>) =>
      handler(
        buildApiEvent({ method: 'POST', resource: '/enrich', body: JSON.stringify(body) }),
        buildContext(),
      ) as Promise<APIGatewayProxyResult>;

    try {
      for (let trial = 0; trial < TRIALS; trial++) {
        const visitorId = `Race${String(trial).padStart(3, '0')}CUFmcnjLwIs4A9`;
        const linkedId = `race-order-${trial}`;
        const events = upstream.seedMany(6, { visitorId, linkedId, timestamp: Date.now() - 60_000 });
        const [e0, e1, e2, e3] = events;
        if (e0 === undefined || e1 === undefined || e2 === undefined || e3 === undefined)
          throw new Error('seed');
        const hook = v4WebhookBody({ ...e3, linkedId });
        // Sealed results carry their own events (Fingerprint's example, as this visitor's), never fetched.
        const sealed = (tail: string) =>
          sealJson(
            v4ExampleEvent({ requestId: `${Date.now()}.${tail}${trial}`, visitorId }, 30_000),
            sealingKey,
          );

        const writes: Promise<APIGatewayProxyResult | SQSBatchResponse | undefined>[] = [
          post(first, { visitorId }),
          post(second, { visitorId }),
          post(first, { linkedId }),
          post(second, { requestId: e0.requestId, refresh: true }),
          post(first, { sealedResult: sealed('SealH') }),
          first(
            buildApiEvent({
              method: 'GET',
              resource: '/events/{requestId}',
              pathParameters: { requestId: e1.requestId },
            }),
            buildContext(),
          ) as Promise<APIGatewayProxyResult>,
          queueHandler()(
            {
              Records: [
                buildRecord(JSON.stringify({ requestId: e2.requestId })),
                buildRecord(JSON.stringify({ visitorId })),
                buildRecord(JSON.stringify({ sealedResult: sealed('SealQ') })),
              ],
            },
            buildContext(),
          ) as Promise<SQSBatchResponse>,
          webhook(
            buildApiEvent({
              method: 'POST',
              resource: '/webhooks/fingerprint',
              body: hook,
              headers: { 'FPJS-Event-Signature': signatureHeaderFor(Buffer.from(hook), [WEBHOOK_SECRET]) },
            }),
            buildContext(6_000, 'webhook'),
          ) as Promise<APIGatewayProxyResult>,
        ];
        const erasure = jitter(60).then(
          () =>
            eraser(
              buildApiEvent({
                method: 'DELETE',
                resource: '/visitors/{visitorId}',
                pathParameters: { visitorId },
              }),
              buildContext(),
            ) as Promise<APIGatewayProxyResult>,
        );
        const [erased, ...answers] = await Promise.all([erasure, ...writes]);

        expect(erased?.statusCode).toBe(200);
        const { erasedAt } = JSON.parse(erased?.body ?? '{}') as VisitorErasure;
        for (const answer of answers) {
          if (answer !== undefined && 'statusCode' in answer) {
            // A read-through that met the erasure is 404; every other answer is a success.
            expect([200, 404]).toContain(answer.statusCode);
          } else {
            expect(answer?.batchItemFailures).toEqual([]);
          }
        }
        expect(await probe.survivors(visitorId, erasedAt, [linkedId]), `trial ${trial}`).toEqual([]);
      }
    } finally {
      upstream.setFaultInjector(undefined);
    }
    expect(deadLettered).toEqual([]);
  });

  it(`undoes a write that an erasure recorded between its check and its write (${TRIALS} trials)`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const visitorId = `Undo${String(trial).padStart(3, '0')}CUFmcnjLwIs4A9`;
      // The writer's first check has passed; the whole erasure (record and both sweeps, which find nothing
      // yet) runs before its write reaches the table.
      const writer = storeWith(erasingBefore('BatchWriteItemCommand', visitorId));
      const events = [1, 2, 3].map((n) => buildEvent({ visitorId, timestamp: Date.now() - n * 1000 }));

      const outcome = await writer.storeEvents(events);

      expect(outcome.stored).toBe(0);
      expect(outcome.suppressed.sort()).toEqual(events.map((event) => event.requestId).sort());
      expect(await probe.survivors(visitorId, Date.now())).toEqual([]);
    }
  });

  it(`undoes a webhook insert that an erasure recorded between its check and its put (${TRIALS} trials)`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const visitorId = `Hook${String(trial).padStart(3, '0')}CUFmcnjLwIs4A9`;
      // The webhook's store beside the event store on the one table: its first check has passed, and the whole
      // erasure runs before its conditional put reaches the table.
      const webhookStore = webhookStoreWith(erasingBefore('PutItemCommand', visitorId));
      const event = buildEvent({ visitorId, timestamp: Date.now() - 1000 });

      await expect(webhookStore.putEventIfAbsent(event)).resolves.toEqual({ outcome: 'suppressed' });

      expect(await probe.survivors(visitorId, Date.now())).toEqual([]);
      // Refused from now on, before any write.
      await expect(webhookStore.putEventIfAbsent(event)).resolves.toEqual({ outcome: 'suppressed' });
    }
  });

  it(`removes, with its second sweep, a write the visitor index showed only after the first (${TRIALS} trials)`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const visitorId = `Lagg${String(trial).padStart(3, '0')}CUFmcnjLwIs4A9`;
      const writer = storeWith(async () => undefined);
      const events = [1, 2].map((n) => buildEvent({ visitorId, timestamp: Date.now() - n * 1000 }));
      // Written and checked before the erasure began: only a sweep can find these.
      expect((await writer.storeEvents(events)).stored).toBe(2);
      let sweeps = 0;
      // DynamoDB's index is eventually consistent: here it has not caught up when the first sweep reads it.
      const eraser = storeWith(async (command, input) => {
        if (command !== 'QueryCommand' || input.IndexName !== 'byVisitor') return undefined;
        sweeps += 1;
        return sweeps === 1 ? { Items: [], Count: 0, ScannedCount: 0 } : undefined;
      });

      const outcome = await eraser.eraseVisitor(visitorId);

      expect(sweeps).toBe(2);
      expect(outcome.deleted).toBe(2);
      expect(await probe.survivors(visitorId, outcome.erasedAt)).toEqual([]);
    }
  });
});
