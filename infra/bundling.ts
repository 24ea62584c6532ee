import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

/**
 * How the functions are bundled, defined once. The stack hands {@link FUNCTION_BUNDLING} to `NodejsFunction`
 * (`constructs/service-function.ts`), which turns it into esbuild flags; the benchmark and the bundle-size test
 * give esbuild's API the same options through {@link esbuildOptionsFor}, so a size measured there is the size
 * deployed. Nothing here imports aws-cdk-lib, which keeps those two fast to load.
 */

/** The repository root: entries, `package-lock.json` and `tsconfig.json` are resolved from it, whatever the cwd. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Each function's handler file, relative to the repository root. */
export const FUNCTION_ENTRIES = {
  enrichHttp: 'functions/enrich/http.ts',
  enrichQueue: 'functions/enrich/queue.ts',
  query: 'functions/query/http.ts',
  webhook: 'functions/webhook/http.ts',
} as const;

export type FunctionKey = keyof typeof FUNCTION_ENTRIES;

/**
 * Bundled CommonJS dependencies (parts of the AWS SDK and Powertools) call `require`, which an ES module does
 * not have; this banner gives the bundle one.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** The file name `NodejsFunction` gives an ES module bundle; its source map is this plus `.map`. */
export const BUNDLE_FILE = 'index.mjs';

export const FUNCTION_BUNDLING = {
  format: 'esm',
  /** The functions' runtime, Node.js 24 (`FUNCTION_RUNTIME`): esbuild keeps the syntax it supports. */
  target: 'node24',
  /** The ES module build of a package that ships both can be tree-shaken; its CommonJS build cannot. */
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  /** Stack traces need the mappings only; embedding the sources would only make the asset bigger. */
  sourcesContent: false,
  /** Bundle the AWS SDK rather than use the runtime's copy: the version tested is the version run. */
  external: [],
  banner: ESM_REQUIRE_BANNER,
} as const;

/**
 * esbuild API options equivalent to the command `NodejsFunction` runs for `entry` (relative to the repository
 * root): `esbuild --bundle <entry> --platform=node` from the repository root with {@link FUNCTION_BUNDLING},
 * writing {@link BUNDLE_FILE} and its source map to `outdir`.
 */
export function esbuildOptionsFor(entry: string, outdir: string): BuildOptions {
  return {
    entryPoints: [path.join(REPOSITORY_ROOT, entry)],
    absWorkingDir: REPOSITORY_ROOT,
    outfile: path.join(outdir, BUNDLE_FILE),
    bundle: true,
    platform: 'node',
    format: FUNCTION_BUNDLING.format,
    target: FUNCTION_BUNDLING.target,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    minify: FUNCTION_BUNDLING.minify,
    sourcemap: FUNCTION_BUNDLING.sourcemap,
    sourcesContent: FUNCTION_BUNDLING.sourcesContent,
    external: [...FUNCTION_BUNDLING.external],
    banner: { js: FUNCTION_BUNDLING.banner },
  };
}
