import type { NormalizedEvent } from '../../shared/domain/event.js';
import { type UpstreamV4Event, upstreamV4Of } from '../../shared/domain/upstream.js';
import type {
  CallOptions,
  FingerprintClient,
  SearchQuery,
  SearchResult,
} from '../../shared/fingerprint/types.js';
import type {
  ErasureOutcome,
  EventPage,
  EventSearchQuery,
  HistoryFilter,
  HistorySync,
  LinkedIdQuery,
  PutIfAbsentOutcome,
  StoreOutcome,
  VisitorQuery,
  WebhookEventStore,
} from '../../shared/store/event-store.js';

/**
 * An event store port for use-case tests: a map by requestId, with the queries it was asked recorded and
 * the pages it answers set by the test. Paging itself is tested on the DynamoDB store against dynalite.
 */
export class FakeEventStore implements WebhookEventStore {
  readonly items = new Map<string, NormalizedEvent>();
  readonly visitorQueries: VisitorQuery[] = [];
  readonly linkedIdQueries: LinkedIdQuery[] = [];
  /** Erasure time per erased visitor. */
  readonly erasures = new Map<string, number>();
  nextPage: EventPage = { events: [] };
  failWith: Error | undefined;
  /** History sync records, by the filter's JSON. */
  readonly historySyncs = new Map<string, HistorySync>();

  async putEvents(events: readonly NormalizedEvent[]): Promise<number> {
    return (await this.storeEvents(events)).stored;
  }

  async storeEvents(events: readonly NormalizedEvent[]): Promise<StoreOutcome> {
    if (this.failWith !== undefined) throw this.failWith;
    const suppressed: string[] = [];
    let stored = 0;
    for (const event of events) {
      const erasedAt = this.erasures.get(event.visitorId);
      if (erasedAt !== undefined && event.timestamp <= erasedAt) {
        suppressed.push(event.requestId);
        continue;
      }
      this.items.set(event.requestId, event);
      stored += 1;
    }
    return { stored, suppressed };
  }

  async putEventIfAbsent(event: NormalizedEvent): Promise<PutIfAbsentOutcome> {
    if (this.failWith !== undefined) throw this.failWith;
    const erasedAt = this.erasures.get(event.visitorId);
    if (erasedAt !== undefined && event.timestamp <= erasedAt) return { outcome: 'suppressed' };
    const stored = this.items.get(event.requestId);
    if (stored === undefined) {
      this.items.set(event.requestId, event);
      return { outcome: 'stored' };
    }
    const fields = (['visitorId', 'timestamp'] as const).filter((field) => stored[field] !== event[field]);
    return fields.length === 0 ? { outcome: 'duplicate' } : { outcome: 'conflict', fields };
  }

  async getEvent(requestId: string): Promise<NormalizedEvent | undefined> {
    return this.items.get(requestId);
  }

  async listByVisitor(query: VisitorQuery): Promise<EventPage> {
    this.visitorQueries.push(query);
    return this.nextPage;
  }

  async listByLinkedId(query: LinkedIdQuery): Promise<EventPage> {
    this.linkedIdQueries.push(query);
    return this.nextPage;
  }

  readonly searchQueries: EventSearchQuery[] = [];

  async searchEvents(query: EventSearchQuery): Promise<EventPage> {
    this.searchQueries.push(query);
    return this.nextPage;
  }

  async getUpstreamEvents(requestIds: readonly string[]): Promise<Map<string, UpstreamV4Event>> {
    const copies = new Map<string, UpstreamV4Event>();
    for (const requestId of requestIds) {
      const stored = this.items.get(requestId);
      const copy = stored === undefined ? undefined : upstreamV4Of(stored);
      if (copy !== undefined) copies.set(requestId, copy);
    }
    return copies;
  }

  async getHistorySync(filter: HistoryFilter): Promise<HistorySync | undefined> {
    return this.historySyncs.get(JSON.stringify([filter.visitorId, filter.linkedId]));
  }

  async putHistorySync(filter: HistoryFilter, sync: HistorySync): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    this.historySyncs.set(JSON.stringify([filter.visitorId, filter.linkedId]), sync);
  }

  async deleteVisitor(visitorId: string): Promise<number> {
    if (this.failWith !== undefined) throw this.failWith;
    let deleted = 0;
    for (const [requestId, event] of this.items) {
      if (event.visitorId !== visitorId) continue;
      this.items.delete(requestId);
      deleted += 1;
    }
    return deleted;
  }

  async eraseVisitor(visitorId: string): Promise<ErasureOutcome> {
    if (this.failWith !== undefined) throw this.failWith;
    const erasedAt = Math.max(Date.now(), this.erasures.get(visitorId) ?? 0);
    this.erasures.set(visitorId, erasedAt);
    let deleted = 0;
    for (const [requestId, event] of this.items) {
      if (event.visitorId !== visitorId || event.timestamp > erasedAt) continue;
      this.items.delete(requestId);
      deleted += 1;
    }
    return { erasedAt, deleted };
  }
}

/** A Fingerprint client port that answers from a list of events, or fails with a given error. */
export class FakeFingerprintClient implements FingerprintClient {
  readonly calls: Array<{
    operation: 'getEvent' | 'searchEvents' | 'deleteVisitor';
    argument: string | SearchQuery;
  }> = [];
  failWith: Error | undefined;

  constructor(readonly events: NormalizedEvent[] = []) {}

  async getEvent(requestId: string, _options: CallOptions): Promise<NormalizedEvent> {
    this.calls.push({ operation: 'getEvent', argument: requestId });
    if (this.failWith !== undefined) throw this.failWith;
    const event = this.events.find((candidate) => candidate.requestId === requestId);
    if (event === undefined) throw new Error(`FakeFingerprintClient has no event ${requestId}`);
    return event;
  }

  /** Added to every search answer as is, to test how callers handle a partial history. */
  partial: Omit<SearchResult, 'events'> = { skipped: [] };

  async searchEvents(query: SearchQuery, _options: CallOptions): Promise<SearchResult> {
    this.calls.push({ operation: 'searchEvents', argument: query });
    if (this.failWith !== undefined) throw this.failWith;
    const events = this.events
      .filter((event) => query.visitorId === undefined || event.visitorId === query.visitorId)
      .filter((event) => query.linkedId === undefined || event.linkedId === query.linkedId)
      .filter((event) => query.start === undefined || event.timestamp > query.start)
      .slice(0, query.maxEvents);
    return { events, ...this.partial };
  }

  /** Succeeds (Fingerprint scheduled the deletion) unless `failWith` is set. */
  async deleteVisitor(visitorId: string, _options: CallOptions): Promise<void> {
    this.calls.push({ operation: 'deleteVisitor', argument: visitorId });
    if (this.failWith !== undefined) throw this.failWith;
  }
}
