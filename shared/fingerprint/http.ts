import {
  type AppError,
  assertNever,
  NotFoundError,
  UpstreamAuthError,
  UpstreamBadResponseError,
  UpstreamBudgetExhaustedError,
  UpstreamMisconfiguredError,
  UpstreamRateLimitedError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
  ValidationError,
} from '../domain/errors.js';
import { EmbeddedUpstreamError, UPSTREAM_METHODS, type UpstreamRequest } from './dialect.js';
import type { UpstreamLimiter } from './rate-limiter.js';
import type { UpstreamAnswer, UpstreamFetch } from './transport.js';
import type { ApiKeyProvider, CallOptions } from './types.js';
import { AUTH_SETTINGS, authErrorFor, describeAnswer, parseErrorBody, redact } from './upstream-errors.js';

/** How hard the client tries before giving up. Every wait also stops at the caller's deadline. */
export interface RetryPolicy {
  /** Attempts per call, the first included; the extra attempt after a 403 (key rotation) is not counted. */
  maxAttempts: number;
  /** Longest wait for one answer, body included; clipped to the time left before the deadline. */
  attemptTimeoutMs: number;
  /** Backoff before retry n is uniform in [0, min(cap, base · 2^(n-1))] ("full jitter"). */
  backoffBaseMs: number;
  backoffCapMs: number;
}

/**
 * Four attempts with waits of at most 0.25 s, 0.5 s, 1 s fit well inside an API Gateway request (29 s) even
 * with 5 s attempts; the cap only matters to callers that raise `maxAttempts`.
 */
export const DEFAULT_RETRY_POLICY = {
  maxAttempts: 4,
  attemptTimeoutMs: 5_000,
  backoffBaseMs: 250,
  backoffCapMs: 4_000,
} as const satisfies RetryPolicy;

export interface HttpCoreOptions {
  /** Scheme and host, optionally with a path prefix; request paths are appended to it. */
  baseUrl: string;
  keys: ApiKeyProvider;
  authHeaders: (key: string) => Record<string, string>;
  policy: RetryPolicy;
  limiter: UpstreamLimiter;
  fetch: UpstreamFetch;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => number;
}

/**
 * The only failures worth another attempt: 429, 5xx (and 408/409), timeouts and network errors. Anything else
 * (a 2xx whose content is unusable included) gets the same answer when asked again.
 */
const FAILURE_KINDS = {
  rateLimited: 'rateLimited',
  unavailable: 'unavailable',
  timeout: 'timeout',
} as const;
type FailureKind = (typeof FAILURE_KINDS)[keyof typeof FAILURE_KINDS];

/** An attempt that may succeed if made again. `detail` is already free of the key. */
interface Failure {
  kind: FailureKind;
  detail: string;
  retryAfterMs?: number;
  cause?: Error;
}

type Outcome<T> =
  | { type: 'ok'; value: T }
  | { type: 'fatal'; error: AppError }
  | { type: 'forbidden'; error: UpstreamAuthError }
  | { type: 'retry'; failure: Failure };

/** A key that cannot be sent in a header would make fetch throw an error that quotes it. */
const HEADER_SAFE_KEY = /^[\x21-\x7e]+$/;

/**
 * The retrying HTTP core shared by both API versions: rate limiting, per-attempt timeouts, backoff, the
 * deadline, the 403 key refetch, and the mapping of every answer to a typed error.
 */
export class HttpCore {
  readonly #options: HttpCoreOptions;

  constructor(options: HttpCoreOptions) {
    this.#options = options;
  }

