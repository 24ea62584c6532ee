/** Moved to `local/harness/lambda-events.ts` (shared with the bench); this module keeps the tests' import path. */
export * from '../../local/harness/lambda-events.js';
