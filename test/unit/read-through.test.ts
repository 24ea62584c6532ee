import { describe, expect, it } from 'vitest';
import { readEvent } from '../../functions/enrich/read-through.js';
import { startFakeFingerprint } from '../../local/fingerprint-emulator/index.js';
import {
  NotFoundError,
  UpstreamBadResponseError,
  UpstreamUnavailableError,
  ValidationError,
} from '../../shared/domain/errors.js';
import { createFingerprintClient } from '../../shared/fingerprint/client.js';
import { StaticKeyProvider } from '../../shared/fingerprint/secret.js';
import { BUILT_AT, buildEvent } from '../support/events.js';
import { FakeEventStore, FakeFingerprintClient } from '../support/fakes.js';

const options = (readThrough = true) => ({ deadline: Date.now() + 10_000, readThrough });

describe('read-through of one event', () => {
  it('answers a cached event from the cache without calling Fingerprint', async () => {
    const event = buildEvent();
    const store = new FakeEventStore({ now: () => BUILT_AT });
    store.items.set(event.requestId, event);
    const fingerprint = new FakeFingerprintClient([event]);

    await expect(readEvent(event.requestId, { store, fingerprint }, options())).resolves.toEqual({
      event,
      source: 'cache',
    });
    expect(fingerprint.calls).toEqual([]);
  });

  it('resolves a miss through Fingerprint and stores it, so the next read is a hit', async () => {
    const event = buildEvent();
    const store = new FakeEventStore({ now: () => BUILT_AT });
    const fingerprint = new FakeFingerprintClient([event]);

    await expect(readEvent(event.requestId, { store, fingerprint }, options())).resolves.toEqual({
      event,
      source: 'fingerprint',
    });
    expect(store.items.get(event.requestId)).toEqual(event);
    await expect(readEvent(event.requestId, { store, fingerprint }, options())).resolves.toMatchObject({
      source: 'cache',
    });
    expect(fingerprint.calls).toHaveLength(1);
  });

  it('answers NotFound, storing nothing, when Fingerprint does not know the event either', async () => {
    const store = new FakeEventStore({ now: () => BUILT_AT });
    const fingerprint = new FakeFingerprintClient();
    fingerprint.failWith = new NotFoundError('Fingerprint found nothing for GET /v4/events/{event_id}: 404.');

    const failure = readEvent('1708102555327.Absent', { store, fingerprint }, options());
    await expect(failure).rejects.toBeInstanceOf(NotFoundError);
    await expect(failure).rejects.toThrow(/not cached and Fingerprint does not know it/);
    expect(store.items.size).toBe(0);
  });

  it('answers NotFound without calling Fingerprint when read-through is off', async () => {
    const store = new FakeEventStore({ now: () => BUILT_AT });
    const fingerprint = new FakeFingerprintClient([buildEvent()]);

    await expect(readEvent('1708102555327.Absent', { store, fingerprint }, options(false))).rejects.toThrow(
      /enrich it with POST \/enrich first/,
    );
    expect(fingerprint.calls).toEqual([]);
  });

  it('lets an upstream failure through, as POST /enrich does', async () => {
    const store = new FakeEventStore({ now: () => BUILT_AT });
    const fingerprint = new FakeFingerprintClient();
    fingerprint.failWith = new UpstreamUnavailableError('503 after 4 attempts');

    await expect(readEvent('1708102555327.Down00', { store, fingerprint }, options())).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
  });

  it('refuses an answer for another requestId: names both ids, stores nothing, calls once (loopback)', async () => {
    const upstream = await startFakeFingerprint();
    try {
      const [asked, other] = upstream.seedMany(2, { visitorId: 'ReadThroughVisitor01' });
      if (asked === undefined || other === undefined) throw new Error('seedMany returned too few');
      upstream.failNext({ kind: 'edit', edit: (event) => ({ ...event, event_id: other.requestId }) }, 10);
      const store = new FakeEventStore({ now: () => BUILT_AT });
      const fingerprint = createFingerprintClient({
        baseUrl: upstream.baseUrl,
        keys: new StaticKeyProvider(upstream.apiKey),
        maxRps: Number.POSITIVE_INFINITY,
        sleep: async () => {},
      });

      const error = await readEvent(asked.requestId, { store, fingerprint }, options()).catch(
        (failure: unknown) => failure,
      );

      expect(error).toBeInstanceOf(UpstreamBadResponseError);
      expect((error as Error).message).toContain(asked.requestId);
      expect((error as Error).message).toContain(other.requestId);
      expect(store.items.size).toBe(0);
      expect(upstream.requests).toHaveLength(1);
    } finally {
      await upstream.close();
    }
  });

  it('answers an event the store refuses as a bad upstream answer, not as bad input from the caller', async () => {
    const event = buildEvent();
    const store = new FakeEventStore({ now: () => BUILT_AT });
    store.failWith = new ValidationError('event', 'Event holds a value DynamoDB cannot store.');
    const fingerprint = new FakeFingerprintClient([event]);

    const error = await readEvent(event.requestId, { store, fingerprint }, options()).catch(
      (failure: unknown) => failure,
    );

    expect(error).toBeInstanceOf(UpstreamBadResponseError);
    expect((error as Error).message).toContain(event.requestId);
  });
});
