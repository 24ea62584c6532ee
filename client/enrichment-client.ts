import { ERROR_CODE_HEADER, ERROR_FIELD_HEADER } from '../shared/manifest/error-codes.js';
import { type Credentials, CredentialsError, createSignedFetch, type SignedFetch } from './signing.js';
import {
  type EnrichRequest,
  type EnrichResponse,
  ERROR_CODES,
  type EraseVisitorOptions,
  type ErrorCode,
  type EventList,
  type EventListQuery,
  type NormalizedEvent,
  type VisitorErasure,
  type VisitorHistory,
  type VisitorHistoryQuery,
} from './types.js';

export interface EnrichmentClientOptions {
  /**
   * The API's URL with its stage, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/prod`, or
   * `http://127.0.0.1:3000` for `npm start`.
   */
  baseUrl: string;
  /**
   * The API's region, for signing.
   * @default the region in an `execute-api` URL, else `AWS_REGION`, else `AWS_DEFAULT_REGION`
   */
  region?: string;
  /** @default the AWS SDK's default credential chain */
  credentials?: Credentials;
  /**
   * Sign requests with SigV4. Only an API without IAM authorization (the local server) can do without: pass
   * `false` for `npm start`, which then needs no AWS credentials. Without credentials, a signed call throws
   * {@link CredentialsError}.
   * @default true
   */
  sign?: boolean;
  /** Longest wait for one answer; API Gateway itself gives up after 29 s. @default 30000 */
  timeoutMs?: number;
  /** Attempts per call, the first included; see {@link isRetryable}. @default 3 */
  maxAttempts?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Waits between attempts; tests replace it. */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1), for backoff jitter. @default Math.random */
  random?: () => number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** Base and cap of the exponential backoff between attempts (full jitter). */
const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 5_000;
/** A longer `Retry-After` is the caller's business: the error carries it instead. */
const MAX_RETRY_AFTER_MS = 20_000;

/** An error answer of the API, or an answer that is not one of its documented ones. */
export class EnrichmentApiError extends Error {
  /** The HTTP status; 0 when no answer came (network failure, timeout). */
  readonly status: number;
  /** The answer's `error.code`; `InvalidResponse` for an answer that is not the API's JSON, `NetworkError` without one. */
  readonly code: ErrorCode | 'InvalidResponse' | 'NetworkError';
  /** The input field at fault, for `ValidationFailed`. */
  readonly field: string | undefined;
  /** From `Retry-After`, when the answer has one. */
  readonly retryAfterSeconds: number | undefined;
  /** API Gateway's request id (`x-amzn-RequestId`), to find the call in the service's logs. */
  readonly requestId: string | undefined;

  constructor(details: {
    status: number;
    code: EnrichmentApiError['code'];
    message: string;
    field?: string;
    retryAfterSeconds?: number;
    requestId?: string;
    cause?: unknown;
  }) {
    super(details.message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'EnrichmentApiError';
    this.status = details.status;
    this.code = details.code;
    this.field = details.field;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.requestId = details.requestId;
  }
}

/** 502s that the same call cannot get past soon: a configuration to fix, or an answer that will not change. */
const NOT_RETRIED_502 = new Set(['UpstreamAuthFailed', 'UpstreamMisconfigured', 'UpstreamBadResponse']);

/**
 * Whether a failed call may succeed if made again: no answer, a rate limit, or a temporary failure behind
 * the API. A refused key (`UpstreamAuthFailed`), a base URL that does not reach Fingerprint
 * (`UpstreamMisconfigured`) and every 4xx but 429 need a fix first; an unusable upstream answer
 * (`UpstreamBadResponse`) would be the same answer again.
 */
export function isRetryable(error: EnrichmentApiError): boolean {
  if (error.code === 'NetworkError') return true;
  if (error.status === 429) return true;
  return [502, 503, 504].includes(error.status) && !NOT_RETRIED_502.has(error.code);
}

/**
 * A typed client of the enrichment API: SigV4-signed calls, JSON in and out, errors as
 * {@link EnrichmentApiError}, and retries (honoring `Retry-After`) of what {@link isRetryable} allows.
 * Retrying `POST /enrich` and `DELETE /visitors/{visitorId}` is safe: storing and erasing are idempotent.
 */
export class EnrichmentClient {
  readonly #base: URL;
  readonly #fetch: SignedFetch;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;

