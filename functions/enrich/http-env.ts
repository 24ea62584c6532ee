import {
  COMMON_ENV,
  CORS_ENV,
  type EnvOf,
  FINGERPRINT_ENV,
  SETTING_RULES,
  wholeNumber,
} from '../../shared/config/env-rules.js';
import { DEFAULT_ERASURE_SETTLE_MS } from '../../shared/store/dynamodb-event-store.js';

/**
 * The enrich function's HTTP trigger: `POST /enrich`, `GET /events/{requestId}`, `DELETE /visitors/{visitorId}`.
 * Rules as data, without Zod: `loadEnvOf` reads them at cold start, and `envSchema` of `shared/config/env.ts`
 * makes their Zod schema (the stack's types, the settings test, and the read whenever the fast one is unsure).
 */
export const ENRICH_HTTP_ENV = {
  ...COMMON_ENV,
  ...FINGERPRINT_ENV,
  ...CORS_ENV,
  READ_THROUGH_ENABLED: SETTING_RULES.readThroughEnabled,
  UPSTREAM_ERASURE_ENABLED: SETTING_RULES.upstreamErasureEnabled,
  /**
   * Milliseconds `DELETE /visitors/{visitorId}` waits between its two sweeps of the eventually consistent
   * visitor index (ADR 7). Shorter makes erasure faster and a survivor likelier when the index lags.
   */
  ERASURE_SETTLE_MS: wholeNumber(0, 10_000, DEFAULT_ERASURE_SETTLE_MS),
} as const;

export type EnrichHttpEnv = EnvOf<typeof ENRICH_HTTP_ENV>;
