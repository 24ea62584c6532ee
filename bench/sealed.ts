/**
 * Sealed client results (#15): what `POST /enrich {"sealedResult": …}` costs next to the one DynamoDB write it
 * leads to, and what it adds to a cold start. Everything on loopback: dynalite, the Fingerprint emulator
 * (which must see no request from a sealed enrichment), and the benchmark's fake Secrets Manager.
 * `npx tsx bench/sealed.ts`; `BENCH_WARM_CALLS` (default 1000), `BENCH_COLD_RUNS` (default 20).
 *
 * 1. Warm, in this process, on one dynalite table, interleaved call by call so that a slow spell of a shared
 *    machine falls on all alike: a sealed `POST /enrich` (Fingerprint's v4 example event, a new event each
 *    call), a raw `PutItem` of the same stored item, the store's write of it (`storeEvents`: the erasure
 *    checks before and after the write, which every enrichment makes, ADR 7), and a `POST /enrich
 *    {"requestId"}` cache miss resolved through the loopback Server API.
 * 2. Opening alone (base64 decode, AES-256-GCM, inflate, normalize) of the v3 and v4 examples, sealed, warm;
 *    and its first call in a fresh process (which builds the normalizer's schemas).
 * 3. Cold: the enrich HTTP bundle as the stack deploys it, started in a fresh process, its first call a cached
 *    requestId or a sealed result (which also reads the keys' secret). The difference is the sealed path's
 *    share of a cold start.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createEnrichHttpHandler } from '../functions/enrich/http-handler.js';
import { FUNCTION_ENTRIES, REPOSITORY_ROOT } from '../infra/bundling.js';
import { startFakeFingerprint } from '../local/fingerprint-emulator/index.js';
import { startDynalite } from '../local/harness/dynalite.js';
import { buildApiEvent, buildContext } from '../local/harness/lambda-events.js';
import { seal, v3ExampleEvent, v4ExampleEvent } from '../local/harness/sealing.js';
import type { NormalizedEvent } from '../shared/domain/event.js';
import { createFingerprintClient } from '../shared/fingerprint/client.js';
import { normalizeV4Event } from '../shared/fingerprint/normalize.js';
import { decodeSealedResult } from '../shared/fingerprint/sealed.js';
import { openSealedEvent } from '../shared/fingerprint/sealed-event.js';
import { StaticSealedKeys } from '../shared/fingerprint/sealed-keys.js';
import { StaticKeyProvider } from '../shared/fingerprint/secret.js';
import { createLogger } from '../shared/observability/logger.js';
import { toItem } from '../shared/store/dynamodb-event-item.js';
import { DynamoDbEventStore } from '../shared/store/dynamodb-event-store.js';
import * as storeParts from '../shared/store/dynamodb-event-store-parts.js';
import { expiresAtFor } from '../shared/store/schema.js';
import { buildBundle } from './bundles.js';
import { measureColdStarts } from './cold-start.js';
import { deployment, functionEnvironment, LOCAL_SECRET_IDS } from './support/environment.js';
import { startFakeAws } from './support/fake-aws.js';
import { summarize } from './support/stats.js';
import { ms, table } from './support/table.js';

const WARM_CALLS = Number(process.env.BENCH_WARM_CALLS ?? 1000);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 20);
const WARMUP = 200;
const OPEN_CALLS = 5000;
const TTL_DAYS = 90;

const FIRST_OPEN_SCRIPT = `
const { decodeSealedResult } = await import('./shared/fingerprint/sealed.ts');
const { openSealedEvent } = await import('./shared/fingerprint/sealed-event.ts');
const key = Buffer.from(process.env.BENCH_KEY, 'base64');
const time = () => {
  const started = performance.now();
  const event = openSealedEvent(decodeSealedResult(process.env.BENCH_BLOB), [key]);
  if (event.source !== 'sealed') throw new Error('not opened');
  return performance.now() - started;
};
const first = time();
const second = time();
process.stdout.write('BENCH_FIRST_OPEN ' + JSON.stringify({ first, second }) + '\\n');
`;

const log = (text: string) => process.stderr.write(`[sealed] ${text}\n`);
const key = randomBytes(32);
let sequence = 0;
const freshIds = () => {
  sequence += 1;
  const tail = String(sequence).padStart(8, '0');
  return { requestId: `${Date.now()}.${tail.slice(-6)}`, visitorId: `SealedBench${tail}0` };
};
const sealedV4 = () => seal(JSON.stringify(v4ExampleEvent(freshIds())), key).toString('base64');

const dynamo = await startDynalite();
const tableName = await dynamo.createTable();
const upstream = await startFakeFingerprint();
const client = new DynamoDBClient({
  endpoint: dynamo.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const aws = await startFakeAws({
  [LOCAL_SECRET_IDS.FINGERPRINT_SECRET_ID as string]: upstream.apiKey,
  [LOCAL_SECRET_IDS.FINGERPRINT_SEALED_KEYS_SECRET_ID as string]: JSON.stringify([key.toString('base64')]),
});

try {
  // 1. Warm ------------------------------------------------------------------------------------------------
  const store = new DynamoDbEventStore({ parts: storeParts, client, tableName, ttlDays: TTL_DAYS });
  const handler = createEnrichHttpHandler({
    store,
    fingerprint: createFingerprintClient({
      apiVersion: 'v4',
      baseUrl: upstream.baseUrl,
      keys: new StaticKeyProvider(upstream.apiKey),
      maxRps: 1000,
    }),
    sealedKeys: new StaticSealedKeys(key.toString('base64')),
    logger: createLogger('SILENT'),
    settings: { readThrough: true, upstreamErasure: false },
  });
  const post = async (body: unknown, expectedSource: string) => {
    const response = await handler(
      buildApiEvent({ method: 'POST', resource: '/enrich', body: JSON.stringify(body) }),
      buildContext(),
    );
    if (response.statusCode !== 200 || !response.body.includes(`"source":"${expectedSource}"`)) {
      throw new Error(`POST /enrich answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
    }
  };
  const total = WARMUP + WARM_CALLS;
  log(`sealing ${total} events and seeding ${total} upstream events`);
  const blobs = Array.from({ length: total }, sealedV4);
  const items = Array.from({ length: total }, () => {
    const event: NormalizedEvent = normalizeV4Event(v4ExampleEvent(freshIds()));
    return marshall(toItem(event, expiresAtFor(event.timestamp, TTL_DAYS)), { removeUndefinedValues: true });
  });
  const storeEvents = Array.from({ length: total }, () => normalizeV4Event(v4ExampleEvent(freshIds())));
  const seeds = upstream.seedMany(total, { timestamp: Date.now() - 60_000 });
  const samples = {
    sealed: [] as number[],
    putItem: [] as number[],
    storeEvents: [] as number[],
    serverApi: [] as number[],
  };
  const kinds = ['sealed', 'putItem', 'storeEvents', 'serverApi'] as const;
  log(`warm: ${WARMUP} + ${WARM_CALLS} calls of each, interleaved`);
  /** Server API requests made during sealed enrichments: each call checks it made none. */
  let sealedUpstreamCalls = 0;
  for (let index = 0; index < total; index += 1) {
    // Each kind goes first in turn.
    for (let turn = 0; turn < kinds.length; turn += 1) {
      const kind = kinds[(index + turn) % kinds.length] ?? 'sealed';
      const started = performance.now();
      if (kind === 'sealed') {
        const before = upstream.requests.length;
        await post({ sealedResult: blobs[index] }, 'sealed');
        sealedUpstreamCalls += upstream.requests.length - before;
      } else if (kind === 'putItem') {
        await client.send(new PutItemCommand({ TableName: tableName, Item: items[index] }));
      } else if (kind === 'storeEvents') {
        const event = storeEvents[index];
        if (event === undefined || (await store.storeEvents([event])).stored !== 1)
          throw new Error('Not stored');
      } else {
        await post({ requestId: seeds[index]?.requestId }, 'fingerprint');
      }
      const elapsed = performance.now() - started;
      if (index >= WARMUP) samples[kind].push(elapsed);
    }
  }

  // 2. Opening alone ---------------------------------------------------------------------------------------
  const openSamples: Record<string, number[]> = { v3: [], v4: [] };
  const examples = {
    v3: seal(JSON.stringify(v3ExampleEvent(freshIds())), key).toString('base64'),
    v4: seal(JSON.stringify(v4ExampleEvent(freshIds())), key).toString('base64'),
  };
  for (let index = 0; index < WARMUP + OPEN_CALLS; index += 1) {
    for (const version of ['v3', 'v4'] as const) {
      const started = performance.now();
      openSealedEvent(decodeSealedResult(examples[version]), [key]);
      const elapsed = performance.now() - started;
      if (index >= WARMUP) openSamples[version]?.push(elapsed);
    }
  }

  // First open in a fresh process: module loading left out, the first call's lazy work (schemas) in.
  log(`first open: ${COLD_RUNS} fresh processes`);
  const firstOpen = { first: [] as number[], second: [] as number[] };
  for (let run = 0; run < COLD_RUNS; run += 1) {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', FIRST_OPEN_SCRIPT],
      {
        cwd: REPOSITORY_ROOT,
        env: { PATH: process.env.PATH ?? '', BENCH_KEY: key.toString('base64'), BENCH_BLOB: examples.v4 },
        encoding: 'utf8',
      },
    );
    const line = child.stdout.split('\n').find((text) => text.startsWith('BENCH_FIRST_OPEN '));
    if (child.status !== 0 || line === undefined)
      throw new Error(`first open failed: ${child.stderr.slice(-1000)}`);
    const sample = JSON.parse(line.slice('BENCH_FIRST_OPEN '.length)) as { first: number; second: number };
    firstOpen.first.push(sample.first);
    firstOpen.second.push(sample.second);
  }

  // 3. Cold ------------------------------------------------------------------------------------------------
  log('building the enrich HTTP bundle as the stack does');
  const bundle = await buildBundle(
    FUNCTION_ENTRIES.enrichHttp,
    path.join(REPOSITORY_ROOT, 'bench', 'results', 'build-sealed'),
  );
  if (bundle.file === undefined) throw new Error('The enrich bundle was not written');
  const env = functionEnvironment(deployment().functions.enrichHttp, {
    dynamodb: dynamo.endpoint,
    aws: aws.endpoint,
    fingerprint: upstream.baseUrl,
    tableName,
  });
  const cachedRequestId = seeds[0]?.requestId ?? '';
  const answer = (result: unknown) => result as { statusCode: number; body: string };
  log(`cold: ${COLD_RUNS} fresh processes per first call, interleaved`);
  const cold = await measureColdStarts(
    [
      {
        key: 'requestId, cached',
        execPath: process.execPath,
        file: bundle.file,
        env,
        event: buildApiEvent({
          method: 'POST',
          resource: '/enrich',
          body: JSON.stringify({ requestId: cachedRequestId }),
        }),
        check: (result) =>
          answer(result).statusCode === 200 && answer(result).body.includes('"source":"cache"'),
      },
      {
        key: 'sealedResult',
        execPath: process.execPath,
        file: bundle.file,
        env,
        event: buildApiEvent({
          method: 'POST',
          resource: '/enrich',
          body: JSON.stringify({ sealedResult: sealedV4() }),
        }),
        check: (result) =>
          answer(result).statusCode === 200 && answer(result).body.includes('"source":"sealed"'),
      },
    ],
    COLD_RUNS,
  );

  const row = (label: string, values: number[]) => {
    const summary = summarize(values);
    return [label, String(summary.n), ms(summary.p50), ms(summary.p90), ms(summary.p99)];
  };
  const warm = {
    sealed: summarize(samples.sealed),
    putItem: summarize(samples.putItem),
    storeEvents: summarize(samples.storeEvents),
  };
  process.stdout.write(
    `${[
      'Warm, in process (ms)',
      table(
        ['call', 'n', 'p50', 'p90', 'p99'],
        [
          row('POST /enrich {sealedResult}', samples.sealed),
          row('PutItem of the same item', samples.putItem),
          row('storeEvents of the same item (erasure checks + write)', samples.storeEvents),
          row('POST /enrich {requestId}, Server API on loopback', samples.serverApi),
        ],
      ),
      `sealed / PutItem at p50: ${(warm.sealed.p50 / warm.putItem.p50).toFixed(2)}×; ` +
        `sealed / storeEvents at p50: ${(warm.sealed.p50 / warm.storeEvents.p50).toFixed(2)}×; ` +
        `Server API requests during the ${total} sealed enrichments: ${sealedUpstreamCalls}`,
      '',
      'Opening alone: decode, decrypt, inflate, normalize (ms)',
      table(
        ['example', 'n', 'p50', 'p90', 'p99'],
        [
          row('v3 events response, warm', openSamples.v3 ?? []),
          row('v4 Event, warm', openSamples.v4 ?? []),
          row('v4 Event, first call in a fresh process', firstOpen.first),
          row('v4 Event, second call in that process', firstOpen.second),
        ],
      ),
      '',
      'Cold start of the enrich HTTP bundle (ms; the last column is CPU time)',
      table(
        ['first call', 'n', 'init p50', 'first call p50', 'both p50', 'both p90', 'both CPU p50'],
        Object.entries(cold).map(([label, result]) => [
          label,
          String(result.init.n),
          ms(result.init.p50),
          ms(result.firstCall.p50),
          ms(result.initAndFirstCall.p50),
          ms(result.initAndFirstCall.p90),
          ms(result.initAndFirstCallCpu.p50),
        ]),
      ),
    ].join('\n')}\n`,
  );
} finally {
  client.destroy();
  await aws.close();
  await upstream.close();
  await dynamo.close();
}