  /** Sends `request` until it succeeds, fails for good, runs out of attempts or reaches `deadline`. */
  async send<T>(request: UpstreamRequest<T>, { deadline }: CallOptions): Promise<T> {
    const { policy, keys, limiter, now, sleep } = this.#options;
    let allowed: number = policy.maxAttempts;
    let attempts = 0;
    let failures = 0;
    let rotated = false;
    let last: Failure | undefined;
    for (;;) {
      const key = await keys.getKey();
      if (!HEADER_SAFE_KEY.test(key)) throw unusableKeyError();
      const slot = await limiter.take(deadline);
      if (slot === undefined) throw this.#noSlot(request, last, attempts, deadline);
      // A fleet-wide slot is held only until `answerBy`: the attempt ends by then, so its place covers it.
      const timeLeft = Math.min(deadline, slot.answerBy ?? deadline) - now();
      if (timeLeft <= 0) {
        slot.release();
        throw this.#giveUp(request, last, attempts, 'the deadline passed');
      }

      attempts += 1;
      let outcome: Outcome<T>;
      try {
        // The request may count at Fingerprint until its answer begins: the limiter holds its place till then,
        // not while the body is read and parsed.
        outcome = await this.#attempt(request, key, Math.min(policy.attemptTimeoutMs, timeLeft), () =>
          slot.release(),
        );
      } finally {
        slot.release();
      }
      switch (outcome.type) {
        case 'ok':
          return outcome.value;
        case 'fatal':
          throw outcome.error;
        case 'forbidden':
          if (rotated) throw outcome.error;
          // The key may have been rotated since we cached it: fetch it again and try once more.
          rotated = true;
          allowed += 1;
          keys.invalidate();
          break;
        case 'retry': {
          last = outcome.failure;
          failures += 1;
          if (attempts >= allowed) throw this.#giveUp(request, last, attempts);
          const delay = last.retryAfterMs ?? this.#backoff(failures);
          if (now() + delay >= deadline) {
            throw this.#giveUp(request, last, attempts, 'the deadline leaves no time for another attempt');
          }
          await sleep(delay);
          break;
        }
        default:
          assertNever(outcome);
      }
    }
  }

  #backoff(retry: number): number {
    return Math.floor(this.#options.random() * backoffCeiling(this.#options.policy, retry));
  }

  #noSlot(
    request: UpstreamRequest<unknown>,
    last: Failure | undefined,
    attempts: number,
    deadline: number,
  ): AppError {
    if (last !== undefined || this.#options.now() >= deadline) {
      return this.#giveUp(request, last, attempts, 'the deadline passed');
    }
    const waitSeconds = Math.max(1, Math.ceil(this.#options.limiter.waitMs() / 1000));
    return new UpstreamBudgetExhaustedError(
      'No room in the budget of Fingerprint calls (FINGERPRINT_MAX_RPS, shared by every instance) in the time ' +
        `${request.route} may wait; nothing was sent. Retry later, or raise the limit if the Fingerprint plan allows it.`,
      waitSeconds,
    );
  }

  /** The error for a call that stops retrying: its type follows the last failure. */
  #giveUp(
    request: UpstreamRequest<unknown>,
    last: Failure | undefined,
    attempts: number,
    why?: string,
  ): AppError {
    const tried = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
    const message = last
      ? `Fingerprint ${request.route} failed after ${tried}${why ? ` (${why})` : ''}: ${last.detail}.`
      : `Fingerprint ${request.route} was not attempted: ${why ?? 'no time left'}.`;
    const options = last?.cause ? { cause: last.cause } : undefined;
    const kind = last?.kind;
    switch (kind) {
      case FAILURE_KINDS.rateLimited: {
        const waitMs = last?.retryAfterMs ?? backoffCeiling(this.#options.policy, attempts);
        return new UpstreamRateLimitedError(message, Math.max(1, Math.ceil(waitMs / 1000)), options);
      }
      case FAILURE_KINDS.unavailable:
        return new UpstreamUnavailableError(message, options);
      case FAILURE_KINDS.timeout:
      case undefined:
        return new UpstreamTimeoutError(message, options);
      default:
        return assertNever(kind);
    }
  }

  async #attempt<T>(
    request: UpstreamRequest<T>,
    key: string,
    timeoutMs: number,
    onAnswer: () => void,
  ): Promise<Outcome<T>> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await this.#options.fetch(this.#url(request), {
        method: request.method ?? UPSTREAM_METHODS.get,
        headers: { Accept: 'application/json', ...this.#options.authHeaders(key) },
        signal: controller.signal,
        // A redirect would carry the key to another host; the Server API never redirects.
        redirect: 'manual',
      });
      onAnswer();
      const text = await response.text();
      return this.#classify(request, response, text, key);
    } catch (error) {
      if (controller.signal.aborted) {
        return retry({ kind: FAILURE_KINDS.timeout, detail: `no answer within ${Math.round(timeoutMs)} ms` });
      }
      const cause = sanitize(error, key);
      return retry({ kind: FAILURE_KINDS.unavailable, detail: `network error (${cause.message})`, cause });
    } finally {
      clearTimeout(timer);
    }
  }

  #classify<T>(request: UpstreamRequest<T>, response: UpstreamAnswer, text: string, key: string): Outcome<T> {
    const { status } = response;
    if (status >= 200 && status < 300) {
      return request.discardBody === true
        ? { type: 'ok', value: request.parse(undefined) }
        : parseSuccess(request, text, key);
    }

    const body = parseErrorBody(redact(text, key));
    const answer = describeAnswer(status, body);
    if (status === 400) {
      return fatal(new UpstreamRejectedError(`Fingerprint rejected ${request.route} as invalid: ${answer}.`));
    }
    if (status === 401 || status === 403) {
      return { type: 'forbidden', error: authErrorFor(request.route, status, body) };
    }
    if (status === 404) {
      // Every 404 the documents list is `{"error": {"code", "message"}}`: anything else (an HTML page,
      // `{"message": "Not Found"}`) comes from something between us and Fingerprint that has no such route.
      if (body.code === undefined) return fatal(misconfigured(request.route, answer));
      const value = request.onNotFound?.(body);
      if (value !== undefined) return { type: 'ok', value };
      return fatal(new NotFoundError(`Fingerprint found nothing for ${request.route}: ${answer}.`));
    }
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.#options.now());
    const hint = retryAfterMs === undefined ? {} : { retryAfterMs };
    if (status === 429) return retry({ kind: FAILURE_KINDS.rateLimited, detail: answer, ...hint });
    // A gateway timeout (v4 documents 504 for a search that ran out of time) is a timeout, not an outage.
    if (status === 504) return retry({ kind: FAILURE_KINDS.timeout, detail: answer, ...hint });
    // 409 is StateNotReady: the event exists but is not readable yet.
    if (status === 408 || status === 409 || status >= 500) {
      return retry({ kind: FAILURE_KINDS.unavailable, detail: answer, ...hint });
    }
    return fatal(
      new UpstreamBadResponseError(
        `Fingerprint answered ${answer} to ${request.route}, which the Server API does not document; ` +
          'check FINGERPRINT_BASE_URL if it is set.',
      ),
    );
  }

  #url(request: UpstreamRequest<unknown>): string {
    const base = this.#options.baseUrl.replace(/\/+$/, '');
    const query = request.query?.toString();
    return `${base}${request.path}${query ? `?${query}` : ''}`;
  }
}

