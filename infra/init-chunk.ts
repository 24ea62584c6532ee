import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type BuildOptions, buildSync, type Metafile } from 'esbuild';

/**
 * One file for what a function loads at init, besides its entry.
 *
 * With code splitting, esbuild writes a chunk for every set of entry points that share code, and counts each
 * `import()` target as an entry point. A module that `index.mjs` needs at init and that a chunk loaded on first
 * use needs too therefore lands in a chunk of its own, which `index.mjs` imports statically: the functions'
 * init read 13 to 20 files where the code needs two (esbuild does not know that whatever the entry loads is
 * already loaded when its `import()` runs: evanw/esbuild#3780, open; #1128 suggests this very post-pass).
 * Each file costs Node.js 24 about 0.35 ms to resolve, read, compile and link (docs/performance.md, "What
 * changed", 18), so this pass, run on esbuild's output, bundles those chunks again into one,
 * {@link INIT_CHUNK_FILE}, and makes them stubs re-exporting from it for the chunks loaded on first use. No
 * module is loaded twice: the stubs re-export the one copy's live bindings.
 *
 * `index.mjs` stays a file apart: it holds the handler module's top-level `await` (the environment), during
 * which an `import()` may run, and a chunk loaded then must not import the module still being evaluated.
 *
 * Only esbuild's synchronous API is used (the stack bundles inside CDK's synchronous `tryBundle`), so the pass
 * works on files in `outdir`, where esbuild also reads each chunk's source map and chains it.
 */

/** The chunk holding every module `index.mjs` needs at init. */
export const INIT_CHUNK_FILE = 'chunk-INIT.mjs';

/**
 * Rewrites, in `outdir`, the output of a split esbuild build (`metafile` describes it; `options` are the build's
 * own) so that `index.mjs` imports one chunk, {@link INIT_CHUNK_FILE}, statically. Returns the metafile of the
 * result's code files (source maps aside): each output's inputs are the source modules whose code it now holds (byte counts are esbuild's from
 * the first build, the files' sizes are the new ones), so what a size test or a report reads stays true.
 * Does nothing when `index.mjs` imports fewer than two chunks.
 */
export function mergeInitChunks(
  outdir: string,
  metafile: Metafile,
  options: Pick<BuildOptions, 'absWorkingDir' | 'format' | 'platform' | 'target' | 'minify' | 'sourcemap'>,
): Metafile {
  const cwd = options.absWorkingDir ?? process.cwd();
  const outputs = metafile.outputs;
  // Output keys are relative to the working directory; chunks import each other as `./<file name>`.
  const keyOf = (file: string) => path.relative(cwd, path.join(outdir, file));
  const entryKey = keyOf('index.mjs');
  // What `import()` of the entry loads: the chunks it imports statically, transitively, in the order it does.
  const loaded = new Set<string>([entryKey]);
  for (const key of loaded) {
    for (const imported of outputs[key]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) loaded.add(imported.path);
    }
  }
  loaded.delete(entryKey);
  if (loaded.size < 2) return metafile;
  const initFiles = new Set([...loaded].map((key) => path.basename(key)));
  const others = Object.keys(outputs)
    .map((key) => path.basename(key))
    .filter((file) => file.endsWith('.mjs') && file !== 'index.mjs' && !initFiles.has(file));
  const exportsOf = (file: string) => outputs[keyOf(file)]?.exports ?? [];
  // Each chunk's exports under a name of their own in the merged chunk: `<name>$<chunk's number>`.
  const numbered = [...initFiles].map((file, index) => ({ file, suffix: `$${index}` }));
  const shared = {
    absWorkingDir: cwd,
    bundle: true,
    format: options.format,
    platform: options.platform,
    target: options.target,
    minify: options.minify,
    sourcemap: options.sourcemap,
    sourcesContent: false,
    // What the other chunks hold stays where it is: loaded on first use, by the same relative path.
    external: [...others.map((file) => `./${file}`), `./${INIT_CHUNK_FILE}`],
    logLevel: 'warning',
    write: false,
  } satisfies BuildOptions;

  const merged = buildSync({
    ...shared,
    stdin: {
      contents: numbered
        .map(
          ({ file, suffix }) =>
            `export { ${exportsOf(file)
              .map((name) => `${name} as ${name}${suffix}`)
              .join(', ')} } from './${file}';`,
        )
        .join('\n'),
      resolveDir: outdir,
      sourcefile: INIT_CHUNK_FILE,
      loader: 'js',
    },
    outfile: path.join(outdir, INIT_CHUNK_FILE),
  });
  // The merged chunk must be complete before the first stub replaces a chunk it was built from.
  const writes = [...merged.outputFiles];
  for (const { file, suffix } of numbered) {
    const names = exportsOf(file).map((name) => `${name}${suffix} as ${name}`);
    writeFileSync(path.join(outdir, file), `export { ${names.join(', ')} } from './${INIT_CHUNK_FILE}';\n`);
    rmSync(path.join(outdir, `${file}.map`), { force: true });
  }
  const entry = buildSync({
    ...shared,
    entryPoints: [path.join(outdir, 'index.mjs')],
    outfile: path.join(outdir, 'index.mjs'),
    allowOverwrite: true,
  });
  for (const output of [...writes, ...entry.outputFiles]) writeFileSync(output.path, output.contents);

  const size = (file: string) => readFileSync(path.join(outdir, file)).byteLength;
  const result: Metafile = { inputs: metafile.inputs, outputs: {} };
  // An import of a merged chunk, seen from the entry, is now an import of the init chunk (and, seen from a
  // merged chunk, one inside it, dropped below); the chunks loaded on first use still import the stubs.
  const importsOf = (file: string) =>
    (outputs[keyOf(file)]?.imports ?? []).map((imported) =>
      initFiles.has(path.basename(imported.path)) && imported.kind === 'import-statement'
        ? { ...imported, path: keyOf(INIT_CHUNK_FILE) }
        : imported,
    );
  const dedupe = (list: Metafile['outputs'][string]['imports']) =>
    list.filter(
      (item, index) =>
        list.findIndex((other) => other.path === item.path && other.kind === item.kind) === index,
    );
  for (const [key, output] of Object.entries(outputs)) {
    const file = path.basename(key);
    if (!file.endsWith('.mjs')) continue;
    if (initFiles.has(file)) {
      result.outputs[key] = {
        ...output,
        bytes: size(file),
        inputs: {},
        imports: [{ path: keyOf(INIT_CHUNK_FILE), kind: 'import-statement' }],
      };
    } else {
      const imports = file === 'index.mjs' ? dedupe(importsOf(file)) : output.imports;
      result.outputs[key] = { ...output, bytes: size(file), imports };
    }
  }
  const initInputs: Metafile['outputs'][string]['inputs'] = {};
  for (const file of initFiles) {
    for (const [input, { bytesInOutput }] of Object.entries(outputs[keyOf(file)]?.inputs ?? {})) {
      initInputs[input] = { bytesInOutput: (initInputs[input]?.bytesInOutput ?? 0) + bytesInOutput };
    }
  }
  result.outputs[keyOf(INIT_CHUNK_FILE)] = {
    bytes: size(INIT_CHUNK_FILE),
    inputs: initInputs,
    imports: dedupe(
      [...initFiles]
        .flatMap((file) => importsOf(file))
        .filter((item) => !item.path.endsWith(INIT_CHUNK_FILE)),
    ),
    exports: numbered.flatMap(({ file, suffix }) => exportsOf(file).map((name) => `${name}${suffix}`)),
  };
  return result;
}
