import { describe, expect, it } from 'vitest';
import { enrich } from '../../functions/enrich/enrich.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { buildEvent } from '../support/events.js';
import { FakeEventStore, FakeFingerprintClient } from '../support/fakes.js';

const options = () => ({ deadline: Date.now() + 10_000 });

describe('enrich use case', () => {
  it('fetches an unknown requestId from Fingerprint and stores it', async () => {
    const event = buildEvent();
    const store = new FakeEventStore();
    const fingerprint = new FakeFingerprintClient([event]);

    const result = await enrich(
      { kind: 'request', requestId: event.requestId, refresh: false },
      { store, fingerprint },
      options(),
    );

    expect(result).toEqual({ events: [event], source: 'fingerprint', stored: 1, suppressed: 0 });
    expect(store.items.get(event.requestId)).toEqual(event);
  });

  it('answers a cached requestId from the store without calling Fingerprint', async () => {
    const event = buildEvent();
    const store = new FakeEventStore();
    store.items.set(event.requestId, event);
    const fingerprint = new FakeFingerprintClient([event]);

    const result = await enrich(
      { kind: 'request', requestId: event.requestId, refresh: false },
      { store, fingerprint },
      options(),
    );

    expect(result).toEqual({ events: [event], source: 'cache', stored: 0, suppressed: 0 });
    expect(fingerprint.calls).toEqual([]);
  });

  it('bypasses the cache when refresh is asked for', async () => {
    const cached = buildEvent({ url: 'https://old.example' });
    const fresh = { ...cached, url: 'https://new.example' };
    const store = new FakeEventStore();
    store.items.set(cached.requestId, cached);
    const fingerprint = new FakeFingerprintClient([fresh]);

    const result = await enrich(
      { kind: 'request', requestId: cached.requestId, refresh: true },
      { store, fingerprint },
      options(),
    );

    expect(result.source).toBe('fingerprint');
    expect(store.items.get(cached.requestId)?.url).toBe('https://new.example');
  });

  it('stores a visitor history fetched with both filters and maxEvents', async () => {
    const events = [
      buildEvent({ linkedId: 'order-1', timestamp: 3 }),
      buildEvent({ linkedId: 'order-2', timestamp: 2 }),
      buildEvent({ linkedId: 'order-1', timestamp: 1 }),
    ];
    const store = new FakeEventStore();
    const fingerprint = new FakeFingerprintClient(events);

    const result = await enrich(
      { kind: 'search', visitorId: 'Ibk1527CUFmcnjLwIs4A9', linkedId: 'order-1', maxEvents: 1 },
      { store, fingerprint },
      options(),
    );

    expect(fingerprint.calls).toEqual([
      {
        operation: 'searchEvents',
        argument: { visitorId: 'Ibk1527CUFmcnjLwIs4A9', linkedId: 'order-1', maxEvents: 1 },
      },
    ]);
    expect(result).toEqual({ events: [events[0]], source: 'fingerprint', stored: 1, suppressed: 0 });
  });

  it('stores nothing when Fingerprint fails', async () => {
    const store = new FakeEventStore();
    const fingerprint = new FakeFingerprintClient();
    fingerprint.failWith = new NotFoundError('No event.');

    await expect(
      enrich(
        { kind: 'request', requestId: '1708102555327.NLOjmg', refresh: false },
        { store, fingerprint },
        options(),
      ),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(store.items.size).toBe(0);
  });
});
