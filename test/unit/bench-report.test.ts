import { describe, expect, it } from 'vitest';
import type { Results } from '../../bench/figures.js';
import { sustainedRows } from '../../bench/report.js';

type SustainedRun = Results['throughput']['sustained'][number];

/** A sustained run as the bench records it (the figures of a quiet run at 100 ms), with `changes` applied. */
function run(changes: Partial<SustainedRun>): SustainedRun {
  const latency = changes.upstreamLatencyMs ?? 100;
  return {
    startedAt: 0,
    measureFrom: 3_000,
    measureTo: 33_000,
    stoppedAt: 37_000,
    batches: 5,
    records: 50,
    redelivered: 0,
    ranDry: false,
    maxRps: 5,
    consumers: 5,
    upstreamLatencyMs: latency,
    ceilingRps: (5 * 1_000) / (1_000 + latency),
    measuredSeconds: 30,
    requestsInWindow: 135,
    achievedRps: 4.5,
    seatTurnRps: 4.4934,
    maxInAnySecond: 5,
    totalRequests: 167,
    http: {
      ok: 117,
      refused: 44,
      okAfterRefusal: 18,
      refusedAtEnd: 4,
      ranDry: false,
      instances: 2,
      callersPerInstance: 3,
      requestsInWindow: 100,
      okMs: undefined,
      refusedMs: undefined,
    },
    ...changes,
  };
}

/** The verdicts of a run's rate (against the limit) and of its share of the ceiling. */
function verdicts(sustained: SustainedRun): { rate: string; ceiling: string } {
  const [rateRow, ceilingRow] = sustainedRows(sustained);
  return { rate: rateRow?.at(-1) ?? '', ceiling: ceilingRow?.at(-1) ?? '' };
}

describe('the sustained runs’ verdicts', () => {
  it('judges a run whose round trip puts the target above the ceiling against 98 % of the ceiling as well', () => {
    expect(verdicts(run({}))).toEqual({
      rate: 'MISSED (≥ 4.75/s, above the ceiling)',
      ceiling: 'reached 98.9 %; ≥ 98 % where the target is above it: met',
    });
    expect(verdicts(run({ seatTurnRps: 4.4 })).ceiling).toBe(
      'reached 96.8 %; ≥ 98 % where the target is above it: MISSED',
    );
  });

  it('judges a run whose ceiling allows the target against the target alone', () => {
    expect(verdicts(run({ upstreamLatencyMs: 20, seatTurnRps: 4.8399 }))).toEqual({
      rate: 'met (≥ 4.75/s)',
      ceiling: 'reached 98.7 %',
    });
    expect(verdicts(run({ upstreamLatencyMs: 20, seatTurnRps: 4.7 })).rate).toBe('MISSED (≥ 4.75/s)');
  });

  it('calls a run above the limit missed, and a run that ran dry invalid', () => {
    expect(verdicts(run({ upstreamLatencyMs: 0, seatTurnRps: 5.2 })).rate).toBe('MISSED (≥ 4.75/s)');
    expect(verdicts(run({ ranDry: true })).rate).toBe('INVALID (ran dry)');
  });
});
