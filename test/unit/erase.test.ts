import { describe, expect, it } from 'vitest';
import { eraseVisitor } from '../../functions/enrich/erase.js';
import {
  NotFoundError,
  StoreThrottledError,
  UpstreamAuthError,
  UpstreamUnavailableError,
  ValidationError,
} from '../../shared/domain/errors.js';
import { buildEvent } from '../support/events.js';
import { FakeEventStore, FakeFingerprintClient } from '../support/fakes.js';

const VISITOR_ID = 'Ers1527CUFmcnjLwIs4A9';
const options = (upstreamErasure = true) => ({ deadline: Date.now() + 10_000, upstreamErasure });

function storeWith(count: number, visitorId = VISITOR_ID): FakeEventStore {
  const store = new FakeEventStore();
  for (let index = 0; index < count; index += 1) {
    const event = buildEvent({ visitorId });
    store.items.set(event.requestId, event);
  }
  return store;
}

describe('erasing a visitor', () => {
  it('deletes every cached event of the visitor and leaves other visitors alone', async () => {
    const store = storeWith(3);
    const other = buildEvent({ visitorId: 'Oth1527CUFmcnjLwIs4A9' });
    store.items.set(other.requestId, other);
    const fingerprint = new FakeFingerprintClient();

    const result = await eraseVisitor(
      { visitorId: VISITOR_ID, upstream: false },
      { store, fingerprint },
      options(),
    );

    expect(result).toEqual({
      erasure: {
        visitorId: VISITOR_ID,
        deleted: 3,
        erasedAt: expect.any(Number),
        upstream: { requested: false },
      },
    });
    expect([...store.items.keys()]).toEqual([other.requestId]);
    expect(fingerprint.calls).toEqual([]);
  });

  it('is idempotent: a second erasure deletes nothing', async () => {
    const store = storeWith(2);
    const deps = { store, fingerprint: new FakeFingerprintClient() };
    await eraseVisitor({ visitorId: VISITOR_ID, upstream: false }, deps, options());

    const again = await eraseVisitor({ visitorId: VISITOR_ID, upstream: false }, deps, options());
    expect(again.erasure.deleted).toBe(0);
  });

  it('asks Fingerprint after the cache, and reports the deletion scheduled', async () => {
    const store = storeWith(2);
    // Fingerprint schedules the deletion of a visitor it knows.
    const fingerprint = new FakeFingerprintClient([buildEvent({ visitorId: VISITOR_ID })]);

    const result = await eraseVisitor(
      { visitorId: VISITOR_ID, upstream: true },
      { store, fingerprint },
      options(),
    );

    expect(result.erasure).toEqual({
      visitorId: VISITOR_ID,
      deleted: 2,
      erasedAt: expect.any(Number),
      upstream: { requested: true, outcome: 'scheduled' },
    });
    expect(fingerprint.calls).toEqual([{ operation: 'deleteVisitor', argument: VISITOR_ID }]);
  });

  it('reports notFound when Fingerprint holds nothing about the visitor', async () => {
    const fingerprint = new FakeFingerprintClient();
    fingerprint.failWith = new NotFoundError('visitor not found');

    const result = await eraseVisitor(
      { visitorId: VISITOR_ID, upstream: true },
      { store: storeWith(1), fingerprint },
      options(),
    );
    expect(result.erasure.upstream).toEqual({ requested: true, outcome: 'notFound' });
    expect(result.upstreamError).toBeUndefined();
  });

  it('reports an upstream failure after the local erasure, with its public message only', async () => {
    const store = storeWith(4);
    const fingerprint = new FakeFingerprintClient();
    const failure = new UpstreamUnavailableError(
      'Fingerprint DELETE /v4/visitors/{visitor_id} failed: 503 (internal detail)',
    );
    fingerprint.failWith = failure;

    const result = await eraseVisitor(
      { visitorId: VISITOR_ID, upstream: true },
      { store, fingerprint },
      options(),
    );

    expect(result.erasure).toEqual({
      visitorId: VISITOR_ID,
      deleted: 4,
      erasedAt: expect.any(Number),
      upstream: {
        requested: true,
        outcome: 'failed',
        error: {
          code: 'UpstreamUnavailable',
          message: 'The Fingerprint Server API is unavailable; retry later.',
        },
      },
    });
    expect(result.upstreamError).toBe(failure);
    expect(store.items.size).toBe(0);
  });

  it('shows the setting to fix when Fingerprint refuses the deletion (Delete API not enabled)', async () => {
    const fingerprint = new FakeFingerprintClient();
    fingerprint.failWith = new UpstreamAuthError(
      'The Fingerprint subscription does not allow this call (403 (feature_not_enabled)): check the Fingerprint subscription.',
      'Fingerprint subscription',
    );

    const result = await eraseVisitor(
      { visitorId: VISITOR_ID, upstream: true },
      { store: storeWith(1), fingerprint },
      options(),
    );
    expect(result.erasure.upstream).toMatchObject({
      outcome: 'failed',
      error: { code: 'UpstreamAuthFailed', message: expect.stringContaining('subscription') },
    });
  });

  it.each([
    [
      'a validation error',
      new ValidationError('visitorId', 'Fingerprint refused the visitorId (internal detail).'),
    ],
    ['a store error', new StoreThrottledError('DynamoDB throttled (internal detail).')],
    ['a plain error', new Error('socket hang up (internal detail)')],
  ])(
    'answers %s from the upstream call as Internal, its message kept in the logs only',
    async (_kind, failure) => {
      const fingerprint = new FakeFingerprintClient();
      fingerprint.failWith = failure;

      const result = await eraseVisitor(
        { visitorId: VISITOR_ID, upstream: true },
        { store: storeWith(1), fingerprint },
        options(),
      );

      // The document's UpstreamErasure lists the codes a failed upstream erasure carries; nothing else leaks out.
      expect(result.erasure.upstream).toEqual({
        requested: true,
        outcome: 'failed',
        error: { code: 'Internal', message: 'Internal error.' },
      });
      expect(result.upstreamError).toBe(failure);
    },
  );

  it('refuses upstream=true when upstream erasure is disabled, erasing nothing', async () => {
    const store = storeWith(2);
    const fingerprint = new FakeFingerprintClient();

    const failure = eraseVisitor(
      { visitorId: VISITOR_ID, upstream: true },
      { store, fingerprint },
      options(false),
    );
    await expect(failure).rejects.toBeInstanceOf(ValidationError);
    await expect(failure).rejects.toMatchObject({ field: 'upstream' });
    expect(store.items.size).toBe(2);
    expect(fingerprint.calls).toEqual([]);
  });

  it('does not call Fingerprint when the local erasure fails', async () => {
    const store = storeWith(1);
    store.failWith = new StoreThrottledError('throttled');
    const fingerprint = new FakeFingerprintClient();

    await expect(
      eraseVisitor({ visitorId: VISITOR_ID, upstream: true }, { store, fingerprint }, options()),
    ).rejects.toBeInstanceOf(StoreThrottledError);
    expect(fingerprint.calls).toEqual([]);
  });
});
