import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import {
  BUNDLE_FILE,
  esbuildOptionsFor,
  FUNCTION_ENTRIES,
  type FunctionKey,
  REPOSITORY_ROOT,
} from '../infra/bundling.js';
import { FLOOR_ENTRIES, type FloorKey } from './targets.js';

export interface Bundle {
  entry: string;
  /** Minified bytes of the ES module, as deployed. */
  bytes: number;
  /** The same, gzipped at zlib's default level. */
  gzipBytes: number;
  metafile: Metafile;
  /** Where the bundle was written, when it was. */
  file?: string;
}

export interface Bundles {
  functions: Record<FunctionKey, Bundle>;
  floors: Record<FloorKey, Bundle>;
}

/**
 * Builds `entry` exactly as the stack does (`esbuildOptionsFor`). With `outdir`, writes `index.mjs` and its
 * source map there, as `NodejsFunction` does; without, keeps everything in memory.
 */
export async function buildBundle(entry: string, outdir?: string): Promise<Bundle> {
  const dir = outdir ?? path.join(REPOSITORY_ROOT, 'bench', 'results', 'build', 'in-memory');
  if (outdir !== undefined) mkdirSync(outdir, { recursive: true });
  const result = await build({
    ...esbuildOptionsFor(entry, dir),
    metafile: true,
    write: outdir !== undefined,
    logLevel: 'silent',
  });
  const file = path.join(dir, BUNDLE_FILE);
  const code =
    outdir !== undefined
      ? readFileSync(file)
      : result.outputFiles?.find((output) => output.path === file)?.contents;
  if (code === undefined) throw new Error(`esbuild produced no ${BUNDLE_FILE} for ${entry}`);
  return {
    entry,
    bytes: code.byteLength,
    gzipBytes: gzipSync(code).byteLength,
    metafile: result.metafile,
    ...(outdir !== undefined && { file }),
  };
}

/** Every function and every floor, built in parallel; under `outRoot/<key>/` when given. */
export async function buildAll(outRoot?: string): Promise<Bundles> {
  const buildEach = async <K extends string>(entries: Record<K, string>): Promise<Record<K, Bundle>> => {
    const keys = Object.keys(entries) as K[];
    const built = await Promise.all(
      keys.map((key) =>
        buildBundle(entries[key], outRoot === undefined ? undefined : path.join(outRoot, key)),
      ),
    );
    return Object.fromEntries(keys.map((key, index) => [key, built[index]])) as Record<K, Bundle>;
  };
  const [functions, floors] = await Promise.all([buildEach(FUNCTION_ENTRIES), buildEach(FLOOR_ENTRIES)]);
  return { functions, floors };
}

/** Every module the bundle's import graph reached, relative to the repository root, tree-shaken or not. */
export function modulesOf(bundle: Bundle): string[] {
  return Object.keys(bundle.metafile.inputs);
}

/** The modules that left code in the bundle (tree shaking can leave an imported module with none). */
export function emittedModulesOf(bundle: Bundle): string[] {
  return Object.values(bundle.metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([module]) => module),
  );
}

/** Bytes each npm package (or project folder) contributes to the bundle, largest first. */
export function bytesByOrigin(bundle: Bundle): { origin: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(bundle.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const origin = originOf(input);
      totals.set(origin, (totals.get(origin) ?? 0) + bytesInOutput);
    }
  }
  return [...totals]
    .map(([origin, bytes]) => ({ origin, bytes }))
    .filter((entry) => entry.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}

/** `node_modules/@scope/name/…` → `@scope/name`; a project file → its folder, e.g. `shared/store`. */
function originOf(input: string): string {
  const packageMatch = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (packageMatch?.[1] !== undefined) return packageMatch[1];
  return path.posix.dirname(input);
}
