/**
 * Fault injection: what a test (or the bench) makes the emulator do instead of, or to, the answer a request
 * would get. Faults are chosen per request by an injector, then from a queue of `failNext` entries.
 */
import { ERRORS } from './examples.js';
import type { Answer, ApiVersion } from './routes.js';

export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string; body?: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' }
  | { kind: 'body'; body: string }
  /** The answer the request would get, with its body cut to `keep` of its length (default half). */
  | { kind: 'truncate'; keep?: number }
  /**
   * The answer the request would get, with its JSON body replaced by what `edit` returns (it may change the
   * parsed body in place and return it): bad events inside an otherwise valid page, a repeated key.
   */
  | { kind: 'edit'; edit: (body: Record<string, unknown>) => unknown };

export interface RecordedRequest {
  method: string;
  /** The path as sent, still URL-encoded. */
  path: string;
  /** Decoded query parameters. */
  query: Record<string, string>;
  authorized: boolean;
  version: ApiVersion;
  /** When the request arrived, in `performance.now()` milliseconds. */
  receivedAt: number;
}

/** Chooses a fault (or none) for each request; consulted before the faults queued by `failNext`. */
export type FaultInjector = (request: RecordedRequest) => Fault | undefined;

interface QueuedFault {
  fault: Fault;
  remaining: number;
  match?: (request: RecordedRequest) => boolean;
}

/** The faults to come: an optional injector, then the queue of `failNext`. */
export class FaultPlan {
  #injector: FaultInjector | undefined;
  readonly #queue: QueuedFault[] = [];

  /** Makes the next `times` requests for which `match` holds (default: any) fail with `fault`. */
  failNext(fault: Fault, times = 1, match?: (request: RecordedRequest) => boolean): void {
    this.#queue.push({ fault, remaining: times, ...(match && { match }) });
  }

  setInjector(injector: FaultInjector | undefined): void {
    this.#injector = injector;
  }

  /** The fault for this request, if any; a queued fault counts down and leaves the queue at zero. */
  take(request: RecordedRequest): Fault | undefined {
    const injected = this.#injector?.(request);
    if (injected !== undefined) return injected;
    const index = this.#queue.findIndex((entry) => entry.match === undefined || entry.match(request));
    const entry = this.#queue[index];
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#queue.splice(index, 1);
    return entry.fault;
  }
}

/** The answer a `status` fault gives: its body, or the version's documented error body for that status. */
export function statusAnswer(fault: Extract<Fault, { kind: 'status' }>, version: ApiVersion): Answer {
  const headers = fault.retryAfter === undefined ? undefined : { 'retry-after': fault.retryAfter };
  const body = fault.body ?? defaultErrorBody(fault.status, version);
  return { status: fault.status, body, ...(headers && { headers }) };
}

function defaultErrorBody(status: number, version: ApiVersion): string {
  const bodies = ERRORS[version];
  switch (status) {
    case 400:
    case 409:
    case 429:
      return bodies[status];
    case 403:
      return bodies.keyNotFound;
    case 404:
      return bodies.eventNotFound;
    case 504:
      return version === 'v4' ? ERRORS.v4[504] : bodies[500];
    default:
      return bodies[500];
  }
}

/** Applies the faults that change an answer after it is made (`edit`, `truncate`). */
export function alterAnswer(fault: Fault | undefined, answer: Answer): Answer {
  if (fault?.kind === 'edit') {
    return { ...answer, body: JSON.stringify(fault.edit(JSON.parse(answer.body ?? 'null') as never)) };
  }
  if (fault?.kind === 'truncate') {
    const body = answer.body ?? '';
    return { ...answer, body: body.slice(0, Math.floor(body.length * (fault.keep ?? 0.5))) };
  }
  return answer;
}
