/**
 * The Fingerprint client port's contract (`shared/fingerprint/types.ts` `FingerprintClient`), as one suite that
 * registers its tests for any implementation: `fingerprint-client.test.ts` runs it against the real HTTP client
 * (v4 and v3) talking to the loopback fake Server API, and against the use-case tests' `FakeFingerprintClient`,
 * so the fake cannot drift from the client it stands in for.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../shared/domain/errors.js';
import type { FingerprintClient } from '../../shared/fingerprint/types.js';
import { TRUNCATIONS } from '../../shared/fingerprint/types.js';
import { rejectionOf } from '../support/errors.js';

const DAY_MS = 86_400_000;
/** Days a search reaches back when it gives no start (the client's `historyDays`). */
export const CONTRACT_HISTORY_DAYS = 30;
const VISITOR = 'ContractVisitor000001';
const OTHER_VISITOR = 'ContractVisitor000002';

/** What the upstream knows of an event: the identity every implementation answers back. */
export interface SeededEvent {
  requestId: string;
  visitorId: string;
  linkedId?: string;
  timestamp: number;
}

/** A client whose upstream knows exactly `events`, searching `historyDays` back by default. */
export interface ClientUnderTest {
  client: FingerprintClient;
  close?: () => Promise<void>;
}
export type FingerprintClientFactory = (options: {
  events: SeededEvent[];
  historyDays: number;
}) => Promise<ClientUnderTest>;

const call = () => ({ deadline: Date.now() + 10_000 });

function identity(event: SeededEvent) {
  return {
    requestId: event.requestId,
    visitorId: event.visitorId,
    timestamp: event.timestamp,
    ...(event.linkedId !== undefined && { linkedId: event.linkedId }),
  };
}

/** Registers the port's contract tests for the client that `create` makes. */
export function describeFingerprintClientPort(name: string, create: FingerprintClientFactory): void {
  describe(`the Fingerprint client port: ${name}`, () => {
    // Whole seconds: v3 writes `time` without milliseconds, and the timestamps must survive both versions.
    const now = Math.floor(Date.now() / 1000) * 1000;
    const events: SeededEvent[] = [
      { requestId: `${now - 1000}.aaaaa1`, visitorId: VISITOR, linkedId: 'order-1', timestamp: now - 1000 },
      { requestId: `${now - 2000}.aaaaa2`, visitorId: VISITOR, linkedId: 'order-2', timestamp: now - 2000 },
      { requestId: `${now - 3000}.aaaaa3`, visitorId: VISITOR, linkedId: 'order-1', timestamp: now - 3000 },
      {
        requestId: `${now - 4000}.bbbbb1`,
        visitorId: OTHER_VISITOR,
        linkedId: 'order-1',
        timestamp: now - 4000,
      },
      // Older than the default search window.
      {
        requestId: `${now - 40 * DAY_MS}.aaaaa4`,
        visitorId: VISITOR,
        timestamp: now - 40 * DAY_MS,
      },
    ];
    const [newest, second, third, theirs, old] = events as [
      SeededEvent,
      SeededEvent,
      SeededEvent,
      SeededEvent,
      SeededEvent,
    ];
    let subject: ClientUnderTest;

    beforeEach(async () => {
      subject = await create({ events, historyDays: CONTRACT_HISTORY_DAYS });
    });

    afterEach(async () => {
      await subject.close?.();
    });

    describe('getEvent', () => {
      it('answers the normalized event of a requestId it knows', async () => {
        const event = await subject.client.getEvent(newest.requestId, call());

        expect(event).toMatchObject(identity(newest));
        expect(event.schemaVersion).toBe(1);
      });

      it('answers NotFoundError for a requestId it does not know', async () => {
        expect(await rejectionOf(subject.client.getEvent('1700000000000.unknown', call()))).toBeInstanceOf(
          NotFoundError,
        );
      });

      it('refuses a malformed requestId before asking anyone, naming the field', async () => {
        const error = await rejectionOf(subject.client.getEvent('', call()));

        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe('requestId');
      });
    });

    describe('searchEvents', () => {
      it('answers a visitor’s events inside the default window, newest first, nothing skipped', async () => {
        const result = await subject.client.searchEvents({ visitorId: VISITOR, maxEvents: 10 }, call());

        expect(result.events.map(identity)).toEqual([newest, second, third].map(identity));
        expect(result.skipped).toEqual([]);
        expect(result.truncated).toBeUndefined();
      });

      it('filters by linkedId, alone or with the visitorId', async () => {
        const both = await subject.client.searchEvents(
          { visitorId: VISITOR, linkedId: 'order-1', maxEvents: 10 },
          call(),
        );
        const linked = await subject.client.searchEvents({ linkedId: 'order-1', maxEvents: 10 }, call());

        expect(both.events.map((event) => event.requestId)).toEqual([newest.requestId, third.requestId]);
        expect(linked.events.map((event) => event.requestId)).toEqual([
          newest.requestId,
          third.requestId,
          theirs.requestId,
        ]);
      });

      it('answers only the events strictly after start and before end', async () => {
        const window = await subject.client.searchEvents(
          { visitorId: VISITOR, maxEvents: 10, start: third.timestamp, end: newest.timestamp },
          call(),
        );
        const all = await subject.client.searchEvents(
          { visitorId: VISITOR, maxEvents: 10, start: old.timestamp - 1 },
          call(),
        );

        expect(window.events.map((event) => event.requestId)).toEqual([second.requestId]);
        expect(all.events.map((event) => event.requestId)).toEqual(
          [newest, second, third, old].map((event) => event.requestId),
        );
      });

      it('stops at maxEvents, saying the history was cut there', async () => {
        const result = await subject.client.searchEvents({ visitorId: VISITOR, maxEvents: 2 }, call());

        expect(result.events.map((event) => event.requestId)).toEqual([newest.requestId, second.requestId]);
        expect(result.truncated?.reason).toBe(TRUNCATIONS.maxEvents);
      });

      it('answers an empty history for a visitor it has never seen', async () => {
        await expect(
          subject.client.searchEvents({ visitorId: 'NeverSeenVisitor0001', maxEvents: 10 }, call()),
        ).resolves.toEqual({ events: [], skipped: [] });
      });

      it.each([
        ['visitorId', { maxEvents: 10 }],
        ['visitorId', { visitorId: '', maxEvents: 10 }],
        ['maxEvents', { visitorId: VISITOR, maxEvents: 0 }],
        ['start', { visitorId: VISITOR, maxEvents: 10, start: -1 }],
        ['end', { visitorId: VISITOR, maxEvents: 10, start: 1000, end: 1000 }],
      ] as const)('refuses a search with a bad %s, naming the field', async (field, query) => {
        const error = await rejectionOf(subject.client.searchEvents(query, call()));

        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe(field);
      });
    });

    describe('deleteVisitor', () => {
      it('resolves for a visitor it knows, and answers NotFoundError for one it does not', async () => {
        await expect(subject.client.deleteVisitor(OTHER_VISITOR, call())).resolves.toBeUndefined();

        expect(
          await rejectionOf(subject.client.deleteVisitor('NeverSeenVisitor0001', call())),
        ).toBeInstanceOf(NotFoundError);
        const invalid = await rejectionOf(subject.client.deleteVisitor('', call()));
        expect(invalid).toBeInstanceOf(ValidationError);
        expect((invalid as ValidationError).field).toBe('visitorId');
      });
    });
  });
}
