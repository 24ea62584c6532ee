import { COMMON_ENV, CORS_ENV, type EnvOf, STORE_UPSTREAM_ENV } from '../../shared/config/env-rules.js';

/** The query function's environment: it reads the table and calls nothing else (rules as data, see `enrich/http-env.ts`). */
export const QUERY_ENV = { ...COMMON_ENV, ...CORS_ENV, ...STORE_UPSTREAM_ENV } as const;

export type QueryEnv = EnvOf<typeof QUERY_ENV>;
