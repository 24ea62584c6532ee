/**
 * Vitest setup file: across the whole test run, nothing a test file makes the product print (stdout, stderr,
 * the console) may carry a Fingerprint secret key or the header that carries one, and neither may the
 * answers that suites hand to {@link recordAnswer}. Every fake key the tests use starts with `fpsk_`, so one
 * pattern catches all of them.
 *
 * Tests may spy on `process.stdout.write` to capture log lines (`captureOutput` in `service.ts`); a spy
 * replaces the method, so a guard that wrapped the method would be bypassed. Instead `process.stdout` and
 * `process.stderr` are replaced by proxies whose `write` always records the chunk first and then calls
 * whatever `write` the stream has now (the real one, or a test's spy). A spy installed through the proxy
 * lands on the stream itself and cannot displace the recording step.
 *
 * The check runs after each test (what that test printed) and after the file (hooks, module load).
 */
import { format } from 'node:util';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, afterEach } from 'vitest';

/** What must never be printed or answered: a fake key, or the value of either authentication header. */
export const SECRET_PATTERNS: ReadonlyArray<{ name: string; pattern: RegExp }> = [
  { name: 'a Fingerprint secret key (fpsk_…)', pattern: /fpsk_[A-Za-z0-9_]+/ },
  {
    name: 'an Authorization header value',
    pattern: /Authorization["']?\s*[:=]\s*["']?(?:Bearer\s+)?[A-Za-z0-9._~+/-]{6,}/i,
  },
  // A bare `Bearer <token>`: keys are random, so a token holds a digit ("Bearer authentication" does not).
  { name: 'a Bearer token', pattern: /Bearer\s+(?=[A-Za-z._~+/-]*\d)[A-Za-z0-9._~+/-]{8,}/ },
  {
    name: 'an Auth-API-Key header value',
    pattern: /Auth-API-Key["']?\s*[:=]\s*["']?[A-Za-z0-9._~+/-]{6,}/i,
  },
];

/** The first secret-looking text in `text`, described without quoting it, or `undefined`. */
export function findSecret(text: string): string | undefined {
  for (const { name, pattern } of SECRET_PATTERNS) {
    const match = pattern.exec(text);
    if (match) {
      const start = Math.max(0, match.index - 60);
      const context = text.slice(start, match.index).replace(/\s+/g, ' ');
      return `${name}, after "…${context}"`;
    }
  }
  return undefined;
}

interface GuardState {
  /** Everything printed or answered since the last check. */
  pending: string[];
  /** How many chunks were checked in this file, for the leak guard's own test. */
  checked: number;
}

const STATE_KEY = Symbol.for('fingerprint-enrichment.leak-guard');
const CONSOLE_METHODS = new Set<PropertyKey>(['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir']);

/** The guard's state for this worker, installed once even when a worker runs several files. */
export function leakGuardState(): GuardState {
  const holder = globalThis as typeof globalThis & { [STATE_KEY]?: GuardState };
  const existing = holder[STATE_KEY];
  if (existing !== undefined) return existing;
  const state: GuardState = { pending: [], checked: 0 };
  holder[STATE_KEY] = state;
  guardStream('stdout', state);
  guardStream('stderr', state);
  guardConsole(state);
  return state;
}

function textOf(chunk: unknown): string {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk).toString('utf8');
  return String(chunk);
}

function guardStream(name: 'stdout' | 'stderr', state: GuardState): void {
  const stream = process[name];
  const realWrite = stream.write;
  const guardedWrite = function (this: unknown, ...args: unknown[]): unknown {
    state.pending.push(textOf(args[0]));
    // A spy lives on the stream itself; once restored, the prototype's write shows through again.
    const current: unknown = Reflect.get(stream, 'write');
    const write = current === guardedWrite || typeof current !== 'function' ? realWrite : current;
    return Reflect.apply(write, stream, args);
  };
  const proxy = new Proxy(stream, {
    get(target, property) {
      return property === 'write' ? guardedWrite : Reflect.get(target, property, target);
    },
  });
  Object.defineProperty(process, name, { configurable: true, enumerable: true, get: () => proxy });
}

function guardConsole(state: GuardState): void {
  const target = globalThis.console;
  const originals = new Map<PropertyKey, unknown>();
  const wrappers = new Map<PropertyKey, (...args: unknown[]) => unknown>();
  globalThis.console = new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (!CONSOLE_METHODS.has(property) || typeof value !== 'function') return value;
      let wrapper = wrappers.get(property);
      if (wrapper === undefined) {
        originals.set(property, value);
        const guarded = (...args: unknown[]): unknown => {
          state.pending.push(format(...args));
          const current: unknown = Reflect.get(object, property, object);
          const method = current === guarded ? originals.get(property) : current;
          return typeof method === 'function' ? Reflect.apply(method, object, args) : undefined;
        };
        wrapper = guarded;
        wrappers.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

/**
 * Puts an HTTP answer (or any text a test received, such as a dead-lettered message) under the same check as
 * printed text. Suites that drive handlers pass every answer here.
 */
export function recordAnswer(answer: APIGatewayProxyResult | string): void {
  leakGuardState().pending.push(typeof answer === 'string' ? answer : JSON.stringify(answer));
}

function check(when: string): void {
  const state = leakGuardState();
  const text = state.pending.join('');
  state.checked += state.pending.length;
  state.pending.length = 0;
  const found = findSecret(text);
  if (found !== undefined) {
    throw new Error(`Leak guard: ${when} printed or answered ${found}. No key or auth header may leave.`);
  }
}

leakGuardState();

afterEach((context) => {
  check(`the test "${context.task.name}"`);
});

afterAll(() => {
  check('this test file (its hooks or module loading)');
});
