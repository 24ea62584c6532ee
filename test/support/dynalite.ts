/** Moved to `local/harness/dynalite.ts` (shared with the bench); this module keeps the tests' import path. */
export * from '../../local/harness/dynalite.js';
