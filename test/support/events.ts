import { type NormalizedEvent, SCHEMA_VERSION } from '../../shared/domain/event.js';

let sequence = 0;

/**
 * When {@link buildEvent}'s events happen unless told otherwise: a store whose clock reads it serves them (an
 * event expires `EVENT_TTL_DAYS` after it happened).
 */
export const BUILT_AT = 1_708_102_555_327;

/** A distinct, valid requestId: `<13-digit ms>.<6 alphanumerics>`. */
export function newRequestId(timestamp = BUILT_AT): string {
  sequence += 1;
  return `${timestamp}.${sequence.toString(36).padStart(6, '0')}`;
}

/** A minimal valid normalized event; override what the test is about. */
export function buildEvent(overrides: Partial<NormalizedEvent> = {}): NormalizedEvent {
  const timestamp = overrides.timestamp ?? BUILT_AT;
  return {
    requestId: newRequestId(timestamp),
    visitorId: 'Ibk1527CUFmcnjLwIs4A9',
    timestamp,
    time: new Date(timestamp).toISOString(),
    browser: {
      name: 'Chrome',
      majorVersion: '74',
      fullVersion: '74.0.3729',
      os: 'Windows',
      osVersion: '7',
      device: 'Other',
      userAgent: 'Mozilla/5.0 (Windows NT 6.1; Win64; x64)',
    },
    source: 'v4',
    schemaVersion: SCHEMA_VERSION,
    ...overrides,
  };
}
