/**
 * `POST /enrich` and read-through `GET /events/{requestId}` across several handler instances sharing one table
 * and one upstream: the fleet's budget holds at Fingerprint's door, a caller with no room gets 429 with
 * `Retry-After` within about a second, and concurrent requests for one requestId make one upstream call.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeFingerprint, startFakeFingerprint } from '../../local/fingerprint-emulator/index.js';
import { type ArrivalRecorder, startArrivalRecorder } from '../../local/harness/arrival-recorder.js';
import { type DynaliteHandle, startDynalite } from '../../local/harness/dynalite.js';
import { buildApiEvent, buildContext } from '../../local/harness/lambda-events.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { busiestWindow } from '../support/figures.js';
import { type FleetInstance, startFleet } from '../support/fleet.js';
import { jsonBody } from '../support/http-assertions.js';

const API_KEY = 'fpsk_FleetEnrichTestKey_0008';
const MAX_RPS = 5;
const INSTANCES = 5;
const PARALLEL = 50;

interface ErrorAnswer {
  error: { code: string; message: string };
}

describe('the enrich HTTP function as a fleet of instances', () => {
  let dynamo: DynaliteHandle;
  let tableName: string;
  let upstream: FakeFingerprint;
  let recorder: ArrivalRecorder;
  let budget = 0;

  beforeAll(async () => {
    dynamo = await startDynalite();
    tableName = await dynamo.createTable();
    upstream = await startFakeFingerprint({ apiKey: API_KEY });
    recorder = await startArrivalRecorder(upstream.baseUrl);
  });
  afterAll(async () => {
    await recorder.close();
    await upstream.close();
    await dynamo.close();
  });
  beforeEach(() => {
    upstream.setFaultInjector(undefined);
    budget += 1;
  });

  /** A fresh fleet with a budget of its own, as after a deploy, with the HTTP function's bound on waiting. */
  const fleetOf = (size: number, maxRps = MAX_RPS): FleetInstance[] =>
    startFleet(size, {
      client: dynamo.client,
      tableName,
      baseUrl: recorder.baseUrl,
      apiKey: API_KEY,
      maxRps,
      maxWaitMs: 1_000,
      budget: `http-${budget}`,
    });

  const post = (instance: FleetInstance, body: unknown) =>
    instance.handler(
      buildApiEvent({ method: 'POST', resource: '/enrich', body: JSON.stringify(body) }),
      buildContext(),
    );

  const read = (instance: FleetInstance, requestId: string) =>
    instance.handler(
      buildApiEvent({
        method: 'GET',
        resource: '/events/{requestId}',
        pathParameters: { requestId },
      }),
      buildContext(),
    );

  const arrivalsSince = async (before: number) => (await recorder.arrivals()).slice(before);

  it(`lets ${PARALLEL} parallel requests of distinct requestIds over ${INSTANCES} instances reach Fingerprint at most ${MAX_RPS} a second, and answers the rest 429 with Retry-After`, async () => {
    const fleet = fleetOf(INSTANCES);
    const seeds = upstream.seedMany(PARALLEL, {});
    const before = (await recorder.arrivals()).length;
    const started = Date.now();

    const responses = await Promise.all(
      seeds.map((seed, i) => post(fleet[i % INSTANCES] as FleetInstance, { requestId: seed.requestId })),
    );
    const arrivals = await arrivalsSince(before);

    expect(busiestWindow(arrivals, 1_000)).toBeLessThanOrEqual(MAX_RPS);
    const ok = responses.filter((response) => response.statusCode === 200);
    const refused = responses.filter((response) => response.statusCode === 429);
    expect(ok.length + refused.length).toBe(PARALLEL);
    // Every answered call is one request at Fingerprint; no refused call sent one.
    expect(arrivals).toHaveLength(ok.length);
    // The budget was used, not only guarded: at least its first second went through.
    expect(ok.length).toBeGreaterThanOrEqual(MAX_RPS);
    for (const response of refused) {
      expect(jsonBody<ErrorAnswer>(response).error.code).toBe('UpstreamBudgetExhausted');
      expect(jsonBody<ErrorAnswer>(response).error.message).toContain('FINGERPRINT_MAX_RPS');
      expect(Number(response.headers?.['Retry-After'])).toBeGreaterThanOrEqual(1);
    }
    expect(refused.length).toBeGreaterThan(0);
    // Bounded waiting: a second for room, then the call itself; nobody idled until the function's timeout.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('answers 429 with Retry-After, and sends nothing, when the fleet has used the budget', async () => {
    const fleet = fleetOf(2, 1);
    const [first, second] = upstream.seedMany(2, {});
    if (first === undefined || second === undefined) throw new Error('no seeds');
    // The one seat is held while the upstream takes three seconds to answer: no room for a second call.
    upstream.setFaultInjector((request) =>
      request.path.endsWith(first.requestId) ? { kind: 'delay', ms: 3_000 } : undefined,
    );
    const before = (await recorder.arrivals()).length;

    const slow = post(fleet[0] as FleetInstance, { requestId: first.requestId });
    // Once the first call holds the seat (its request reached the upstream), the other instance tries.
    while ((await arrivalsSince(before)).length === 0)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const refused = await post(fleet[1] as FleetInstance, { requestId: second.requestId });

    expect(refused.statusCode).toBe(429);
    expect(jsonBody<ErrorAnswer>(refused).error.code).toBe('UpstreamBudgetExhausted');
    expect(refused.headers?.['Retry-After']).toMatch(/^[1-9]\d*$/);
    expect((await slow).statusCode).toBe(200);
    expect(await arrivalsSince(before)).toHaveLength(1);
  });

  it(`makes one upstream call for ${PARALLEL} parallel POST /enrich of the same requestId over ${INSTANCES} instances`, async () => {
    const fleet = fleetOf(INSTANCES);
    const [seed] = upstream.seedMany(1, {});
    if (seed === undefined) throw new Error('no seed');
    // Slow enough that every caller asks while the first call is still out.
    upstream.setFaultInjector(() => ({ kind: 'delay', ms: 300 }));
    const before = (await recorder.arrivals()).length;

    const responses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        post(fleet[i % INSTANCES] as FleetInstance, { requestId: seed.requestId }),
      ),
    );

    expect(await arrivalsSince(before)).toHaveLength(1);
    expect(responses.map((response) => response.statusCode)).toEqual(Array(PARALLEL).fill(200));
    const bodies = responses.map((response) =>
      jsonBody<{ events: NormalizedEvent[]; stored: number }>(response),
    );
    for (const body of bodies)
      expect(body.events).toEqual([expect.objectContaining({ requestId: seed.requestId })]);
    // One caller stored it; the others were served from its answer.
    expect(bodies.filter((body) => body.stored === 1)).toHaveLength(1);
  });

  it(`makes one upstream call for ${PARALLEL} parallel read-through GETs and POSTs of the same requestId`, async () => {
    const fleet = fleetOf(INSTANCES);
    const [seed] = upstream.seedMany(1, {});
    if (seed === undefined) throw new Error('no seed');
    upstream.setFaultInjector(() => ({ kind: 'delay', ms: 300 }));
    const before = (await recorder.arrivals()).length;

    const responses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => {
        const instance = fleet[i % INSTANCES] as FleetInstance;
        return i % 2 === 0 ? read(instance, seed.requestId) : post(instance, { requestId: seed.requestId });
      }),
    );

    expect(await arrivalsSince(before)).toHaveLength(1);
    expect(responses.map((response) => response.statusCode)).toEqual(Array(PARALLEL).fill(200));
    const reads = responses.filter((_, i) => i % 2 === 0).map((r) => jsonBody<NormalizedEvent>(r));
    for (const event of reads) expect(event.requestId).toBe(seed.requestId);
  });

  it('makes one upstream call when the same unknown requestId is asked for at once, and answers 404 to all', async () => {
    const fleet = fleetOf(INSTANCES);
    const unknown = '1708102555327.Unknwn';
    upstream.setFaultInjector(() => ({ kind: 'delay', ms: 300 }));
    const before = (await recorder.arrivals()).length;

    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => read(fleet[i % INSTANCES] as FleetInstance, unknown)),
    );

    expect(responses.map((response) => response.statusCode)).toEqual(Array(20).fill(404));
    expect(await arrivalsSince(before)).toHaveLength(1);
  });
});
