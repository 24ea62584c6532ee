/** The cost phase: what each kind of enrichment costs upstream and in DynamoDB, through the real function. */
import { HISTORY, LONG_HISTORY } from '../settings.js';
import { type CostResult, runWorker } from '../support/workers.js';
import type { ReadData } from './upstream.js';

export function measureCost(
  data: ReadData,
  run: { enrichHttp: string; tableName: string; env: Record<string, string> },
): Promise<CostResult> {
  const { requestId, visitorId } = data;
  return runWorker<CostResult>(
    {
      kind: 'cost',
      bundles: { enrichHttp: run.enrichHttp },
      tableName: run.tableName,
      requests: [
        { label: 'requestId, not cached', body: { requestId }, expectedCalls: 1 },
        { label: 'requestId, cached', body: { requestId }, expectedCalls: 0 },
        { label: `visitorId, ${HISTORY} events (1 page)`, body: { visitorId }, expectedCalls: 1 },
        {
          label: `linkedId, ${LONG_HISTORY} events (3 pages of 100)`,
          body: { linkedId: 'cart-benchmark', maxEvents: LONG_HISTORY },
          expectedCalls: 3,
        },
        {
          label: `visitorId, ${LONG_HISTORY} events (3 pages of 100)`,
          body: { visitorId: data.longVisitorId, maxEvents: LONG_HISTORY },
          expectedCalls: 3,
        },
      ],
      storedRequestIds: data.storedRequestIds,
    },
    run.env,
  );
}
