/**
 * The bench's Fingerprint: the emulator the tests use, counting every request's arrival as Fingerprint would,
 * and answering after a latency the throughput runs set ({@link BenchUpstream.setLatency}).
 */
import { type FingerprintEmulator, startFakeFingerprint } from '../../local/fingerprint-emulator/index.js';
import { HISTORY, LINKED, LONG_HISTORY } from '../settings.js';

/** A request as it reached the upstream. */
export interface Arrival {
  /** Epoch milliseconds. */
  at: number;
  /** Its path, which names the requestId it asks for. */
  path: string;
}

export interface BenchUpstream {
  emulator: FingerprintEmulator;
  /** Every request's arrival, in order. */
  arrivals: Arrival[];
  /** How long each request waits before its answer from now on; 0 (the start) answers at once. */
  setLatency(ms: number): void;
}

export async function startBenchUpstream(): Promise<BenchUpstream> {
  const emulator = await startFakeFingerprint();
  const arrivals: Arrival[] = [];
  let latencyMs = 0;
  emulator.setFaultInjector((request) => {
    arrivals.push({ at: performance.timeOrigin + request.receivedAt, path: request.path });
    return latencyMs > 0 ? { kind: 'delay', ms: latencyMs } : undefined;
  });
  return {
    emulator,
    arrivals,
    setLatency(ms) {
      latencyMs = ms;
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
