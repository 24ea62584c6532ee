/**
 * What every phase of `npm run bench` shares: its options (environment), the data's sizes, the machine it runs
 * on, the runtimes of the cold starts, and its log (stderr; the report goes to stdout).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FUNCTION_ENTRIES, type FunctionKey, REPOSITORY_ROOT } from '../infra/bundling.js';
import { node24 } from './node24.js';

export const RESULTS_DIR = path.join(REPOSITORY_ROOT, 'bench', 'results');
const FIXTURES = path.join(REPOSITORY_ROOT, 'test', 'fixtures', 'fingerprint');
/** The upstream latency of the batches of 10, and of the first sustained run. */
export const UPSTREAM_LATENCY_MS = 100;
/**
 * The upstream latencies of the sustained runs. The fleet budget holds each seat from a request's start until its
 * answer begins plus a second (ADR 0008), so the rate it allows is about `limit × 1 s / (1 s + round trip)`:
 * issue 16's 95 % of the limit needs a round trip of at most about 50 ms. 20 ms is an assumption, not a
 * measurement: what a Server API in the Lambda's own region would take (tens of milliseconds).
 */
export const SUSTAINED_LATENCIES_MS = [UPSTREAM_LATENCY_MS, 20] as const;
/**
 * `POST /enrich` beside the consumers in the sustained runs: this many instances of the enrich HTTP function, each
 * with this many callers enriching uncached requestIds one after another.
 */
export const SUSTAINED_HTTP_INSTANCES = 2;
export const SUSTAINED_HTTP_CALLERS = 3;
/** A visitor with this many stored events, this many of them under one linkedId: the read routes' data. */
export const HISTORY = 25;
export const LINKED = 10;
/** A history longer than one upstream page (v4 pages hold 100). */
export const LONG_HISTORY = 250;
export const WARMUP_CALLS = 200;
export const SUSTAINED_WARMUP_MS = 3_000;
export const WEBHOOK_SIGNING_SECRET = 'whsec_benchmark_signing_secret';
export const FUNCTIONS = Object.keys(FUNCTION_ENTRIES) as FunctionKey[];

function option(name: string, fallback: number, minimum: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(`${name} must be a whole number of at least ${minimum}, got ${raw}`);
  }
  return value;
}

export const options = {
  coldRuns: option('BENCH_COLD_RUNS', 25, 20),
  warmCalls: option('BENCH_WARM_CALLS', 1000, 1000),
  batchTrials: option('BENCH_BATCH_TRIALS', 10, 1),
  sustainedSeconds: option('BENCH_SUSTAINED_SECONDS', 30, 10),
};

export const clock = (): number => performance.timeOrigin + performance.now();
export const log = (message: string): void => {
  process.stderr.write(`[bench] ${message}\n`);
};

export function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

/** A `node` the cold starts run on: Node.js 24 (Lambda's runtime) first when it can be had, and this machine's. */
export interface Runtime {
  label: string;
  execPath: string;
  version: string;
}

export function runtimes(): { runtimes: Runtime[]; node24Unavailable?: string } {
  const own: Runtime = {
    label: `node${process.versions.node.split('.')[0]}`,
    execPath: process.execPath,
    version: process.version,
  };
  const found = node24();
  if (!('path' in found)) {
    log(`Node.js 24 unavailable (${found.unavailable}): cold starts on ${process.version} only`);
    return { runtimes: [own], node24Unavailable: found.unavailable };
  }
  if (found.path === process.execPath) return { runtimes: [own] };
  return { runtimes: [{ label: 'node24', execPath: found.path, version: found.version }, own] };
}

export function bundleFile(bundle: { file?: string; entry: string }): string {
  if (bundle.file === undefined) throw new Error(`${bundle.entry} was not written`);
  return bundle.file;
}

/** One of Fingerprint's example payloads (`test/fixtures/fingerprint`). */
export function fixture(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as Record<string, unknown>;
}
