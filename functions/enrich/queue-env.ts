import { commonEnv, fingerprintEnv, wholeNumberEnv } from '../../shared/config/env.js';
import * as z from '../../shared/validation/zod.js';

/** The enrich function's queue consumer. */
export const enrichQueueEnvSchema = z.object({
  ...commonEnv(),
  ...fingerprintEnv(),
  /** Where permanent failures are sent at once, with their reason. */
  DEAD_LETTER_QUEUE_URL: z.url(),
  /**
   * The event source's maximum concurrency, set by the stack (`consumerConcurrencyFor`); for the logs and the
   * local server's pool. The upstream rate is not split by it: every consumer shares the fleet's one budget of
   * `FINGERPRINT_MAX_RPS` through the event table. 1 for a single process, such as a local run.
   */
  QUEUE_MAX_CONCURRENCY: wholeNumberEnv(1, 1000, 1),
});

export type EnrichQueueEnv = z.output<typeof enrichQueueEnvSchema>;
