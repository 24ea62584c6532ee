import { fork } from 'node:child_process';
import path from 'node:path';
import { REPOSITORY_ROOT } from '../../infra/bundling.js';
import type { Summary } from './stats.js';

/** Every read route and a cached enrichment, each timed next to the raw DynamoDB call it needs. */
export interface WarmTask {
  kind: 'warm';
  bundles: { query: string; enrichHttp: string };
  calls: number;
  warmup: number;
  data: {
    tableName: string;
    /** A stored event. */
    requestId: string;
    /** A visitor with `history` stored events, `linked` of them under `linkedId`. */
    visitorId: string;
    linkedId: string;
    history: number;
    linked: number;
  };
}

export interface WarmRouteResult {
  route: string;
  handler: Summary;
  raw: Summary;
  responseBytes: number;
}

export interface CostTask {
  kind: 'cost';
  bundles: { enrichHttp: string };
  tableName: string;
  requests: { label: string; body: Record<string, unknown>; expectedCalls: number }[];
  /** Stored events whose items are sized afterwards. */
  storedRequestIds: string[];
}

export interface CostCase {
  label: string;
  upstreamCalls: number;
  expectedCalls: number;
  events: number;
  stored: number;
  source: string;
}

export interface CostResult {
  cases: CostCase[];
  storedItems: {
    bytes: number;
    indexes: number;
    writeUnits: number;
    tableUnitsByDynalite: number | undefined;
  }[];
}

export interface BatchTask {
  kind: 'batch';
  bundle: string;
  /** requestIds per batch; the first batch warms the consumer up. */
  batches: string[][];
  tableName: string;
  /** A stored event whose item the raw floor writes under other keys, so it writes items of the same size. */
  templateRequestId: string;
  upstreamLatencyMs: number;
}

export interface BatchResult {
  /** The handler's wall time per batch, the first (cold consumer) included. */
  handlerMs: number[];
  /**
   * The raw floor of each warm batch: for each record at once, the DynamoDB read a cache miss needs, a wait as
   * long as the upstream's latency, and the write, with the SDK alone.
   */
  rawMs: number[];
}

/**
 * `instances` queue consumers taking batches of 10 from one deep queue. It runs in step with an
 * {@link EnrichLoadTask} ({@link runInStep}): both start at one instant and take work for `warmupMs + measureMs`.
 */
export interface SustainedTask {
  kind: 'sustained';
  bundle: string;
  instances: number;
  requestIds: string[];
  warmupMs: number;
  measureMs: number;
}

/** Epoch milliseconds, comparable with the arrival times the parent records. */
export interface SustainedResult {
  startedAt: number;
  measureFrom: number;
  measureTo: number;
  stoppedAt: number;
  batches: number;
  records: number;
  redelivered: number;
  /** The queue emptied before the end: the rate would then measure the queue, not the consumers. */
  ranDry: boolean;
}

/**
 * `POST /enrich {requestId}` of uncached requestIds beside the consumers: `instances` instances of the enrich
 * HTTP function, each with `callersPerInstance` callers calling one after another. A caller refused with 429
 * `UpstreamBudgetExhausted` waits its `Retry-After` and asks for the same requestId again.
 */
export interface EnrichLoadTask {
  kind: 'enrichLoad';
  bundle: string;
  instances: number;
  callersPerInstance: number;
  requestIds: string[];
  warmupMs: number;
  measureMs: number;
}

export interface EnrichLoadResult {
  startedAt: number;
  stoppedAt: number;
  /** Answered 200, enriched from Fingerprint and stored. */
  ok: number;
  /** Answered 429 `UpstreamBudgetExhausted`: no seat in the fleet's budget within the function's wait. */
  refused: number;
  /** Calls answered 429 whose requestId was then enriched by a later call. */
  okAfterRefusal: number;
  /** requestIds refused on their last call when the run ended (asked again until then, never dropped). */
  refusedAtEnd: number;
  /** Every call's time to its answer, ms. */
  okMs: number[];
  refusedMs: number[];
  /** The list of requestIds ran out before the end. */
  ranDry: boolean;
}

export type WorkerTask = WarmTask | CostTask | BatchTask | SustainedTask | EnrichLoadTask;

/**
 * From a worker: its result, its failure, or (tasks run in step) that it is ready to start. To a worker in step:
 * when to start, in epoch milliseconds.
 */
export type WorkerMessage =
  | { kind: 'result'; result: unknown }
  | { kind: 'error'; message: string }
  | { kind: 'ready' };
export interface GoMessage {
  kind: 'go';
  startAt: number;
}

const WORKER = path.join(REPOSITORY_ROOT, 'bench', 'worker.ts');

interface ForkedWorker<T> {
  /** Settles once the worker has sent `ready` (never, for a task that starts on its own). */
  ready: Promise<void>;
  go(startAt: number): void;
  result: Promise<T>;
  kill(): void;
}

/**
 * Starts `task` in a new process with `env` as its whole environment, the way a Lambda instance gets the
 * function's configuration. Its stdout (the handlers' log lines) is discarded; its stderr is shown.
 */
function forkWorker<T>(task: WorkerTask, env: Record<string, string>): ForkedWorker<T> {
  const child = fork(WORKER, [], {
    cwd: REPOSITORY_ROOT,
    env,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let markReady = (): void => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const result = new Promise<T>((resolve, reject) => {
    let settled = false;
    child.on('message', (message: WorkerMessage) => {
      if (message.kind === 'ready') {
        markReady();
        return;
      }
      settled = true;
      if (message.kind === 'result') resolve(message.result as T);
      else reject(new Error(`The ${task.kind} worker failed: ${message.message}`));
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!settled) reject(new Error(`The ${task.kind} worker exited with ${code} before answering`));
    });
  });
  child.send(task);
  return {
    ready,
    go(startAt) {
      const message: GoMessage = { kind: 'go', startAt };
      child.send(message);
    },
    result,
    kill() {
      if (child.exitCode === null) child.kill();
    },
  };
}

/** Runs `task` in a worker process of its own (see {@link forkWorker}) and waits for its result. */
export function runWorker<T>(task: WorkerTask, env: Record<string, string>): Promise<T> {
  const worker = forkWorker<T>(task, env);
  void worker.ready.then(() => worker.go(Date.now()));
  return worker.result;
}

/**
 * Runs tasks side by side, each in its own process (functions of different environments, as Lambda runs them):
 * once every worker has loaded its bundles and said `ready`, all are told to start at the same instant. If one
 * fails, the others are stopped.
 */
export async function runInStep<T extends unknown[]>(
  runs: {
    [K in keyof T]: { task: WorkerTask; env: Record<string, string> };
  },
): Promise<T> {
  const workers = runs.map(({ task, env }) => forkWorker<unknown>(task, env));
  const results = Promise.all(workers.map((worker) => worker.result));
  try {
    await Promise.race([Promise.all(workers.map((worker) => worker.ready)), results]);
    // A moment for the message to reach every worker.
    const startAt = Date.now() + 50;
    for (const worker of workers) worker.go(startAt);
    return (await results) as T;
  } catch (error) {
    for (const worker of workers) worker.kill();
    throw error;
  }
}
