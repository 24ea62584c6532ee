/**
 * The tests' fake Fingerprint is the one emulator in `local/fingerprint-emulator/` (shared with `npm start` and
 * the bench); this module only keeps the old import path working.
 */
export {
  type FakeEventSeed,
  type FakeFingerprint,
  type Fault,
  type FaultInjector,
  type RecordedRequest,
  startFakeFingerprint,
} from '../../local/fingerprint-emulator/index.js';
