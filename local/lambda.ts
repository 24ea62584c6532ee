import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { FUNCTIONS, type FunctionKey } from '../shared/manifest/functions.js';

/** The account id local ARNs carry: there is no account behind them. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** What a function is, as Lambda would report it in its context. */
export interface FunctionSettings {
  name: string;
  /** The function's timeout: its context counts down from it. */
  timeoutMs: number;
  memoryMb: number;
  region: string;
}

/**
 * The functions the stack deploys, with the timeouts and memory the service manifest gives them (as the stack
 * does): the handlers take their upstream deadline from the time they have left, so a local run must give them
 * the same.
 */
export const FUNCTION_SETTINGS = Object.fromEntries(
  (Object.keys(FUNCTIONS) as FunctionKey[]).map((key) => [
    key,
    {
      name: FUNCTIONS[key].name,
      timeoutMs: FUNCTIONS[key].timeoutSeconds * 1000,
      memoryMb: FUNCTIONS[key].memoryMb,
    },
  ]),
) as Record<FunctionKey, Omit<FunctionSettings, 'region'>>;

/** A Lambda context for one invocation: a fresh request id and a remaining time counting down. */
export function buildContext(settings: FunctionSettings, now = Date.now()): Context {
  const end = now + settings.timeoutMs;
  const functionName = `fingerprint-enrichment-local-${settings.name}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${settings.region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(settings.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${new Date(now).toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]local`,
    getRemainingTimeInMillis: () => Math.max(0, end - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export type Handler<E, R> = (event: E, context: Context) => Promise<R>;

/** How one invocation ended. */
export type Invocation<R> =
  | { status: 'ok'; result: R; context: Context }
  | { status: 'error'; error: unknown; context: Context }
  | { status: 'timeout'; context: Context };

/**
 * Runs a function the way Lambda does: each instance (module state: logger, SDK clients, rate limiter, batch
 * processor) handles one invocation at a time, a new instance is created when all are busy, and an instance
 * whose invocation timed out is thrown away. `maxInstances` caps concurrency like an event source's maximum
 * concurrency; invocations beyond it wait for a free instance.
 */
export class FunctionPool<E, R> {
  readonly #settings: FunctionSettings;
  readonly #create: () => Handler<E, R>;
  readonly #maxInstances: number;
  readonly #idle: Handler<E, R>[] = [];
  readonly #waiting: ((instance: Handler<E, R>) => void)[] = [];
  #instances = 0;

  constructor(options: { settings: FunctionSettings; create: () => Handler<E, R>; maxInstances?: number }) {
    this.#settings = options.settings;
    this.#create = options.create;
    this.#maxInstances = options.maxInstances ?? Number.POSITIVE_INFINITY;
  }

  get settings(): FunctionSettings {
    return this.#settings;
  }

  async invoke(event: E): Promise<Invocation<R>> {
    const instance = await this.#acquire();
    const context = buildContext(this.#settings);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#settings.timeoutMs);
    });
    const running = instance(event, context).then(
      (result) => ({ status: 'ok', result, context }) as const,
      (error: unknown) => ({ status: 'error', error, context }) as const,
    );
    const outcome = await Promise.race([running, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      // Lambda freezes and replaces a timed-out instance; here it finishes in the background and is dropped.
      void running.finally(() => this.#discard());
      return { status: 'timeout', context };
    }
    this.#release(instance);
    return outcome;
  }

  #acquire(): Promise<Handler<E, R>> {
    const idle = this.#idle.pop();
    if (idle !== undefined) return Promise.resolve(idle);
    if (this.#instances < this.#maxInstances) {
      this.#instances += 1;
      return Promise.resolve(this.#create());
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(instance: Handler<E, R>): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next(instance);
    else this.#idle.push(instance);
  }

  #discard(): void {
    this.#instances -= 1;
    const next = this.#waiting.shift();
    if (next !== undefined) {
      this.#instances += 1;
      next(this.#create());
    }
  }
}
