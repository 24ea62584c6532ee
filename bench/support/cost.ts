/**
 * Dollars per million calls, from a call's measured duration and the AWS requests it makes. Public on-demand
 * prices of us-east-1 on the date below (docs/performance.md names the sources and what was assumed); free
 * tiers, storage, logs, X-Ray and the Fingerprint subscription are left out.
 */
export const PRICES = {
  asOf: '2026-12-04',
  region: 'us-east-1',
  /** Lambda, arm64, first tier (up to 7.5 billion GB-s a month), per GB-second. */
  lambdaArmGbSecond: 0.0000133334,
  /** Lambda, per request. */
  lambdaRequest: 0.2 / 1e6,
  /** API Gateway REST API, first 333 million requests a month, per request. */
  apiRequest: 3.5 / 1e6,
  /** DynamoDB on demand, Standard table class, per write request unit and per read request unit. */
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  /** SQS standard queue, per request (each 64 KB chunk of a payload), after the first million a month. */
  sqsRequest: 0.4 / 1e6,
  /** Secrets Manager, per API call ($0.05 per 10,000). */
  secretsCall: 0.05 / 1e4,
} as const;

/** What one call of a kind costs, in billable units. */
export interface CallProfile {
  label: string;
  /** Billed Lambda time per call, ms (for a batch, the batch's time divided by its records). */
  durationMs: number;
  /** Where `durationMs` comes from: measured, or built from measured parts and an assumption. */
  durationBasis: string;
  memoryMb: number;
  /** Lambda invocations per call (0.1 for a record of a batch of 10). */
  invocations: number;
  apiRequests: number;
  readUnits: number;
  writeUnits: number;
  sqsRequests: number;
  secretsCalls: number;
}

export interface CostPerMillion {
  compute: number;
  requests: number;
  dynamodb: number;
  sqs: number;
  secrets: number;
  total: number;
}

export function costPerMillion(call: CallProfile): CostPerMillion {
  const million = 1e6;
  const compute =
    (call.durationMs / 1000) * (call.memoryMb / 1024) * PRICES.lambdaArmGbSecond * call.invocations * million;
  const requests = (call.invocations * PRICES.lambdaRequest + call.apiRequests * PRICES.apiRequest) * million;
  const dynamodb =
    (call.readUnits * PRICES.dynamoReadUnit + call.writeUnits * PRICES.dynamoWriteUnit) * million;
  const sqs = call.sqsRequests * PRICES.sqsRequest * million;
  const secrets = call.secretsCalls * PRICES.secretsCall * million;
  return { compute, requests, dynamodb, sqs, secrets, total: compute + requests + dynamodb + sqs + secrets };
}

/**
 * Secrets Manager calls per call: each instance reads its secret once per `cacheSeconds`; at `callsPerSecond`
 * spread over `instances`, that is `instances / (cacheSeconds × callsPerSecond)` per call.
 */
export function secretCallsPerCall(options: {
  instances: number;
  cacheSeconds: number;
  callsPerSecond: number;
}): number {
  return options.instances / (options.cacheSeconds * options.callsPerSecond);
}
