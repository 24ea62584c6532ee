/**
 * How many enrich queue consumers may run at once (the event source's maximum concurrency) for a fleet-wide
 * upstream limit of `maxRps` requests per second.
 *
 * The rate itself is held by the fleet's shared budget in the event table (ADR 0008), not split among the
 * consumers; this only keeps the number of consumers waiting for its seats in proportion to the limit. It is
 * still a divisor of `maxRps` (so that a deployment that predates the shared budget kept whole shares): of the
 * divisors SQS accepts (2 to 1000), the one closest to one consumer per {@link TARGET_RPS_PER_CONSUMER}
 * requests/s, the smaller on a tie (fewer, busier instances waste less of the rate on idle time).
 *
 * @throws RangeError when `maxRps` is not a whole number of at least 2: with SQS's minimum of two consumers,
 *   a limit of 1 cannot be shared.
 */
export function consumerConcurrencyFor(maxRps: number): number {
  if (!Number.isInteger(maxRps) || maxRps < MIN_CONSUMERS) {
    throw new RangeError(
      `FINGERPRINT_MAX_RPS must be a whole number of at least ${MIN_CONSUMERS}, got ${maxRps}`,
    );
  }
  const target = maxRps / TARGET_RPS_PER_CONSUMER;
  let best = maxRps <= MAX_CONSUMERS ? maxRps : Number.POSITIVE_INFINITY;
  for (let consumers = MIN_CONSUMERS; consumers <= Math.min(maxRps, MAX_CONSUMERS); consumers += 1) {
    if (maxRps % consumers === 0 && Math.abs(consumers - target) < Math.abs(best - target)) best = consumers;
  }
  if (!Number.isFinite(best)) {
    throw new RangeError(
      `FINGERPRINT_MAX_RPS ${maxRps} has no divisor between ${MIN_CONSUMERS} and ${MAX_CONSUMERS}`,
    );
  }
  return best;
}

/** SQS event sources accept a maximum concurrency from 2 to 1000. */
export const MIN_CONSUMERS = 2;
export const MAX_CONSUMERS = 1000;
/** A batch of 10 one-call records then takes about 4 s per consumer. */
export const TARGET_RPS_PER_CONSUMER = 2.5;
