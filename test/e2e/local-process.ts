import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Variables of the developer's shell that would change what the server does; the test sets its own. */
const INHERITED_SETTINGS = [
  'PORT',
  'TABLE_NAME',
  'LOCAL_DATA_DIR',
  'LOCAL_IN_MEMORY',
  'FINGERPRINT_SECRET_API_KEY',
  'FINGERPRINT_BASE_URL',
  'FINGERPRINT_REGION',
  'FINGERPRINT_API_VERSION',
  'FINGERPRINT_MAX_RPS',
  'EVENT_TTL_DAYS',
  'QUEUE_MAX_CONCURRENCY',
  'LOG_LEVEL',
  'READ_THROUGH_ENABLED',
  'UPSTREAM_ERASURE_ENABLED',
  'FINGERPRINT_WEBHOOK_SECRET',
  'WEBHOOK_BASIC_AUTH_ENABLED',
];

/** `npm start`'s server, run as a child process exactly as the script runs it (tsx on local/server.ts). */
export interface LocalProcess {
  url: string;
  port: number;
  /** The process started: the server itself, or npm with `launcher: 'npm'`. */
  pid: number;
  /** Everything it wrote so far, stdout and stderr interleaved. */
  output(): string;
  /** Sends the signal and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** How a start that never became ready ended. */
export interface FailedStart {
  code: number | null;
  output: string;
}

/**
 * How the server is started: `node` runs what the start script runs, directly; `npm` runs `npm start` itself
 * (npm, the shell it runs the script with, and what that starts), as a user does.
 */
export type Launcher = 'node' | 'npm';

function spawnServer(
  args: string[],
  env: Record<string, string>,
  launcher: Launcher = 'node',
): { child: ChildProcess; output: () => string } {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !INHERITED_SETTINGS.includes(name)),
  );
  const [command, commandArgs] =
    launcher === 'npm'
      ? ['npm', ['start', '--', ...args]]
      : [process.execPath, ['--import', 'tsx', 'local/server.ts', ...args]];
  const child = spawn(command, commandArgs, {
    cwd: REPOSITORY_ROOT,
    env: { ...inherited, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return { child, output: () => chunks.join('') };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Starts the server on a free port (`PORT=0`) and resolves once it logs that it listens, with the URL it
 * logged. Rejects with its output if it exits first or is not ready within `readyTimeoutMs`.
 */
export async function startLocalProcess(
  options: {
    args?: string[];
    env?: Record<string, string>;
    readyTimeoutMs?: number;
    launcher?: Launcher;
  } = {},
): Promise<LocalProcess> {
  const { child, output } = spawnServer(options.args ?? [], { PORT: '0', ...options.env }, options.launcher);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The local server was not ready in time:\n${output()}`));
    }, options.readyTimeoutMs ?? 45_000);
    const onData = () => {
      const ready = /"message":"Local API listening".*?"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output());
      if (ready?.[1] === undefined) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve(ready[1]);
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The local server exited with ${code} before it was ready:\n${output()}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid ?? Number.NaN,
    output,
    async stop(signal = 'SIGTERM') {
      const done = exited(child);
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      try {
        return await done;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Runs a start that is expected to fail, and resolves with its exit code and output. */
export async function startExpectingFailure(
  options: { args?: string[]; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<FailedStart> {
  const { child, output } = spawnServer(options.args ?? [], options.env ?? {});
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45_000);
  try {
    const { code } = await exited(child);
    return { code, output: output() };
  } finally {
    clearTimeout(timer);
  }
}