  constructor(options: EnrichmentClientOptions) {
    this.#base = new URL(options.baseUrl);
    if (this.#base.protocol !== 'https:' && this.#base.protocol !== 'http:') {
      throw new TypeError(`baseUrl must be an http(s) URL, got ${this.#base.protocol}`);
    }
    const send = options.fetch ?? ((input: string | URL | Request, init?: RequestInit) => fetch(input, init));
    this.#fetch =
      options.sign === false
        ? (input, init = {}) => send(input, init)
        : createSignedFetch({
            region: options.region ?? regionOf(this.#base),
            fetch: send,
            ...(options.credentials !== undefined && { credentials: options.credentials }),
          });
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 3));
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
  }

  /** `POST /enrich`: resolves through the Fingerprint Server API and stores. */
  enrich(request: EnrichRequest, options: CallOptions = {}): Promise<EnrichResponse> {
    return this.#call('POST', '/enrich', undefined, request, options);
  }

  /** `GET /visitors/{visitorId}`: the visitor's cached history in the v3 `/visitors` contract. */
  getVisitorHistory(
    visitorId: string,
    query: VisitorHistoryQuery = {},
    options: CallOptions = {},
  ): Promise<VisitorHistory> {
    return this.#call('GET', `/visitors/${encodeURIComponent(visitorId)}`, query, undefined, options);
  }

  /**
   * `GET /events/{requestId}`: one event, from the cache or, on a miss with read-through enabled, from
   * Fingerprint (and then stored); `NotFound` when neither has it.
   */
  getEvent(requestId: string, options: CallOptions = {}): Promise<NormalizedEvent> {
    return this.#call('GET', `/events/${encodeURIComponent(requestId)}`, undefined, undefined, options);
  }

  /**
   * `DELETE /visitors/{visitorId}`: erases every cached event of the visitor and, with `upstream: true`, asks
   * Fingerprint to delete its data too. A failure at Fingerprint is in `upstream`, not thrown. Retrying is
   * safe: erasure is idempotent.
   */
  eraseVisitor(
    visitorId: string,
    erase: EraseVisitorOptions = {},
    options: CallOptions = {},
  ): Promise<VisitorErasure> {
    const query = erase.upstream === true ? { upstream: 'true' } : undefined;
    return this.#call('DELETE', `/visitors/${encodeURIComponent(visitorId)}`, query, undefined, options);
  }

  /** `GET /events`: one page of cached events, newest first. */
  listEvents(query: EventListQuery, options: CallOptions = {}): Promise<EventList> {
    return this.#call('GET', '/events', query, undefined, options);
  }

  /** Every cached event of the query, newest first, fetching pages of `limit` as it goes. */
  async *iterateEvents(query: EventListQuery, options: CallOptions = {}): AsyncGenerator<NormalizedEvent> {
    let cursor = query.cursor;
    do {
      const page = await this.listEvents({ ...query, ...(cursor !== undefined && { cursor }) }, options);
      yield* page.events;
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }

  async #call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    query: object | undefined,
    body: unknown,
    options: CallOptions,
  ): Promise<T> {
    const url = new URL(`${this.#base.pathname.replace(/\/+$/, '')}${path}`, this.#base);
    // Percent-encoded as URI components (a space is %20, not +): API Gateway does not read + as a space, so an
    // id holding spaces or a + must not depend on form encoding.
    url.search = Object.entries(query ?? {})
      .filter((entry) => entry[1] !== undefined)
      .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
      .join('&');
    const text = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 1; ; attempt += 1) {
      try {
        return (await this.#attempt(method, url, text, options)) as T;
      } catch (error) {
        if (!(error instanceof EnrichmentApiError) || !isRetryable(error) || attempt >= this.#maxAttempts) {
          throw error;
        }
        if (options.signal?.aborted === true) throw error;
        const retryAfterMs =
          error.retryAfterSeconds === undefined ? undefined : error.retryAfterSeconds * 1000;
        if (retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS) throw error;
        await this.#sleep(
          retryAfterMs ?? this.#random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1)),
        );
      }
    }
  }

