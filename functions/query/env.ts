import { commonEnv, corsEnv, storeUpstreamEnv } from '../../shared/config/env.js';
import * as z from '../../shared/validation/zod.js';

/** The query function's environment: it reads the table and calls nothing else. */
export const queryEnvSchema = z.object({ ...commonEnv(), ...corsEnv(), ...storeUpstreamEnv() });

export type QueryEnv = z.output<typeof queryEnvSchema>;
