/**
 * The Fingerprint emulator, one toolkit for `npm start` (the sandbox), the tests and the bench: see `server.ts`
 * for the HTTP server and its presets, `world.ts` for the events it serves.
 */
export type { GeneratedEvent } from './catalogue.js';
export { GeneratedWorld, type LookupResult, RETENTION_MS } from './generated-world.js';
export {
  renderGeneratedV3Event,
  renderGeneratedV3Visit,
  renderGeneratedV4Event,
} from './render-generated.js';
export {
  type EmulatorOptions,
  type FakeEventSeed,
  type FakeFingerprint,
  type Fault,
  type FaultInjector,
  type FingerprintEmulator,
  type RecordedRequest,
  type SandboxUpstream,
  type SeededEvent,
  startFakeFingerprint,
  startFingerprintEmulator,
  startSandboxUpstream,
} from './server.js';
export {
  type EmulatorEvent,
  type EmulatorLookup,
  EmulatorWorld,
  renderV3Event,
  renderV4Event,
} from './world.js';
