/**
 * `POST /enrich` of a 500-event visitor history of which 10 % cannot be normalized, against one with none:
 * answer size, events stored, upstream calls and wall time. Everything on loopback (dynalite, the fake Server
 * API of the tests). `npx tsx bench/partial-history.ts`; `BENCH_PARTIAL_RUNS` runs per case (default 7).
 */
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createEnrichHttpHandler } from '../functions/enrich/http-handler.js';
import { startFakeFingerprint } from '../local/fingerprint-emulator/index.js';
import { startDynalite } from '../local/harness/dynalite.js';
import { buildApiEvent, buildContext } from '../local/harness/lambda-events.js';
import { createFingerprintClient } from '../shared/fingerprint/client.js';
import { StaticKeyProvider } from '../shared/fingerprint/secret.js';
import { createLogger } from '../shared/observability/logger.js';
import { DynamoDbEventStore } from '../shared/store/dynamodb-event-store.js';
import * as storeParts from '../shared/store/dynamodb-event-store-parts.js';

const HISTORY = 500;
const RUNS = Number(process.env.BENCH_PARTIAL_RUNS ?? 7);

const dynamo = await startDynalite();
const upstream = await startFakeFingerprint();
const client = new DynamoDBClient({
  endpoint: dynamo.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

async function run(visitorId: string, badEvery: number | undefined) {
  const handler = createEnrichHttpHandler({
    store: new DynamoDbEventStore({
      parts: storeParts,
      client,
      tableName: await dynamo.createTable(),
      ttlDays: 90,
    }),
    fingerprint: createFingerprintClient({
      apiVersion: 'v4',
      baseUrl: upstream.baseUrl,
      keys: new StaticKeyProvider(upstream.apiKey),
      maxRps: Number.POSITIVE_INFINITY,
    }),
    logger: createLogger('SILENT'),
    settings: { readThrough: true, upstreamErasure: false },
  });
  upstream.setFaultInjector(() =>
    badEvery === undefined
      ? undefined
      : {
          kind: 'edit',
          edit: (page) => {
            const events = page.events as Array<Record<string, unknown>>;
            events.forEach((event, index) => {
              if (index % badEvery === 0) event.timestamp = 'not a timestamp';
            });
            return page;
          },
        },
  );
  const calls = upstream.requests.length;
  const started = performance.now();
  const response = await handler(
    buildApiEvent({
      method: 'POST',
      resource: '/enrich',
      body: JSON.stringify({ visitorId, maxEvents: 500 }),
    }),
    buildContext(60_000),
  );
  const elapsed = performance.now() - started;
  const body = JSON.parse(response.body) as { stored: number; skipped: { count: number }; complete: boolean };
  return {
    status: response.statusCode,
    bytes: Buffer.byteLength(response.body),
    stored: body.stored,
    skipped: body.skipped.count,
    complete: body.complete,
    upstreamCalls: upstream.requests.length - calls,
    ms: elapsed,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

for (const [label, badEvery] of [
  ['0 % bad', undefined],
  ['10 % bad', 10],
] as const) {
  const results = [];
  for (let index = 0; index < RUNS; index += 1) {
    const visitorId = `Partial${label.startsWith('0') ? 'Good' : 'Bad0'}${String(index).padStart(9, '0')}`;
    upstream.seedMany(HISTORY, { visitorId });
    results.push(await run(visitorId, badEvery));
  }
  const [first] = results;
  console.log(
    JSON.stringify({
      case: label,
      runs: RUNS,
      status: first?.status,
      answerBytes: first?.bytes,
      stored: first?.stored,
      skipped: first?.skipped,
      complete: first?.complete,
      upstreamCalls: first?.upstreamCalls,
      medianMs: Math.round(median(results.map((result) => result.ms))),
      maxMs: Math.round(Math.max(...results.map((result) => result.ms))),
    }),
  );
}

upstream.setFaultInjector(undefined);
client.destroy();
await upstream.close();
await dynamo.close();
