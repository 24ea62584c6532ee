/**
 * The Fingerprint emulator: a loopback stand-in for the Server API, v4 (under `/v4`) and v3 (at the root) at
 * once, with the documented routes, parameters, pagination and error shapes the product's client uses
 * (`routes.ts`). It serves one {@link EmulatorWorld}: events seeded by id (the tests' and the bench's) and, for
 * `npm start`, the sandbox's generated world. It records requests and injects faults (`faults.ts`).
 *
 * Two presets: {@link startFakeFingerprint} (tests and bench: one exact key, seeded events, every request
 * recorded) and {@link startSandboxUpstream} (`npm start`: any non-empty key, the generated world, nothing
 * recorded, since it runs for hours).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { SeededEvent } from './examples.js';
import { ERRORS } from './examples.js';
import {
  alterAnswer,
  type Fault,
  type FaultInjector,
  FaultPlan,
  type RecordedRequest,
  statusAnswer,
} from './faults.js';
import type { GeneratedWorld } from './generated-world.js';
import { type Answer, type ApiVersion, route } from './routes.js';
import { EmulatorWorld } from './world.js';

export type { SeededEvent } from './examples.js';
export type { Fault, FaultInjector, RecordedRequest } from './faults.js';

export interface EmulatorOptions {
  /** The port on 127.0.0.1; a free one when absent. */
  port?: number;
  /** The one key accepted: `Authorization: Bearer <key>` on v4, `Auth-API-Key: <key>` on v3. */
  apiKey?: string;
  /** Accepts any non-empty key instead, as the sandbox does (no real data is involved). @default false */
  acceptAnyKey?: boolean;
  /** The world to serve; an empty one (seeded events only) when absent. */
  world?: EmulatorWorld;
  /** Records every request in `requests`. @default true */
  record?: boolean;
}

export interface FingerprintEmulator {
  /** `http://127.0.0.1:<port>`: pass it as the client's `baseUrl` (v4 paths add `/v4` themselves). */
  baseUrl: string;
  /** The key it accepts (any non-empty key when started with `acceptAnyKey`). */
  readonly apiKey: string;
  setApiKey(key: string): void;
  world: EmulatorWorld;
  /** Adds events (an existing requestId is replaced); searches serve them newest first. */
  seed(events: SeededEvent[]): void;
  /**
   * Seeds `count` events with distinct valid requestIds and timestamps decreasing by one second from
   * `base.timestamp` (default: now), sharing `base.visitorId` (default: a generated one) and `base.linkedId`.
   */
  seedMany(count: number, base: Partial<SeededEvent>): SeededEvent[];
  /**
   * Makes the next `times` requests for which `match` holds (default: any) fail with `fault`. The client
   * retries a 403 once after refetching its key, so a 403 meant to stick needs `times: 2`.
   */
  failNext(fault: Fault, times?: number, match?: (request: RecordedRequest) => boolean): void;
  /** Installs (or, with `undefined`, removes) a fault injector consulted for every request. */
  setFaultInjector(injector: FaultInjector | undefined): void;
  /** Every request received, in order. Query-string keys are redacted; headers are not recorded. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** The tests' name for the emulator and its seeds. */
export type FakeFingerprint = FingerprintEmulator;
export type FakeEventSeed = SeededEvent;
/** `npm start`'s name for the emulator. */
export type SandboxUpstream = FingerprintEmulator;

/** Query parameters that would carry a key if a client misused them; recorded as `[redacted]`. */
const QUERY_KEY_PARAMS = new Set(['api_key', 'auth_token', 'token']);

const DEFAULT_API_KEY = 'fpsk_FakeFingerprintKey_0000';

/** The tests' and the bench's emulator: seeded events only, one exact key, every request recorded. */
export function startFakeFingerprint(options: { apiKey?: string } = {}): Promise<FingerprintEmulator> {
  return startFingerprintEmulator({ apiKey: options.apiKey ?? DEFAULT_API_KEY });
}

/**
 * `npm start`'s emulator: the sandbox's generated world, any non-empty key, no recording.
 * @param options.world - the generated world to serve; one on the real clock when absent.
 */
export function startSandboxUpstream(
  options: { port?: number; world?: GeneratedWorld } = {},
): Promise<FingerprintEmulator> {
  return startFingerprintEmulator({
    ...(options.port !== undefined && { port: options.port }),
    acceptAnyKey: true,
    record: false,
    world: new EmulatorWorld({ generated: options.world ?? true }),
  });
}

/** Starts the emulator on 127.0.0.1. Close it when done. */
export async function startFingerprintEmulator(options: EmulatorOptions = {}): Promise<FingerprintEmulator> {
  let apiKey = options.apiKey ?? DEFAULT_API_KEY;
  const world = options.world ?? new EmulatorWorld();
  const faults = new FaultPlan();
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();
  let generated = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const version: ApiVersion = url.pathname === '/v4' || url.pathname.startsWith('/v4/') ? 'v4' : 'v3';
    const presented = presentedKey(req, version);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: recordedQuery(url.searchParams),
      authorized:
        presented !== undefined &&
        (options.acceptAnyKey === true ? presented.trim() !== '' : presented === apiKey),
      version,
      receivedAt: performance.now(),
    };
    if (options.record !== false) requests.push(record);

