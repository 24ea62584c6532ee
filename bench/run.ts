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
import { assemble } from './figures.js';
import { measureColdStartPhase } from './phases/cold-start-subjects.js';
import { exampleItemSizes } from './phases/example-sizes.js';
import { measureCostAndCache, startBench } from './phases/setup.js';
import { measureThroughput } from './phases/throughput.js';
import { report } from './report.js';
import { HISTORY, LINKED, log, machine, options, RESULTS_DIR, runtimes, WARMUP_CALLS } from './settings.js';
import { runWorker, type WarmRouteResult } from './support/workers.js';

async function main(): Promise<void> {
  const startedAt = new Date();
  const machineBefore = machine();
  const nodes = runtimes();
  const bench = await startBench();
  const { bundles, data, dynamo, tableName, upstream, aws, deployed, env, fileOf } = bench;

  try {
    const { requestId, visitorId, linkedId } = data;
    const cost = await measureCostAndCache(bench);
    const examples = await exampleItemSizes(dynamo, tableName);

    const cold = await measureColdStartPhase(bench, nodes, options.coldRuns);

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
      http: { bundle: fileOf('enrichHttp'), env: env('enrichHttp') },
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
    await bench.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
