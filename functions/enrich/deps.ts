import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FingerprintCallerEnv } from '../../shared/config/env-rules.js';
import type { SealedKeyProvider } from '../../shared/fingerprint/sealed-keys.js';
import type { FingerprintClient } from '../../shared/fingerprint/types.js';
import { lazily } from '../../shared/runtime/lazy.js';
import { DynamoDbEventStore } from '../../shared/store/dynamodb-event-store.js';
import type { RequestCoalescer } from '../../shared/store/event-store.js';
import type { EnrichDeps } from './enrich.js';
import { historyDaysFor } from './history-window.js';

/**
 * The longest an HTTP caller waits for room in the fleet's budget of Fingerprint calls before it gets 429 with
 * `Retry-After`: a busy budget never keeps a function idle for seconds, and a second is one turn of every seat.
 */
export const HTTP_BUDGET_WAIT_MS = 1_000;

/**
 * How long before a released seat frees a queue consumer may reserve it (HTTP callers: as far ahead as their
 * wait allows). Long enough for a read and a reservation of the seat on a busy instance (tens of ms), so the
 * queue still keeps the budget busy; short enough that an HTTP caller waiting beside a deep backlog sees the
 * released seat for most of its second and takes it first (ADR 0008, "Interactive callers first").
 */
export const QUEUE_RESERVE_AHEAD_MS = 300;

/**
 * Builds the enrich use case's ports from the environment. Called once at module scope by each trigger, so
 * SDK clients, the cached key, the limiter's loop and the in-flight requests live as long as the Lambda
 * instance.
 *
 * Every instance of every trigger shares one budget of `FINGERPRINT_MAX_RPS` calls through the event table
 * (`DynamoDbRateLimiter`); `maxWaitMs` bounds how long a call waits for room in it (HTTP: about a second;
 * the queue consumer: up to its deadline), and `reserveAheadMs` how long before a seat frees the instance may
 * take it (the queue consumer: {@link QUEUE_RESERVE_AHEAD_MS}, so that HTTP callers are served first).
 * `coalescer`, given the function's DynamoDB client and table, builds what makes concurrent fetches of one
 * requestId one upstream call (HTTP callers ask at once; queue records of one requestId are rare, idempotent,
 * and not worth two writes per record). A factory rather than a flag, so
 * that only the trigger that uses the coalescer bundles it: the queue consumer's init no longer carries it.
 *
 * The Fingerprint client, the Secrets Manager client it reads its key with and the limiter are built on the
 * first call that reaches Fingerprint (`./upstream.ts`, imported dynamically): an instance whose first call is
 * a cached read loads, builds and pays for none of them at cold start.
 */
export function createEnrichDeps(
  env: FingerprintCallerEnv,
  options: {
    maxWaitMs: number;
    reserveAheadMs?: number;
    coalescer?: (client: DynamoDBClient, tableName: string) => RequestCoalescer;
    erasureSettleMs?: number;
  },
): EnrichDeps {
  const dynamo = new DynamoDBClient({});
  const historyDays = historyDaysFor({
    historyDays: env.FINGERPRINT_HISTORY_DAYS,
    eventTtlDays: env.EVENT_TTL_DAYS,
  });
  const sealedKeysSecretId = env.FINGERPRINT_SEALED_KEYS_SECRET_ID;
  return {
    historyDays,
    store: new DynamoDbEventStore({
      client: dynamo,
      tableName: env.TABLE_NAME,
      ttlDays: env.EVENT_TTL_DAYS,
      ...(options.erasureSettleMs !== undefined && { erasureSettleMs: options.erasureSettleMs }),
      storeUpstream: env.STORE_UPSTREAM_EVENTS,
      // A cached read, the most common first call, is one GetItem: the pager, the batch calls and the erasures
      // load with the first call that needs them (a miss, a history, an erasure).
      parts: lazily(() => import('../../shared/store/dynamodb-event-store-parts.js')),
    }),
    fingerprint: lazyFingerprintClient(
      lazily(async () => {
        const { createUpstream } = await import('./upstream.js');
        return createUpstream(env, {
          dynamo,
          historyDays,
          maxWaitMs: options.maxWaitMs,
          ...(options.reserveAheadMs !== undefined && { reserveAheadMs: options.reserveAheadMs }),
        });
      }),
    ),
    // The keys of sealed results are read on the first sealed result only; most instances never see one.
    ...(sealedKeysSecretId !== undefined && {
      sealedKeys: lazySealedKeys(
        lazily(async () => {
          const { createSealedKeys } = await import('./sealed-keys.js');
          return createSealedKeys(env, sealedKeysSecretId);
        }),
      ),
    }),
    ...(options.coalescer !== undefined && { coalescer: options.coalescer(dynamo, env.TABLE_NAME) }),
  };
}

/** A {@link FingerprintClient} whose every call first waits for `load` (once per instance). */
function lazyFingerprintClient(load: () => Promise<FingerprintClient>): FingerprintClient {
  return {
    getEvent: async (requestId, options) => (await load()).getEvent(requestId, options),
    searchEvents: async (query, options) => (await load()).searchEvents(query, options),
    deleteVisitor: async (visitorId, options) => (await load()).deleteVisitor(visitorId, options),
  };
}

/** A {@link SealedKeyProvider} that first waits for `load` (once per instance). */
function lazySealedKeys(load: () => Promise<SealedKeyProvider>): SealedKeyProvider {
  return { getKeys: async () => (await load()).getKeys() };
}
