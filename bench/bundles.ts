import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
import {
  BUNDLE_FILE,
  bundleFunction,
  FUNCTION_ENTRIES,
  type FunctionKey,
  REPOSITORY_ROOT,
} from '../infra/bundling.js';
import { FLOOR_ENTRIES, type FloorKey } from './targets.js';

export interface Bundle {
  entry: string;
  /**
   * Minified bytes of what importing the bundle loads, as deployed: `index.mjs` and the chunks it imports
   * statically (source maps aside). What init reads, compiles and evaluates.
   */
  bytes: number;
  /** The same, gzipped at zlib's default level (each file alone, summed). */
  gzipBytes: number;
  /** Minified bytes of every chunk, those loaded on first use by a dynamic `import()` included. */
  totalBytes: number;
  totalGzipBytes: number;
  /** The code files written, relative to the output directory: `index.mjs` first. */
  files: string[];
  metafile: Metafile;
  /** Where the entry was written, when it was. */
  file?: string;
}

export interface Bundles {
  functions: Record<FunctionKey, Bundle>;
  floors: Record<FloorKey, Bundle>;
}

/**
 * Builds `entry` exactly as the stack does (`bundleFunction`; without source maps when `sourcemap` is false, as
 * the floors are). With `outdir`, leaves `index.mjs`, its chunks and their source maps there, as the stack
 * does; without, builds in a temporary directory it then removes.
 */
export async function buildBundle(
  entry: string,
  outdir?: string,
  options: { sourcemap?: boolean } = {},
): Promise<Bundle> {
  const dir = outdir ?? mkdtempSync(path.join(tmpdir(), 'bundle-'));
  try {
    mkdirSync(dir, { recursive: true });
    return describe(entry, dir, bundleFunction(entry, dir, options), outdir !== undefined);
  } finally {
    if (outdir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

function describe(entry: string, dir: string, metafile: Metafile, kept: boolean): Bundle {
  const codeOf = (relative: string): Uint8Array => readFileSync(path.join(REPOSITORY_ROOT, relative));
  const outputs = metafile.outputs;
  const entryOutput = Object.keys(outputs).find((name) => path.basename(name) === BUNDLE_FILE);
  if (entryOutput === undefined) throw new Error(`esbuild produced no ${BUNDLE_FILE} for ${entry}`);
  const code = Object.keys(outputs).filter((name) => !name.endsWith('.map'));
  // What `import()` of the entry loads: the entry and, transitively, the chunks it imports statically.
  const loaded = new Set<string>([entryOutput]);
  for (const name of loaded) {
    for (const imported of outputs[name]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) loaded.add(imported.path);
    }
  }
  const size = (names: Iterable<string>) => {
    let bytes = 0;
    let gzipBytes = 0;
    for (const name of names) {
      const contents = codeOf(name);
      bytes += contents.byteLength;
      gzipBytes += gzipSync(contents).byteLength;
    }
    return { bytes, gzipBytes };
  };
  const atInit = size(loaded);
  const all = size(code);
  return {
    entry,
    bytes: atInit.bytes,
    gzipBytes: atInit.gzipBytes,
    totalBytes: all.bytes,
    totalGzipBytes: all.gzipBytes,
    files: [entryOutput, ...code.filter((name) => name !== entryOutput)].map((name) =>
      path.relative(path.relative(REPOSITORY_ROOT, dir), name),
    ),
    metafile,
    ...(kept && { file: path.join(dir, BUNDLE_FILE) }),
  };
}

/**
 * Every function and every floor; under `outRoot/<key>/` when given. The floors are built
 * without source maps: the least any implementation could load (Node 20 parses a bundle's whole map at load
 * with `--enable-source-maps`, which a floor with a map would pay too and so hide).
 */
export async function buildAll(outRoot?: string): Promise<Bundles> {
  const buildEach = async <K extends string>(
    entries: Record<K, string>,
    options: { sourcemap?: boolean } = {},
  ): Promise<Record<K, Bundle>> => {
    const keys = Object.keys(entries) as K[];
    const built = await Promise.all(
      keys.map((key) =>
        buildBundle(entries[key], outRoot === undefined ? undefined : path.join(outRoot, key), options),
      ),
    );
    return Object.fromEntries(keys.map((key, index) => [key, built[index]])) as Record<K, Bundle>;
  };
  const [functions, floors] = await Promise.all([
    buildEach(FUNCTION_ENTRIES),
    buildEach(FLOOR_ENTRIES, { sourcemap: false }),
  ]);
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

/** The modules with code in what importing the bundle loads (the entry and its static chunks). */
export function initModulesOf(bundle: Bundle): string[] {
  const outputs = bundle.metafile.outputs;
  const entry = Object.keys(outputs).find((name) => path.basename(name) === BUNDLE_FILE);
  const loaded = new Set<string>(entry === undefined ? [] : [entry]);
  for (const name of loaded) {
    for (const imported of outputs[name]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) loaded.add(imported.path);
    }
  }
  return [...loaded].flatMap((name) =>
    Object.entries(outputs[name]?.inputs ?? {})
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