    const fault = faults.take(record);
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay') {
      try {
        await delay(fault.ms, undefined, { signal: closing.signal });
      } catch {
        return;
      }
    }
    const answer = alterAnswer(
      fault,
      fault?.kind === 'status'
        ? statusAnswer(fault, version)
        : fault?.kind === 'body'
          ? { status: 200, body: fault.body }
          : record.authorized
            ? route(world, { method: record.method, path: url.pathname, params: url.searchParams, version })
            : { status: 403, body: presented ? ERRORS[version].keyNotFound : ERRORS[version].keyRequired },
    );
    if (res.destroyed) return;
    write(res, answer);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        write(res, {
          status: 500,
          body: JSON.stringify({ error: { code: 'EmulatorFailure', message: String(error) } }),
        });
      }
    });
  });
  await listen(server, options.port ?? 0);
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    get apiKey() {
      return apiKey;
    },
    setApiKey(key) {
      apiKey = key;
    },
    world,
    seed(seeds) {
      world.add(seeds);
    },
    seedMany(count, base) {
      const newest = base.timestamp ?? Date.now();
      generated += 1;
      const visitorId = base.visitorId ?? `FakeVisitor${String(generated).padStart(9, '0')}`;
      const seeds = Array.from({ length: count }, (_, index): SeededEvent => {
        const timestamp = newest - index * 1000;
        generated += 1;
        return {
          requestId: `${String(timestamp).padStart(13, '0').slice(-13)}.${generated.toString(36).padStart(6, '0')}`,
          visitorId,
          ...(base.linkedId !== undefined && { linkedId: base.linkedId }),
          timestamp,
        };
      });
      world.add(seeds);
      return seeds;
    },
    failNext(fault, times, match) {
      faults.failNext(fault, times, match);
    },
    setFaultInjector(injector) {
      faults.setInjector(injector);
    },
    requests,
    async close() {
      closing.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

function write(res: ServerResponse, answer: Answer): void {
  if (answer.body === undefined) {
    res.writeHead(answer.status, { ...answer.headers });
    res.end();
    return;
  }
  res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
  res.end(answer.body);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The key in the header of the version called: `Authorization: Bearer <key>` on v4, `Auth-API-Key` on v3. */
function presentedKey(req: IncomingMessage, version: ApiVersion): string | undefined {
  if (version === 'v4') return /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const key = req.headers['auth-api-key'];
  return typeof key === 'string' ? key : undefined;
}

function recordedQuery(params: URLSearchParams): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of params) query[name] = QUERY_KEY_PARAMS.has(name) ? '[redacted]' : value;
  return query;
}
