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

export type WorkerTask = WarmTask | CostTask | BatchTask | SustainedTask;

export type WorkerMessage = { kind: 'result'; result: unknown } | { kind: 'error'; message: string };

const WORKER = path.join(REPOSITORY_ROOT, 'bench', 'worker.ts');

/**
 * Runs `task` in a new process with `env` as its whole environment, the way a Lambda instance gets the
 * function's configuration. Its stdout (the handlers' log lines) is discarded; its stderr is shown.
 */
export function runWorker<T>(task: WorkerTask, env: Record<string, string>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], {
      cwd: REPOSITORY_ROOT,
      env,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let settled = false;
    child.on('message', (message: WorkerMessage) => {
      settled = true;
      if (message.kind === 'result') resolve(message.result as T);
      else reject(new Error(`The ${task.kind} worker failed: ${message.message}`));
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!settled) reject(new Error(`The ${task.kind} worker exited with ${code} before answering`));
    });
    child.send(task);
  });
}
