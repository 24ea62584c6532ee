/**
 * The functions the stack deploys, each declared once: its entry, its timeout and memory, and where its
 * environment's schema lives. The stack (`infra/stacks/enrichment-stack.ts`), the bundler (`infra/bundling.ts`),
 * the local Lambda pools (`local/lambda.ts`) and the bench read them from here.
 *
 * No imports (the env schemas are referenced by module path, not loaded): a handler that
 * reads its routes from `routes.ts` does not pull any other function's code or schema into its bundle.
 */

export interface FunctionSpec {
  /** The short name: the local function's name, and the suffix of its log group locally. */
  readonly name: string;
  /** The handler's file, relative to the repository root; it exports the Lambda handler as `handler`. */
  readonly entry: string;
  /** What invokes it: API Gateway's proxy integration (the routes of `routes.ts`) or the enrich queue. */
  readonly trigger: 'http' | 'queue';
  /** Lambda's timeout; the handlers take their upstream deadline from the time they have left. */
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /**
   * Where the function's environment is exported, as rules (`shared/config/env-rules.ts`; its Zod schema is
   * `envSchema` of them): `<module>#<export>`, relative to the root.
   */
  readonly envSchema: string;
}

export const FUNCTIONS = {
  /**
   * `POST /enrich`, `GET /events/{requestId}`, `GET /v4/events/{event_id}`, `DELETE /visitors/{visitorId}`.
   * API Gateway's integration timeout is 29 s: with 25 s the handler answers (504 at worst) before the gateway
   * gives up on it. 512 MB, chosen from the cost per million (docs/performance.md): an uncached call waits
   * 100 ms or more on Fingerprint, billed at this size; 1024 MB would add 10-20 % for no faster answer.
   */
  enrichHttp: {
    trigger: 'http',
    name: 'enrich-http',
    entry: 'functions/enrich/http.ts',
    timeoutSeconds: 25,
    memoryMb: 512,
    envSchema: 'functions/enrich/http-env.ts#ENRICH_HTTP_ENV',
  },
  /**
   * The enrich queue's consumer. A batch of 10 at one consumer's share of the rate, with pagination and
   * retries, usually fits in 60 s. 512 MB: paced by FINGERPRINT_MAX_RPS, not by its CPU; compute is under 1 % of
   * a queued enrichment's cost at 512 MB.
   */
  enrichQueue: {
    trigger: 'queue',
    name: 'enrich-queue',
    entry: 'functions/enrich/queue.ts',
    timeoutSeconds: 60,
    memoryMb: 512,
    envSchema: 'functions/enrich/queue-env.ts#ENRICH_QUEUE_ENV',
  },
  /**
   * `GET /visitors/{visitorId}`, `GET /events`, `GET /v4/events`: reads from DynamoDB only. 1024 MB: a read
   * waits on one Query, so it adds well under 1 % to its cost and halves the CPU-bound cold start and page
   * rendering a caller waits for.
   */
  query: {
    trigger: 'http',
    name: 'query',
    entry: 'functions/query/http.ts',
    timeoutSeconds: 10,
    memoryMb: 1024,
    envSchema: 'functions/query/env.ts#QUERY_ENV',
  },
  /**
   * `POST /webhooks/fingerprint`. Fingerprint waits 3 s for an answer and retries a failed delivery once, 5
   * minutes later; the function only checks a signature and writes one item, so 6 s covers a cold start and the
   * store's write retries, after which Fingerprint's own retry takes over. 1024 MB: a delivery waits on three
   * small DynamoDB calls, so it adds about 1 % to its cost and halves the CPU-bound cold start.
   */
  webhook: {
    trigger: 'http',
    name: 'webhook',
    entry: 'functions/webhook/http.ts',
    timeoutSeconds: 6,
    memoryMb: 1024,
    envSchema: 'functions/webhook/env.ts#WEBHOOK_ENV',
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionKey = keyof typeof FUNCTIONS;

/** The functions behind API Gateway: the ones a route can name. */
export type HttpFunctionKey = {
  [K in FunctionKey]: (typeof FUNCTIONS)[K]['trigger'] extends 'http' ? K : never;
}[FunctionKey];
