import { COMMON_ENV, type EnvOf, FINGERPRINT_ENV, url, wholeNumber } from '../../shared/config/env-rules.js';

/** The enrich function's queue consumer (rules as data, see `http-env.ts`). */
export const ENRICH_QUEUE_ENV = {
  ...COMMON_ENV,
  ...FINGERPRINT_ENV,
  /** Where permanent failures are sent at once, with their reason. */
  DEAD_LETTER_QUEUE_URL: url(),
  /**
   * The event source's maximum concurrency, set by the stack (`consumerConcurrencyFor`); for the logs and the
   * local server's pool. The upstream rate is not split by it: every consumer shares the fleet's one budget of
   * `FINGERPRINT_MAX_RPS` through the event table. 1 for a single process, such as a local run.
   */
  QUEUE_MAX_CONCURRENCY: wholeNumber(1, 1000, 1),
} as const;

export type EnrichQueueEnv = EnvOf<typeof ENRICH_QUEUE_ENV>;
