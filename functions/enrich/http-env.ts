import {
  commonEnv,
  corsEnv,
  fingerprintEnv,
  readThroughEnabledSetting,
  upstreamErasureEnabledSetting,
  wholeNumberEnv,
} from '../../shared/config/env.js';
import * as z from '../../shared/validation/zod.js';

/** The enrich function's HTTP trigger: `POST /enrich`, `GET /events/{requestId}`, `DELETE /visitors/{visitorId}`. */
export const enrichHttpEnvSchema = z.object({
  ...commonEnv(),
  ...fingerprintEnv(),
  ...corsEnv(),
  READ_THROUGH_ENABLED: readThroughEnabledSetting(),
  UPSTREAM_ERASURE_ENABLED: upstreamErasureEnabledSetting(),
  /**
   * Milliseconds `DELETE /visitors/{visitorId}` waits between its two sweeps of the eventually consistent
   * visitor index (ADR 7). Shorter makes erasure faster and a survivor likelier when the index lags.
   */
  ERASURE_SETTLE_MS: wholeNumberEnv(0, 10_000, 2_000),
});

export type EnrichHttpEnv = z.output<typeof enrichHttpEnvSchema>;
