/**
 * Which seats of the fleet budget to try (`dynamodb-rate-limiter.ts` reads, reserves and releases them): the
 * ones this instance knows, by when an attempt may start on each; seats it has never seen, tried blind; and
 * which seats to read when there are many. Pure choices over the instance's views of the seats.
 */

/** Seats never seen that an instance tries at once without reading them. */
const BLIND_TRIES = 4;

/** What a read of a seat told: free from `freeAt` when released (or never used); in flight otherwise. */
export interface SeatView {
  seat: number;
  holder: string | undefined;
  freeAt: number;
  released: boolean;
  /** Never read: reserve only if the seat is free now, whoever held it. */
  blind?: boolean;
}

/** A seat that can be reserved, and when an attempt may start on it. */
export interface Candidate {
  view: SeatView;
  at: number;
}

/**
 * Up to {@link BLIND_TRIES} seats this instance has never seen, as candidates free now: reserved with the
 * condition `freeAt <= now` instead of a holder read, which only a seat that is free now passes.
 */
export function unknownSeats(
  views: ReadonlyMap<number, SeatView>,
  seats: number,
  now: number,
  random: () => number,
): Candidate[] {
  if (views.size >= seats) return [];
  const picked: Candidate[] = [];
  for (let tries = 0; tries < BLIND_TRIES * 4 && picked.length < BLIND_TRIES; tries += 1) {
    const seat = Math.floor(random() * seats);
    if (views.has(seat) || picked.some((c) => c.view.seat === seat)) continue;
    picked.push({ view: { seat, holder: undefined, freeAt: 0, released: true, blind: true }, at: now });
  }
  return picked;
}

/** The seats that can be reserved now, by when an attempt may start on them; ties in random order. */
export function knownCandidates(
  views: ReadonlyMap<number, SeatView>,
  now: number,
  random: () => number,
): Candidate[] {
  return (
    [...views.values()]
      .map((view) => ({ view, at: reservableAt(view, now), tie: random() }))
      .filter((c): c is { view: SeatView; at: number; tie: number } => c.at !== undefined)
      // Instances that know the same free seats pick different ones first: fewer lost races.
      .sort((a, b) => a.at - b.at || a.tie - b.tie)
  );
}

/** When an attempt may start on this seat, if it can be reserved now; `undefined` while it is in flight. */
function reservableAt(view: SeatView, now: number): number | undefined {
  if (view.holder === undefined || view.released) return Math.max(now, view.freeAt);
  // In flight: its lease ended without a release (the instance died), so it is free.
  return view.freeAt <= now ? now : undefined;
}

/** The seats to look at: all of them, or a random sample when there are many. */
export function sample(seats: number, sampleSize: number, random: () => number): number[] {
  const all = Array.from({ length: seats }, (_, seat) => seat);
  if (seats <= sampleSize) return all;
  for (let i = 0; i < sampleSize; i += 1) {
    const j = i + Math.floor(random() * (all.length - i));
    [all[i], all[j]] = [all[j] ?? 0, all[i] ?? 0];
  }
  return all.slice(0, sampleSize);
}
