/**
 * `npm run bench:budget`: the fleet-wide upstream budget (`shared/store/dynamodb-rate-limiter.ts`) under
 * saturation and at rest. Several "instances" (each its own limiter and Fingerprint client) share one table;
 * dynalite runs in a child process so that its CPU does not delay the instances' event loop, as DynamoDB does
 * not delay a Lambda's. Fingerprint's arrivals are stamped by the arrival recorder on a thread of its own.
 * Prints the figures and writes them to `bench/results/fleet-budget.json`. See docs/reliability.md.
 *
 * Options (environment): BENCH_BUDGET_SECONDS (default 20), the length of each saturated run.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { REPOSITORY_ROOT } from '../infra/bundling.js';
import { startFakeFingerprint } from '../local/fingerprint-emulator/index.js';
import { startArrivalRecorder } from '../local/harness/arrival-recorder.js';
import { createFingerprintClient } from '../shared/fingerprint/client.js';
import type { RateSlot, UpstreamLimiter } from '../shared/fingerprint/rate-limiter.js';
import { StaticKeyProvider } from '../shared/fingerprint/secret.js';
import { DynamoDbRateLimiter } from '../shared/store/dynamodb-rate-limiter.js';
import { createTableInput } from '../shared/store/schema.js';
import { maxInSlidingWindow, summarize } from './support/stats.js';

const API_KEY = 'fpsk_BenchBudgetKey_000000000';
const SECONDS = Number(process.env.BENCH_BUDGET_SECONDS ?? 20);
/** The first turns include the instances' cold start (SDK, connections, JIT). */
const WARM_UP_TURNS = 2;

/** Counts the time a caller waits in `take` for its slot. */
class TimedLimiter implements UpstreamLimiter {
  readonly waits: number[] = [];
  constructor(readonly inner: DynamoDbRateLimiter) {}
  async take(deadline: number): Promise<RateSlot | undefined> {
    const started = performance.now();
    const slot = await this.inner.take(deadline);
    this.waits.push(performance.now() - started);
    return slot;
  }
  waitMs(): number {
    return this.inner.waitMs();
  }
}

async function startDynaliteProcess(): Promise<{ endpoint: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "const s = require('dynalite')({ createTableMs: 0 }); s.listen(0, '127.0.0.1', () => console.log(s.address().port));",
    ],
    { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('error', reject);
  });
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

interface Scenario {
  name: string;
  maxRps: number;
  instances: number;
  callersPerInstance: number;
  seconds: number;
  upstreamLatencyMs: number;
}

async function main(): Promise<void> {
  const dynalite = await startDynaliteProcess();
  const client = new DynamoDBClient({
    endpoint: dynalite.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const tableName = 'bench-budget';
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  const upstream = await startFakeFingerprint({ apiKey: API_KEY });
  const recorder = await startArrivalRecorder(upstream.baseUrl);
  let latencyMs = 0;
  upstream.setFaultInjector(() => (latencyMs > 0 ? { kind: 'delay', ms: latencyMs } : undefined));

  const run = async (scenario: Scenario) => {
    latencyMs = scenario.upstreamLatencyMs;
    const instances = Array.from({ length: scenario.instances }, () => {
      const limiter = new DynamoDbRateLimiter({
        client,
        tableName,
        maxRps: scenario.maxRps,
        budget: scenario.name,
      });
      const timed = new TimedLimiter(limiter);
      const fingerprint = createFingerprintClient({
        baseUrl: recorder.baseUrl,
        keys: new StaticKeyProvider(API_KEY),
        limiter: timed,
        maxAttempts: 1,
      });
      return { limiter, timed, fingerprint };
    });
    const calls = scenario.maxRps * scenario.seconds;
    const seeds = upstream.seedMany(calls, {});
    const before = (await recorder.arrivals()).length;
    const callDurations: number[] = [];
    const deadline = Date.now() + 10 * 60_000;
    await Promise.all(
      instances.flatMap((instance) =>
        Array.from({ length: scenario.callersPerInstance }, async () => {
          for (let seed = seeds.shift(); seed !== undefined; seed = seeds.shift()) {
            const started = performance.now();
            await instance.fingerprint.getEvent(seed.requestId, { deadline });
            callDurations.push(performance.now() - started);
          }
        }),
      ),
    );
    await Promise.all(instances.map((instance) => instance.limiter.settled()));
    const arrivals = (await recorder.arrivals()).slice(before).sort((a, b) => a - b);
    const gaps = arrivals
      .slice(scenario.maxRps)
      .map((at, i) => at - (arrivals[i] ?? 0))
      .slice(WARM_UP_TURNS * scenario.maxRps);
    const turnMs = gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length;
    const sum = (key: keyof DynamoDbRateLimiter['usage']) =>
      instances.reduce((total, instance) => total + instance.limiter.usage[key], 0);
    const n = arrivals.length;
    return {
      ...scenario,
      upstreamRequests: n,
      busiestSlidingSecond: maxInSlidingWindow(arrivals, 1_000),
      meanSeatTurnMs: round(turnMs),
      utilization: round(1_000 / turnMs, 3),
      fleetRatePerSecond: round((scenario.maxRps * 1_000) / turnMs, 2),
      perUpstreamCall: {
        writeUnits: round((sum('reservations') + sum('releases') + sum('lostRaces')) / n, 2),
        lostRaces: round(sum('lostRaces') / n, 2),
        readUnits: round(sum('itemsRead') / n, 2),
        readCalls: round(sum('reads') / n, 2),
      },
      waitInTakeMs: summary(instances.flatMap((instance) => instance.timed.waits)),
      callMs: summary(callDurations),
    };
  };

  const results: Record<string, unknown> = {};
  try {
    // At rest: a budget far above the load, so no call waits for a seat; `take` costs its DynamoDB round
    // trips (one read of the seats, one conditional write), which is the latency the budget adds.
    const rest = await run({
      name: 'at-rest',
      maxRps: 1000,
      instances: 1,
      callersPerInstance: 1,
      seconds: 0.3,
      upstreamLatencyMs: 0,
    });
    results.atRest = {
      calls: rest.upstreamRequests,
      addedLatencyMs: rest.waitInTakeMs,
      perUpstreamCall: rest.perUpstreamCall,
    };
    results.saturated = [
      await run({
        name: 'rps5-latency0',
        maxRps: 5,
        instances: 4,
        callersPerInstance: 5,
        seconds: SECONDS,
        upstreamLatencyMs: 0,
      }),
      await run({
        name: 'rps5-latency50',
        maxRps: 5,
        instances: 4,
        callersPerInstance: 5,
        seconds: SECONDS,
        upstreamLatencyMs: 50,
      }),
      await run({
        name: 'rps20-latency0',
        maxRps: 20,
        instances: 8,
        callersPerInstance: 5,
        seconds: Math.max(5, SECONDS / 2),
        upstreamLatencyMs: 0,
      }),
    ];
  } finally {
    await recorder.close();
    await upstream.close();
    client.destroy();
    dynalite.stop();
  }
  const dir = path.join(REPOSITORY_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify({ at: new Date().toISOString(), ...results }, null, 2)}\n`;
  writeFileSync(path.join(dir, 'fleet-budget.json'), json);
  process.stdout.write(json);
}

function round(value: number, digits = 1): number {
  return Number(value.toFixed(digits));
}

function summary(samples: number[]) {
  const { n, p50, p90, p99, max } = summarize(samples);
  return { n, p50: round(p50), p90: round(p90), p99: round(p99), max: round(max) };
}

await main();
