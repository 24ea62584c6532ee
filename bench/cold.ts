/**
 * `npm run bench:cold`: the cold-start phase of `npm run bench` alone, in about a minute instead of several:
 * the same bundles, floors, first calls and runtimes (Node.js 24 and the machine's own), printed as the same
 * tables and written to `bench/results/cold-<time>.json`. For trying a change to what init loads; publish
 * figures from full runs (docs/performance.md).
 *
 * Options (environment): BENCH_COLD_RUNS (default 25, at least 20).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { coldStartSection } from './figures.js';
import { measureColdStartPhase } from './phases/cold-start-subjects.js';
import { measureCostAndCache, startBench } from './phases/setup.js';
import { coldStartReport } from './report.js';
import { log, machine, options, RESULTS_DIR, runtimes } from './settings.js';

async function main(): Promise<void> {
  const startedAt = new Date();
  const host = machine();
  const nodes = runtimes();
  const bench = await startBench();
  try {
    // The enrich functions' first call is a cached read: the cost phase caches the requestId it reads.
    await measureCostAndCache(bench);
    const coldStart = coldStartSection(await measureColdStartPhase(bench, nodes, options.coldRuns), nodes);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
    const results = {
      startedAt: startedAt.toISOString(),
      machine: { ...host, loadAverageAfter: machine().loadAverage },
      coldRuns: options.coldRuns,
      coldStart,
    };
    writeFileSync(path.join(RESULTS_DIR, `cold-${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(
      `Load ${host.loadAverage.join('/')} before, ${results.machine.loadAverageAfter.join('/')} after\n` +
        `${coldStartReport(coldStart, options.coldRuns).join('\n')}\n`,
    );
    log(`figures written to bench/results/cold-${stamp}.json`);
  } finally {
    await bench.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
