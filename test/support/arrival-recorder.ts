/** Moved to `local/harness/arrival-recorder.ts` (shared with the bench); this module keeps the tests' import path. */
export * from '../../local/harness/arrival-recorder.js';
