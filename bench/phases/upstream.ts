/**
 * The bench's Fingerprint: the emulator the tests use, counting every request's arrival as Fingerprint would,
 * and answering after {@link UPSTREAM_LATENCY_MS} while the throughput runs want a slow upstream.
 */
import { type FingerprintEmulator, startFakeFingerprint } from '../../local/fingerprint-emulator/index.js';
import { clock, HISTORY, LINKED, LONG_HISTORY, UPSTREAM_LATENCY_MS } from '../settings.js';

export interface BenchUpstream {
  emulator: FingerprintEmulator;
  /** Every request's arrival, in epoch milliseconds. */
  arrivals: number[];
  /** Whether requests wait {@link UPSTREAM_LATENCY_MS} before their answer. */
  setSlow(slow: boolean): void;
}

export async function startBenchUpstream(): Promise<BenchUpstream> {
  const emulator = await startFakeFingerprint();
  const arrivals: number[] = [];
  let slow = false;
  emulator.failNext({ kind: 'delay', ms: UPSTREAM_LATENCY_MS }, Number.POSITIVE_INFINITY, () => {
    arrivals.push(clock());
    return slow;
  });
  return {
    emulator,
    arrivals,
    setSlow(next) {
      slow = next;
    },
  };
}

/** The read routes' data, which the cost phase stores through the real enrich function. */
export interface ReadData {
  requestId: string;
  visitorId: string;
  linkedId: string;
  /** The visitor of a history longer than one upstream page. */
  longVisitorId: string;
  /** Every requestId the cost phase stores. */
  storedRequestIds: string[];
}

export function seedReadData(emulator: FingerprintEmulator): ReadData {
  const now = Date.now();
  const [single] = emulator.seedMany(1, { timestamp: now });
  const linkedId = 'order-benchmark';
  const linked = emulator.seedMany(LINKED, { linkedId, timestamp: now - 1_000 });
  const visitorId = linked[0]?.visitorId ?? '';
  const rest = emulator.seedMany(HISTORY - LINKED, { visitorId, timestamp: now - 60_000 });
  const longLinked = emulator.seedMany(LONG_HISTORY, {
    linkedId: 'cart-benchmark',
    timestamp: now - 3_600_000,
  });
  const longVisitor = emulator.seedMany(LONG_HISTORY, { timestamp: now - 7_200_000 });
  if (single === undefined || longVisitor[0] === undefined) throw new Error('Seeding the upstream failed');
  const requestId = single.requestId;
  return {
    requestId,
    visitorId,
    linkedId,
    longVisitorId: longVisitor[0].visitorId,
    storedRequestIds: [requestId, ...[...linked, ...rest, ...longLinked].map((seed) => seed.requestId)],
  };
}
