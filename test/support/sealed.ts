/** Moved to `local/harness/sealing.ts` (shared with the bench); this module keeps the tests' import path. */
export * from '../../local/harness/sealing.js';
