/** Moved to `local/harness/sqs-events.ts` (shared with the bench); this module keeps the tests' import path. */
export * from '../../local/harness/sqs-events.js';
