import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeFingerprint, startFakeFingerprint } from '../../local/fingerprint-emulator/index.js';
import {
  NotFoundError,
  UpstreamAuthError,
  UpstreamRejectedError,
  ValidationError,
} from '../../shared/domain/errors.js';
import { createFingerprintClient } from '../../shared/fingerprint/client.js';
import { StaticKeyProvider } from '../../shared/fingerprint/secret.js';
import type { ApiVersion } from '../../shared/fingerprint/types.js';

/** Looks like a real secret key, so a leak is easy to spot. */
const API_KEY = 'fpsk_DeleteTestCanary_3kW9pL2xQ6';
const VISITOR_ID = 'Del1527CUFmcnjLwIs4A9';

let fake: FakeFingerprint;

beforeEach(async () => {
  fake = await startFakeFingerprint({ apiKey: API_KEY });
});

afterEach(async () => {
  await fake.close();
});

function buildClient(apiVersion: ApiVersion) {
  const sleeps: number[] = [];
  const client = createFingerprintClient({
    apiVersion,
    baseUrl: fake.baseUrl,
    keys: new StaticKeyProvider(API_KEY),
    maxRps: Number.POSITIVE_INFINITY,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { client, sleeps };
}

const withinSeconds = (seconds: number) => ({ deadline: Date.now() + seconds * 1000 });

describe.each([
  ['v4', `/v4/visitors/${VISITOR_ID}`],
  ['v3', `/visitors/${VISITOR_ID}`],
] as const)('FingerprintClient.deleteVisitor (Server API %s)', (apiVersion, path) => {
  it(`sends DELETE ${path} with the key in the header and resolves on 200 with no content`, async () => {
    fake.seedMany(3, { visitorId: VISITOR_ID });
    const { client } = buildClient(apiVersion);

    await expect(client.deleteVisitor(VISITOR_ID, withinSeconds(5))).resolves.toBeUndefined();

    expect(fake.requests).toEqual([
      expect.objectContaining({ method: 'DELETE', path, authorized: true, query: {} }),
    ]);
  });

  it('accepts a 200 whatever its body: a deletion answers no data', async () => {
    fake.failNext({ kind: 'body', body: 'OK, scheduled' });
    const { client } = buildClient(apiVersion);

    await expect(client.deleteVisitor(VISITOR_ID, withinSeconds(5))).resolves.toBeUndefined();
    expect(fake.requests).toHaveLength(1);
  });

  it('fails with NotFoundError when Fingerprint holds nothing about the visitor', async () => {
    const { client } = buildClient(apiVersion);

    await expect(client.deleteVisitor(VISITOR_ID, withinSeconds(5))).rejects.toBeInstanceOf(NotFoundError);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a 5xx, as for any idempotent call, until it succeeds', async () => {
    fake.seedMany(1, { visitorId: VISITOR_ID });
    fake.failNext({ kind: 'status', status: 503 }, 2);
    const { client, sleeps } = buildClient(apiVersion);

    await expect(client.deleteVisitor(VISITOR_ID, withinSeconds(5))).resolves.toBeUndefined();
    expect(fake.requests.map((request) => request.method)).toEqual(['DELETE', 'DELETE', 'DELETE']);
    expect(sleeps).toHaveLength(2);
  });

  it('refuses a malformed visitorId before any request', async () => {
    const { client } = buildClient(apiVersion);

    await expect(client.deleteVisitor('..', withinSeconds(5))).rejects.toBeInstanceOf(ValidationError);
    expect(fake.requests).toEqual([]);
  });

  it('maps a 400 to UpstreamRejectedError and a refused key (also after a refetch) to UpstreamAuthError', async () => {
    const { client } = buildClient(apiVersion);
    fake.failNext({ kind: 'status', status: 400 });
    await expect(client.deleteVisitor(VISITOR_ID, withinSeconds(5))).rejects.toBeInstanceOf(
      UpstreamRejectedError,
    );
    fake.failNext({ kind: 'status', status: 403 }, 2);
    const refused = client.deleteVisitor(VISITOR_ID, withinSeconds(5));
    await expect(refused).rejects.toBeInstanceOf(UpstreamAuthError);
    await expect(refused).rejects.toThrow(/DELETE \/(v4\/)?visitors\/\{visitor_id\}/);
  });
});
