/**
 * The project's Zod: the `zod/mini` API with Zod's English messages.
 *
 * Classic Zod (`import { z } from 'zod'`) gives every schema every method, so using any of it bundles all of it
 * (about 100 KB minified, a third of a function's DynamoDB-only floor) and builds those method tables at cold
 * start. The mini API is the same library (same parser, checks and issues) as plain functions that a bundler
 * drops when unused; see docs/performance.md. Mini ships no locale, so English is registered here, once, for
 * every schema: validation messages that name a field and say how to fix it are part of the API.
 */

import type * as mini from 'zod/mini';
import { config, ZodMiniCatch } from 'zod/mini';
import { _catch } from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';

/**
 * `z.catch`, built exactly as `zod/mini`'s is (the same `ZodMiniCatch` and definition, by core's own `_catch`)
 * but without mini's reference to the whole `core.util` namespace, which makes esbuild keep every helper of
 * `zod/v4/core/util.js` (about 9.5 KB minified) in any bundle that uses `catch` (docs/performance.md). This
 * local export takes the place of mini's through `export *`.
 */
const catchSchema = /* @__NO_SIDE_EFFECTS__ */ (innerType: mini.ZodMiniType, catchValue: unknown) =>
  // Core's `_catch` is typed for object schemas only; at run time it takes any, as mini's `catch` relies on.
  _catch(ZodMiniCatch, innerType as never, catchValue as never);
const typedCatch = catchSchema as unknown as typeof mini.catch;

export { typedCatch as catch };
