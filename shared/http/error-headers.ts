/**
 * Where an answer in one of Fingerprint's error shapes keeps our error code, and the field at fault
 * (URI-encoded). A module of its own so that `./middleware.ts` can name them (CORS exposes them) without
 * loading `./errors.ts`, which it imports on the first error only (docs/performance.md).
 */
export const ERROR_CODE_HEADER = 'X-Error-Code';
export const ERROR_FIELD_HEADER = 'X-Error-Field';