/**
 * `Retry-After` as milliseconds from now: either delay-seconds or an HTTP date. `undefined` when absent or
 * unreadable, so the caller falls back to its own backoff.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function backoffCeiling(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.backoffCapMs, policy.backoffBaseMs * 2 ** (retry - 1));
}

function parseSuccess<T>(request: UpstreamRequest<T>, text: string, key: string): Outcome<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fatal(unusable(request, 'the body is not JSON'));
  }
  try {
    return { type: 'ok', value: request.parse(json) };
  } catch (error) {
    // A parser that recognizes an answer that can never become an event (an Edge analysis) says so.
    if (error instanceof UpstreamRejectedError) return fatal(error);
    if (error instanceof EmbeddedUpstreamError) {
      return retry({
        kind: error.kind,
        detail: `200 with an error in place of the data (${redact(error.message, key)})`,
      });
    }
    const reason = error instanceof Error ? redact(error.message, key).slice(0, 300) : 'unreadable';
    return fatal(unusable(request, `the body is not the documented shape: ${reason}`, error));
  }
}

/** A 2xx that can never be used: asking again gets the same answer, so it is not retried. */
function unusable(request: UpstreamRequest<unknown>, why: string, cause?: unknown): UpstreamBadResponseError {
  // The cause is kept only when it is a validation failure of ours: its text was built from field names.
  const options = cause instanceof ValidationError ? { cause } : undefined;
  return new UpstreamBadResponseError(
    `Fingerprint answered ${request.route} with a 2xx whose content cannot be used (not retried): ${why}.`,
    options,
  );
}

/**
 * A 404 that is not Fingerprint's: the base URL (or region host) points at something without the Server API's
 * routes. Retryable, since the same call succeeds once the setting is fixed.
 */
function misconfigured(route: string, answer: string): UpstreamMisconfiguredError {
  return new UpstreamMisconfiguredError(
    `${route} answered ${answer} with a body that is not a Fingerprint error: the request did not reach the ` +
      `Fingerprint Server API. Check ${MISCONFIGURED_SETTINGS} (a proxy must forward every route; with v4 the ` +
      'base URL may end in /v4 or not).',
    MISCONFIGURED_SETTINGS,
  );
}

const MISCONFIGURED_SETTINGS = 'FINGERPRINT_BASE_URL / FINGERPRINT_REGION';

function unusableKeyError(): UpstreamAuthError {
  return new UpstreamAuthError(
    'The Fingerprint secret API key is empty or holds characters an HTTP header cannot carry (whitespace, ' +
      `non-ASCII): fix the value of the secret named by ${AUTH_SETTINGS.secret}.`,
    AUTH_SETTINGS.secret,
  );
}

/**
 * A fetch failure reduced to what is safe to keep: its name, the system error code of its cause (ECONNRESET,
 * UND_ERR_SOCKET) and a key-free message. The original error is dropped because undici may quote request
 * headers in it.
 */
function sanitize(error: unknown, key: string): Error {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 3 && current instanceof Error; depth += 1) {
    const code = 'code' in current && typeof current.code === 'string' ? ` ${current.code}` : '';
    parts.push(`${current.name}${code}: ${current.message}`);
    current = current.cause;
  }
  const message = parts.length > 0 ? redact(parts.join(' <- '), key).slice(0, 300) : 'unknown error';
  const safe = new Error(message);
  safe.name = 'FetchError';
  return safe;
}

function retry(failure: Failure): Outcome<never> {
  return { type: 'retry', failure };
}

function fatal(error: AppError): Outcome<never> {
  return { type: 'fatal', error };
}
