import type middy from '@middy/core';
import type { Context } from 'aws-lambda';

/**
 * Structured JSON logs, one line per entry, in the shape and with the key names of Powertools for AWS Lambda's
 * Logger (`level`, `message`, `timestamp`, `service`, the Lambda context's `function_*` keys, `cold_start`,
 * `xray_trace_id`), so log queries written for either work on both. ADR 0006 says why this is ours rather than
 * Powertools': it is the one library whose bundle weight (about 22 KB of every function) the size targets could
 * not carry, and the service uses a small part of it.
 *
 * Events hold personal data (IP, location): log ids and counts at INFO, never whole events. The Fingerprint key
 * never reaches a logger.
 */

export const SERVICE_NAME = 'fingerprint-enrichment';

/** The levels, in order, with Powertools' names; `SILENT` writes nothing. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogAttributes = Readonly<Record<string, unknown>>;

/** The keys a line carries while a Lambda invocation runs. */
interface InvocationKeys {
  cold_start: boolean;
  function_arn: string;
  function_memory_size: number;
  function_name: string;
  function_request_id: string;
}

export interface LoggerOptions {
  logLevel: LogLevel;
  /** @default {@link SERVICE_NAME} */
  serviceName?: string;
}

/** Lines at WARN and above go to stderr, the others to stdout, as Powertools does; Lambda keeps both. */
const STDERR_FROM = LOG_LEVELS.indexOf('WARN');

/** Whether this process has yet to start an invocation: its first one is a cold start. */
let coldStart = process.env.AWS_LAMBDA_INITIALIZATION_TYPE !== 'provisioned-concurrency';

export class Logger {
  readonly #threshold: number;
  readonly #service: string;
  #invocation: InvocationKeys | undefined;

  constructor(options: LoggerOptions) {
    this.#threshold = LOG_LEVELS.indexOf(options.logLevel);
    this.#service = options.serviceName ?? SERVICE_NAME;
  }

  debug(message: string, attributes?: LogAttributes): void {
    this.#write('DEBUG', message, attributes);
  }

  info(message: string, attributes?: LogAttributes): void {
    this.#write('INFO', message, attributes);
  }

  warn(message: string, attributes?: LogAttributes): void {
    this.#write('WARN', message, attributes);
  }

  error(message: string, attributes?: LogAttributes): void {
    this.#write('ERROR', message, attributes);
  }

  /** Adds the invocation's keys to every line until {@link endInvocation}; the middleware calls both. */
  startInvocation(context: Context): void {
    this.#invocation = {
      cold_start: coldStart,
      function_arn: context.invokedFunctionArn,
      function_memory_size: Number(context.memoryLimitInMB),
      function_name: context.functionName,
      function_request_id: context.awsRequestId,
    };
    coldStart = false;
  }

  endInvocation(): void {
    this.#invocation = undefined;
  }

  #write(level: LogLevel, message: string, attributes: LogAttributes | undefined): void {
    const rank = LOG_LEVELS.indexOf(level);
    if (rank < this.#threshold) return;
    const base = {
      level,
      message,
      timestamp: new Date().toISOString(),
      service: this.#service,
      ...this.#invocation,
      ...traceId(),
    };
    const stream = rank >= STDERR_FROM ? process.stderr : process.stdout;
    stream.write(`${serialize(base, attributes)}\n`);
  }
}

/** The invocation's X-Ray trace id, which Lambda puts in the environment. */
function traceId(): { xray_trace_id?: string } {
  const root = process.env._X_AMZN_TRACE_ID?.split(';')[0]?.replace('Root=', '');
  return root ? { xray_trace_id: root } : {};
}

/**
 * The line's JSON. The base keys come first and cannot be overwritten by an attribute. Errors become their
 * name, message, stack and cause, since `JSON.stringify` would give `{}`. A logger must never throw, so
 * attributes that cannot be serialized (a cycle, a BigInt) are replaced by a note saying so.
 */
function serialize(base: Record<string, unknown>, attributes: LogAttributes | undefined): string {
  if (attributes === undefined) return JSON.stringify(base);
  const extra = Object.fromEntries(Object.entries(attributes).filter(([key]) => !(key in base)));
  try {
    return JSON.stringify({ ...base, ...extra }, errorsAsObjects);
  } catch (error) {
    return JSON.stringify({ ...base, logError: `attributes not serializable: ${String(error)}` });
  }
}

function errorsAsObjects(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return {
    name: value.name,
    message: value.message,
    stack: value.stack,
    ...(value.cause !== undefined && { cause: value.cause }),
  };
}

/** One structured JSON logger per function, created at module scope. */
export function createLogger(logLevel: LogLevel): Logger {
  return new Logger({ logLevel });
}

/**
 * Middy middleware: every line logged during an invocation carries its Lambda context keys, and none after
 * it, whether the handler answers or throws.
 */
export function injectLambdaContext<TEvent, TResult>(logger: Logger): middy.MiddlewareObj<TEvent, TResult> {
  return {
    before: (request) => {
      logger.startInvocation(request.context);
    },
    after: () => {
      logger.endInvocation();
    },
    onError: () => {
      logger.endInvocation();
    },
  };
}
