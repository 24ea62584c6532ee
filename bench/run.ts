/**
 * `npm run bench`: builds every function exactly as the stack bundles it, next to its floor (only the AWS SDK
 * clients it cannot do without), and measures in one run what a Lambda service is judged by: bundle size, cold
 * start, warm latency, queue throughput, and what each enriched event costs upstream and in DynamoDB. Prints a
 * table and writes the figures as JSON under `bench/results/` (git-ignored). See docs/performance.md.
 *
 * Options (environment): BENCH_COLD_RUNS (default 25, at least 20), BENCH_WARM_CALLS (default 1000, at least
 * 1000), BENCH_BATCH_TRIALS (default 10), BENCH_SUSTAINED_SECONDS (default 30, at least 10).
 *
 * The phases live in `bench/phases/`, the figures they make in `bench/figures.ts`, the printed report in
 * `bench/report.ts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FunctionKey } from '../infra/bundling.js';
import { startDynalite } from '../local/harness/dynalite.js';
import { buildAll } from './bundles.js';
import { measureColdStarts } from './cold-start.js';
import { assemble } from './figures.js';
import { coldStartSubjects } from './phases/cold-start-subjects.js';
import { measureCost } from './phases/cost.js';
import { exampleItemSizes } from './phases/example-sizes.js';
import { measureThroughput } from './phases/throughput.js';
import { seedReadData, startBenchUpstream } from './phases/upstream.js';
import { report } from './report.js';
import {
  bundleFile,
  HISTORY,
  LINKED,
  log,
  machine,
  options,
  RESULTS_DIR,
  runtimes,
  WARMUP_CALLS,
  WEBHOOK_SIGNING_SECRET,
} from './settings.js';
import {
  deployment,
  functionEnvironment,
  LOCAL_SECRET_IDS,
  type LocalResources,
} from './support/environment.js';
import { startFakeAws } from './support/fake-aws.js';
import { runWorker, type WarmRouteResult } from './support/workers.js';

async function main(): Promise<void> {
  const startedAt = new Date();
  const machineBefore = machine();
  const nodes = runtimes();
  log('synthesizing the stack for the functions’ settings');
  const deployed = deployment();
  log('building the functions and their floors into bench/results/build');
  const bundles = await buildAll(path.join(RESULTS_DIR, 'build'));

  const dynamo = await startDynalite();
  const tableName = await dynamo.createTable();
  // Every request's arrival, as Fingerprint would count it; in the throughput runs each also waits 100 ms.
  const upstream = await startBenchUpstream();
  const aws = await startFakeAws({
    [LOCAL_SECRET_IDS.FINGERPRINT_SECRET_ID as string]: upstream.emulator.apiKey,
    [LOCAL_SECRET_IDS.FINGERPRINT_WEBHOOK_SECRET_ID as string]: WEBHOOK_SIGNING_SECRET,
  });
  const local: LocalResources = {
    dynamodb: dynamo.endpoint,
    aws: aws.endpoint,
    fingerprint: upstream.emulator.baseUrl,
    tableName,
  };
  const env = (key: FunctionKey, overrides?: Record<string, string>) =>
    functionEnvironment(deployed.functions[key], local, overrides);
  const fileOf = (key: FunctionKey): string => bundleFile(bundles.functions[key]);

  try {
    const data = seedReadData(upstream.emulator);
    const { requestId, visitorId, linkedId } = data;

    log('cost per enriched event: upstream calls, write units');
    const cost = await measureCost(data, {
      enrichHttp: fileOf('enrichHttp'),
      tableName,
      env: env('enrichHttp'),
    });
    const examples = await exampleItemSizes(dynamo, tableName);

    log(
      `cold starts: ${options.coldRuns} fresh processes per bundle and runtime (${nodes.runtimes.map((node) => node.version).join(', ')}), interleaved`,
    );
    const subjects = nodes.runtimes.flatMap((node) =>
      coldStartSubjects(bundles, env, { requestId, visitorId }).map((subject) => ({
        ...subject,
        key: `${node.label}:${subject.key}`,
        execPath: node.execPath,
      })),
    );
    const cold = await measureColdStarts(subjects, options.coldRuns, (round) => {
      if (round % 5 === 0) log(`  round ${round}/${options.coldRuns}`);
    });

    log(`warm latency: ${options.warmCalls} calls per route, each next to its raw DynamoDB call`);
    const warm = await runWorker<WarmRouteResult[]>(
      {
        kind: 'warm',
        bundles: { query: fileOf('query'), enrichHttp: fileOf('enrichHttp') },
        calls: options.warmCalls,
        warmup: WARMUP_CALLS,
        data: { tableName, requestId, visitorId, linkedId, history: HISTORY, linked: LINKED },
      },
      // Each bundle reads only its own variables, and the enrich function's include the query function's.
      { ...env('query'), ...env('enrichHttp') },
    );

    const { batchRun, batchUpstreamCalls, sustained } = await measureThroughput(upstream, {
      bundle: fileOf('enrichQueue'),
      tableName,
      templateRequestId: requestId,
      env: (overrides) => env('enrichQueue', overrides),
      deployedConsumers: deployed.queueMaxConcurrency,
    });

    const results = assemble({
      startedAt,
      machineBefore,
      bundles,
      cold,
      nodes,
      warm,
      batchRun,
      batchUpstreamCalls,
      sustained,
      cost,
      examples,
      awsCalls: aws.calls,
      deployed,
    });
    mkdirSync(RESULTS_DIR, { recursive: true });
    const json = `${JSON.stringify(results, null, 2)}\n`;
    const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
    writeFileSync(path.join(RESULTS_DIR, `bench-${stamp}.json`), json);
    writeFileSync(path.join(RESULTS_DIR, 'latest.json'), json);
    process.stdout.write(`${report(results)}\n`);
    log(`figures written to bench/results/bench-${stamp}.json and bench/results/latest.json`);
  } finally {
    await aws.close();
    await upstream.emulator.close();
    await dynamo.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
