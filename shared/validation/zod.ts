/**
 * The project's Zod: the `zod/mini` API with Zod's English messages.
 *
 * Classic Zod (`import { z } from 'zod'`) gives every schema every method, so using any of it bundles all of it
 * (about 100 KB minified, a third of a function's DynamoDB-only floor) and builds those method tables at cold
 * start. The mini API is the same library (same parser, checks and issues) as plain functions that a bundler
 * drops when unused; see docs/performance.md. Mini ships no locale, so English is registered here, once, for
 * every schema: validation messages that name a field and say how to fix it are part of the API.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
