import { commonEnv, fingerprintEnv, wholeNumberEnv } from '../../shared/config/env.js';
import * as z from '../../shared/validation/zod.js';

/** The enrich function's queue consumer. */
export const enrichQueueEnvSchema = z.object({
  ...commonEnv(),
  ...fingerprintEnv(),
  /** Where permanent failures are sent at once, with their reason. */
  DEAD_LETTER_QUEUE_URL: z.url(),
  /**
   * The event source's maximum concurrency, set by the stack (`consumerConcurrencyFor`). Each consumer
   * instance takes `FINGERPRINT_MAX_RPS / this` of the upstream rate, so all of them together stay within
   * `FINGERPRINT_MAX_RPS` however deep the queue. 1 for a single process, such as a local run.
   */
  QUEUE_MAX_CONCURRENCY: wholeNumberEnv(1, 1000, 1),
});

export type EnrichQueueEnv = z.output<typeof enrichQueueEnvSchema>;