  async #attempt(method: string, url: URL, body: string | undefined, options: CallOptions): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body }),
        signal,
      });
      text = await response.text();
    } catch (error) {
      if (options.signal?.aborted === true) throw error;
      // No credentials to sign with is for the caller to fix, not a network failure to retry.
      if (error instanceof CredentialsError) throw error;
      const timedOut = timeout.aborted;
      throw new EnrichmentApiError({
        status: 0,
        code: 'NetworkError',
        message: timedOut
          ? `${method} ${url.pathname}: no answer within ${this.#timeoutMs} ms`
          : `${method} ${url.pathname}: ${error instanceof Error ? error.message : String(error)}`,
        cause: error,
      });
    }
    const requestId = response.headers.get('x-amzn-requestid') ?? undefined;
    const json = parseJson(text);
    if (response.ok) {
      if (json === undefined) {
        throw new EnrichmentApiError({
          status: response.status,
          code: 'InvalidResponse',
          message: `${method} ${url.pathname} answered ${response.status} without a JSON body`,
          ...(requestId !== undefined && { requestId }),
        });
      }
      return json;
    }
    const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
    const error = readError(json, response.headers);
    throw new EnrichmentApiError({
      status: response.status,
      code: error?.code ?? 'InvalidResponse',
      message:
        error?.message ?? `${method} ${url.pathname} answered ${response.status}: ${text.slice(0, 200)}`,
      ...(error?.field !== undefined && { field: error.field }),
      ...(Number.isFinite(retryAfter) && retryAfter >= 0 && { retryAfterSeconds: retryAfter }),
      ...(requestId !== undefined && { requestId }),
    });
  }
}

/** Creates an {@link EnrichmentClient}. */
export function createEnrichmentClient(options: EnrichmentClientOptions): EnrichmentClient {
  return new EnrichmentClient(options);
}

const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

function regionOf(base: URL): string {
  const region =
    EXECUTE_API_HOST.exec(base.hostname)?.[1] ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (region === undefined || region === '') {
    throw new TypeError(
      `Cannot tell the region of ${base.host} (not an execute-api URL): pass the region option or set AWS_REGION.`,
    );
  }
  return region;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The error of an answer: `{"error": {"code", "message", "field"?}}`, or on `GET /visitors/{visitorId}`
 * Fingerprint's v3 shape `{"error": "<message>"}` with the code in `X-Error-Code` and the field, URI-encoded,
 * in `X-Error-Field`.
 */
function readError(
  json: unknown,
  headers: Headers,
): { code: ErrorCode; message: string; field?: string } | undefined {
  if (typeof json !== 'object' || json === null || !('error' in json)) return undefined;
  const { error } = json;
  if (typeof error === 'string') {
    const code = headers.get(ERROR_CODE_HEADER);
    const field = decodeField(headers.get(ERROR_FIELD_HEADER));
    if (!isErrorCode(code)) return undefined;
    return { code, message: error, ...(field !== undefined && { field }) };
  }
  if (typeof error !== 'object' || error === null) return undefined;
  const code = 'code' in error ? error.code : undefined;
  const message = 'message' in error ? error.message : undefined;
  const field = 'field' in error ? error.field : undefined;
  if (!isErrorCode(code) || typeof message !== 'string') return undefined;
  return { code, message, ...(typeof field === 'string' && { field }) };
}

function decodeField(value: string | null): string | undefined {
  if (value === null) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
