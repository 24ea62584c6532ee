import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { type Summary, shuffled, summarize } from './support/stats.js';

/** One bundle to start cold, and the first call to make on it. */
export interface ColdStartSubject {
  key: string;
  /** The bundle's `index.mjs`. */
  file: string;
  /** The `node` binary to start it with (Node.js 24, as Lambda runs it, or the machine's own). */
  execPath: string;
  env: Record<string, string>;
  /**
   * The first call's event, handed to the process as JSON: either the event itself, the same for every start,
   * or a function called once for each process that makes that process's own, for a first call that must not
   * repeat. A webhook delivery is one: the function stores the first process's copy, and every later process
   * given the same delivery would time the replay's path (the conditional write fails, a read of what is
   * stored follows) instead of a delivery's. Events are JSON, so a function is never an event itself.
   */
  event: unknown | (() => unknown);
  /** Whether the first call answered as it should; a broken call would time something else. */
  check(result: unknown): boolean;
}

export interface ColdStartResult {
  /** `import()` of the bundle: reading, compiling and evaluating it, which Lambda bills as its Init phase. */
  init: Summary;
  /** The first invocation alone: lazy work (credentials, connections, first parses) surfaces here. */
  firstCall: Summary;
  /** Both: what the first caller waits for on top of the runtime's own start. */
  initAndFirstCall: Summary;
  /**
   * The CPU time of the same two spans (every thread of the process). Less sensitive than wall time to other
   * work on a shared machine, which delays a process without adding to its CPU time.
   */
  initCpu: Summary;
  initAndFirstCallCpu: Summary;
}

/**
 * Runs in a fresh `node` with nothing preloaded (no TypeScript loader, no test runner), as Lambda's runtime
 * loads a handler: the handler module is imported, then invoked once. Times are taken inside the process, so
 * Node's own start, the same for every bundle, is left out.
 */
const CHILD_SCRIPT = `
const context = {
  functionName: 'benchmark', functionVersion: '$LATEST', memoryLimitInMB: '512', awsRequestId: 'cold-start',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:benchmark', callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 20000,
};
const cpuMs = (usage) => (usage.user + usage.system) / 1000;
const cpuStart = process.cpuUsage();
const started = performance.now();
const { handler } = await import(process.env.BENCH_BUNDLE_URL);
const loaded = performance.now();
const cpuLoaded = process.cpuUsage(cpuStart);
const result = await handler(JSON.parse(process.env.BENCH_EVENT), context);
const answered = performance.now();
const cpuAnswered = process.cpuUsage(cpuStart);
const line = 'BENCH_COLD_START ' + JSON.stringify({
  initMs: loaded - started, firstCallMs: answered - loaded,
  initCpuMs: cpuMs(cpuLoaded), totalCpuMs: cpuMs(cpuAnswered), result,
});
process.stdout.write('\\n' + line + '\\n', () => process.exit(0));
`;

interface Sample {
  initMs: number;
  firstCallMs: number;
  initCpuMs: number;
  totalCpuMs: number;
  result: unknown;
}

/** The event of one start's first call: the subject's own, or a new one when it makes one per start. */
export function eventOfStart(subject: Pick<ColdStartSubject, 'event'>): unknown {
  return typeof subject.event === 'function' ? subject.event() : subject.event;
}

function startOnce(subject: ColdStartSubject): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(subject.execPath, ['--input-type=module', '--eval', CHILD_SCRIPT], {
      env: {
        ...subject.env,
        BENCH_BUNDLE_URL: pathToFileURL(subject.file).href,
        BENCH_EVENT: JSON.stringify(eventOfStart(subject)),
      },
      // Handler logs go to stdout too; the result line is found by its prefix.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((text) => text.startsWith('BENCH_COLD_START '));
      if (code !== 0 || line === undefined) {
        reject(new Error(`${subject.key} did not start (exit ${code}):\n${stderr.slice(-2000)}`));
        return;
      }
      const sample = JSON.parse(line.slice('BENCH_COLD_START '.length)) as Sample;
      if (!subject.check(sample.result)) {
        const answer = JSON.stringify(sample.result).slice(0, 300);
        reject(new Error(`${subject.key} answered its first call wrongly: ${answer}`));
        return;
      }
      resolve(sample);
    });
  });
}

/**
 * Starts every subject `runs` times. The runs are interleaved in rounds, each round in a new random order, so
 * that a slow spell of a shared machine falls on all subjects alike instead of on whichever ran then.
 */
export async function measureColdStarts(
  subjects: readonly ColdStartSubject[],
  runs: number,
  onRound?: (round: number) => void,
): Promise<Record<string, ColdStartResult>> {
  const samples = new Map<string, Sample[]>(subjects.map((subject) => [subject.key, []]));
  for (let round = 0; round < runs; round += 1) {
    for (const subject of shuffled(subjects)) samples.get(subject.key)?.push(await startOnce(subject));
    onRound?.(round + 1);
  }
  return Object.fromEntries(
    [...samples].map(([key, list]) => [
      key,
      {
        init: summarize(list.map((sample) => sample.initMs)),
        firstCall: summarize(list.map((sample) => sample.firstCallMs)),
        initAndFirstCall: summarize(list.map((sample) => sample.initMs + sample.firstCallMs)),
        initCpu: summarize(list.map((sample) => sample.initCpuMs)),
        initAndFirstCallCpu: summarize(list.map((sample) => sample.totalCpuMs)),
      },
    ]),
  );
}
