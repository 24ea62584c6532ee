import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, buildSync, type Metafile } from 'esbuild';
import { FUNCTIONS, type FunctionKey } from '../shared/manifest/functions.js';
import { mergeInitChunks } from './init-chunk.js';

/**
 * How the functions are bundled, defined once: the stack (`constructs/service-function.ts`), the benchmark and
 * the bundle-size test all build through {@link bundleFunction} (esbuild with {@link esbuildOptionsFor}, then the
 * init chunk of `./init-chunk.ts`), so a size measured there is the size deployed. Nothing here imports
 * aws-cdk-lib, which keeps the last two fast to load.
 *
 * Code splitting is on: a module a function imports only dynamically (`import()`: the Fingerprint client and
 * Secrets Manager behind a cache miss, SQS behind a dead letter) becomes a chunk of its own next to
 * `index.mjs`, which Node reads only when the import runs. `NodejsFunction` cannot do this (it always passes
 * esbuild `--outfile`, and splitting needs `--outdir`), so the stack runs esbuild itself as a local bundler.
 */

/** The repository root: entries, `package-lock.json` and `tsconfig.json` are resolved from it, whatever the cwd. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../', import.meta.url));

export type { FunctionKey };

/** Each function's handler file, relative to the repository root, as the service manifest declares it. */
export const FUNCTION_ENTRIES = Object.fromEntries(
  (Object.keys(FUNCTIONS) as FunctionKey[]).map((key) => [key, FUNCTIONS[key].entry]),
) as { readonly [K in FunctionKey]: (typeof FUNCTIONS)[K]['entry'] };

/**
 * What esbuild writes into a bundle when bundled code calls `require` (a CommonJS dependency loading a module
 * at run time), which an ES module does not have: its stand-in throws this at the first call. The bundles carry
 * no such call (every dependency is bundled from its ES module build), so they need no `require` and get no
 * `createRequire` banner: one in every file cost each start about 0.1 ms per file, for nothing
 * (docs/performance.md, "What changed", 16). `test/infra/bundling.test.ts` checks that no bundle holds the
 * stand-in; should a dependency ever need `require`, the banner
 * `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);` gives it one.
 */
export const ESBUILD_DYNAMIC_REQUIRE_ERROR = 'Dynamic require of';

/** The entry's file name, which the function's handler (`index.handler`) names; its source map is this plus `.map`. */
export const BUNDLE_FILE = 'index.mjs';

/** Chunks of code split off the entry, next to it: `chunk-<hash>.mjs`. */
export const CHUNK_PATTERN = /^chunk-[A-Z0-9]+\.mjs$/;

export const FUNCTION_BUNDLING = {
  format: 'esm',
  /** The functions' runtime, Node.js 24 (`FUNCTION_RUNTIME`): esbuild keeps the syntax it supports. */
  target: 'node24',
  /** The ES module build of a package that ships both can be tree-shaken; its CommonJS build cannot. */
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  /** Dynamically imported modules in chunks of their own, loaded on first use. */
  splitting: true,
  /** Stack traces need the mappings only; embedding the sources would only make the asset bigger. */
  sourcesContent: false,
  /** Bundle the AWS SDK rather than use the runtime's copy: the version tested is the version run. */
  external: [],
} as const;

/**
 * The esbuild API options that bundle `entry` (relative to the repository root) as deployed, from the
 * repository root with {@link FUNCTION_BUNDLING}: {@link BUNDLE_FILE}, its chunks and their source maps in
 * `outdir`. `sourcemap: false` builds the same code without maps (the benchmark's floors).
 */
export function esbuildOptionsFor(
  entry: string,
  outdir: string,
  overrides: { sourcemap?: boolean } = {},
): BuildOptions {
  return {
    entryPoints: { index: path.join(REPOSITORY_ROOT, entry) },
    absWorkingDir: REPOSITORY_ROOT,
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    splitting: FUNCTION_BUNDLING.splitting,
    bundle: true,
    platform: 'node',
    format: FUNCTION_BUNDLING.format,
    target: FUNCTION_BUNDLING.target,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    minify: FUNCTION_BUNDLING.minify,
    sourcemap: overrides.sourcemap ?? FUNCTION_BUNDLING.sourcemap,
    sourcesContent: FUNCTION_BUNDLING.sourcesContent,
    external: [...FUNCTION_BUNDLING.external],
    // `@middy/core` imports `node:stream/web` at load for response streaming the functions never use: its one
    // binding, `ReadableStream`, is looked up on first use instead (shared/runtime/stream-web.ts).
    alias: { 'node:stream/web': path.join(REPOSITORY_ROOT, 'shared', 'runtime', 'stream-web.ts') },
  };
}

/**
 * Bundles `entry` as deployed into `outdir` ({@link esbuildOptionsFor}), then gives what `index.mjs` loads at init
 * one chunk (`./init-chunk.ts`). The stack, the benchmark and the bundle-size test all build through this, so
 * the code measured is the code deployed. Returns the metafile of what is in `outdir`.
 */
export function bundleFunction(
  entry: string,
  outdir: string,
  overrides: { sourcemap?: boolean } = {},
): Metafile {
  const options = esbuildOptionsFor(entry, outdir, overrides);
  const { metafile } = buildSync({ ...options, metafile: true, logLevel: 'warning' });
  return mergeInitChunks(outdir, metafile, options);
}
