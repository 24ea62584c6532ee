/**
 * The emulator's one model of which events exist: the events it was seeded with (by id and time: the tests'
 * and the bench's, rendered from Fingerprint's official examples) and, when asked for, the sandbox's generated
 * world (`npm start`: a made-up event for any well-formed id, rendered from its own details). A seeded event
 * takes precedence over a generated one with the same requestId.
 */
import type { GeneratedEvent } from './catalogue.js';
import { renderExampleV3Event, renderExampleV4Event, type SeededEvent } from './examples.js';
import { GeneratedWorld, type SearchFilter } from './generated-world.js';
import { renderGeneratedV3Event, renderGeneratedV4Event } from './render-generated.js';

export type { SearchFilter } from './generated-world.js';

export type EmulatorEvent = SeededEvent | GeneratedEvent;

/** The outcome of a lookup by requestId. `unknown`: neither seeded nor generated. */
export type EmulatorLookup =
  | { found: true; event: EmulatorEvent }
  | { found: false; reason: 'unknown' | 'expired' | 'future' | 'malformed' };

const isGenerated = (event: EmulatorEvent): event is GeneratedEvent => 'signals' in event;

export const renderV4Event = (event: EmulatorEvent) =>
  isGenerated(event) ? renderGeneratedV4Event(event) : renderExampleV4Event(event);
export const renderV3Event = (event: EmulatorEvent) =>
  isGenerated(event) ? renderGeneratedV3Event(event) : renderExampleV3Event(event);

export class EmulatorWorld {
  /** The generated world, when this world has one. */
  readonly generated: GeneratedWorld | undefined;
  readonly #now: () => number;
  readonly #byId = new Map<string, SeededEvent>();
  #sorted: SeededEvent[] = [];

  /**
   * @param options.generated - the sandbox's generated world (`true` for one on this world's clock).
   * @param options.now - the clock of the search windows and the generated world; `Date.now` by default.
   */
  constructor(options: { generated?: GeneratedWorld | boolean; now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    this.generated =
      options.generated === true
        ? new GeneratedWorld({ now: this.#now })
        : options.generated === false
          ? undefined
          : options.generated;
  }

  now(): number {
    return this.generated?.now() ?? this.#now();
  }

  /** Adds events; an existing requestId is replaced. */
  add(seeds: readonly SeededEvent[]): void {
    for (const seed of seeds) this.#byId.set(seed.requestId, { ...seed });
    this.#sorted = [...this.#byId.values()].sort(newestFirst);
  }

  lookup(requestId: string): EmulatorLookup {
    const seeded = this.#byId.get(requestId);
    if (seeded !== undefined) return { found: true, event: seeded };
    return this.generated?.lookup(requestId) ?? { found: false, reason: 'unknown' };
  }

  /** Whether the visitor has any event (every well-formed visitor has one in the generated world). */
  hasVisitor(visitorId: string): boolean {
    return (
      this.#sorted.some((event) => event.visitorId === visitorId) ||
      (this.generated?.hasVisitor(visitorId) ?? false)
    );
  }

  /** The events matching every given filter, newest first (ties by requestId, descending). */
  search(filter: SearchFilter): EmulatorEvent[] {
    const seeded = this.#sorted.filter(
      (event) =>
        (filter.visitorId === undefined || event.visitorId === filter.visitorId) &&
        (filter.linkedId === undefined || event.linkedId === filter.linkedId),
    );
    if (this.generated === undefined) return seeded;
    const ids = new Set(seeded.map((event) => event.requestId));
    const generated = this.generated.search(filter).filter((event) => !ids.has(event.requestId));
    return [...seeded, ...generated].sort(newestFirst);
  }

  /**
   * Deletes a visitor: its seeded events are forgotten at once (Fingerprint deletes asynchronously), generated
   * ones stay, as Fingerprint keeps serving events older than 10 days after a deletion. False for a visitor
   * this world does not know, which Fingerprint answers with a 404.
   */
  deleteVisitor(visitorId: string): boolean {
    let deleted = 0;
    for (const [requestId, seed] of this.#byId) {
      if (seed.visitorId !== visitorId) continue;
      this.#byId.delete(requestId);
      deleted += 1;
    }
    if (deleted > 0) this.#sorted = [...this.#byId.values()].sort(newestFirst);
    return deleted > 0 || (this.generated?.hasVisitor(visitorId) ?? false);
  }
}

/** Newest first; equal timestamps by requestId, descending, so the order is total. */
export function newestFirst(
  a: Pick<EmulatorEvent, 'timestamp' | 'requestId'>,
  b: Pick<EmulatorEvent, 'timestamp' | 'requestId'>,
): number {
  if (a.timestamp !== b.timestamp) return b.timestamp - a.timestamp;
  return a.requestId === b.requestId ? 0 : a.requestId < b.requestId ? 1 : -1;
}
