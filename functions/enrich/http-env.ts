import { commonEnv, corsEnv, fingerprintEnv, flagEnv, wholeNumberEnv } from '../../shared/config/env.js';
import * as z from '../../shared/validation/zod.js';

/** The enrich function's HTTP trigger: `POST /enrich`, `GET /events/{requestId}`, `DELETE /visitors/{visitorId}`. */
export const enrichHttpEnvSchema = z.object({
  ...commonEnv(),
  ...fingerprintEnv(),
  ...corsEnv(),
  /**
   * `GET /events/{requestId}` resolves a cache miss through the Server API (and stores it) instead of
   * answering 404.
   */
  READ_THROUGH_ENABLED: flagEnv(true),
  /**
   * `DELETE /visitors/{visitorId}?upstream=true` also asks Fingerprint to delete the visitor's data (its
   * Delete API, which Fingerprint enables on request). Off by default: it deletes data at Fingerprint.
   */
  UPSTREAM_ERASURE_ENABLED: flagEnv(false),
  /**
   * Milliseconds `DELETE /visitors/{visitorId}` waits between its two sweeps of the eventually consistent
   * visitor index (ADR 7). Shorter makes erasure faster and a survivor likelier when the index lags.
   */
  ERASURE_SETTLE_MS: wholeNumberEnv(0, 10_000, 2_000),
});

export type EnrichHttpEnv = z.output<typeof enrichHttpEnvSchema>;
