import type { SpacingRateLimiter } from '../../shared/fingerprint/rate-limiter.js';

/** One attempt that starts when the limiter allows and is over at once; whether it was allowed to start. */
export async function startAndFinish(limiter: SpacingRateLimiter, deadline: number): Promise<boolean> {
  const slot = await limiter.take(deadline);
  slot?.release();
  return slot !== undefined;
}
