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
 * {@link INIT_CHUNK_FILE}, and has the chunks loaded on first use import it in their place. No module is
 * loaded twice: every chunk imports the one copy's live bindings.
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
  // Each chunk's exports under a name of their own in the merged chunk, as short as esbuild's own (every
  // first-use chunk names them in its imports).
  const nextName = shortNames();
  const renamed = [...initFiles].map((file) => ({
    file,
    names: exportsOf(file).map((name) => ({ name, merged: nextName() })),
  }));
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
      contents: renamed
        .map(
          ({ file, names }) =>
            `export { ${names.map(({ name, merged }) => `${name} as ${merged}`).join(', ')} } from './${file}';`,
        )
        .join('\n'),
      resolveDir: outdir,
      sourcefile: INIT_CHUNK_FILE,
      loader: 'js',
    },
    outfile: path.join(outdir, INIT_CHUNK_FILE),
  });
  // The entry, and every chunk loaded on first use that imports a merged chunk, are built again with each
  // merged chunk replaced by a stub re-exporting, from the init chunk, the bindings that file imports from it:
  // esbuild inlines the stubs, so they import the init chunk itself (one file less to read on first use for
  // each merged chunk they imported), and the merged chunks are removed. A chunk loaded on first use runs after
  // the init chunk (`index.mjs` imports it statically), so its imports of a merged chunk for the side effects
  // alone are left out.
  //
  // esbuild loads a module by `import()` through a file of its own (its code, or a facade re-exporting it from
  // a shared chunk), never through a shared chunk: nothing may still import a merged chunk that way.
  for (const [key, output] of Object.entries(outputs)) {
    const loaded = output.imports.find(
      (imported) => imported.kind === 'dynamic-import' && initFiles.has(path.basename(imported.path)),
    );
    if (loaded) throw new Error(`${key} loads ${loaded.path} by import(), which the init chunk replaced`);
  }
  const importsMerged = (file: string) =>
    (outputs[keyOf(file)]?.imports ?? []).some(
      (imported) => imported.kind === 'import-statement' && initFiles.has(path.basename(imported.path)),
    );
  const stub = (names: ReadonlyArray<{ name: string; merged: string }>) =>
    `export { ${names.map(({ name, merged }) => `${merged} as ${name}`).join(', ')} } from './${INIT_CHUNK_FILE}';\n`;
  const writes = [...merged.outputFiles];
  const rebuilt = ['index.mjs', ...others.filter(importsMerged)];
  for (const file of rebuilt) {
    const code = readFileSync(path.join(outdir, file), 'utf8');
    for (const { file: mergedFile, names } of renamed) {
      const imported = importedNames(code, mergedFile);
      const used = imported === 'all' ? names : names.filter(({ name }) => imported.has(name));
      const bare = file === 'index.mjs' ? `import './${INIT_CHUNK_FILE}';\n` : 'export {};\n';
      writeFileSync(path.join(outdir, mergedFile), used.length > 0 ? stub(used) : bare);
    }
    const built = buildSync({
      ...shared,
      entryPoints: [path.join(outdir, file)],
      outfile: path.join(outdir, file),
      allowOverwrite: true,
    });
    writes.push(...built.outputFiles);
  }
  for (const output of writes) writeFileSync(output.path, output.contents);
  for (const file of initFiles) {
    rmSync(path.join(outdir, file));
    rmSync(path.join(outdir, `${file}.map`), { force: true });
  }

  const size = (file: string) => readFileSync(path.join(outdir, file)).byteLength;
  const result: Metafile = { inputs: metafile.inputs, outputs: {} };
  // A static import of a merged chunk is now an import of the init chunk (seen from a merged chunk, one inside
  // it, dropped below).
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
    if (initFiles.has(file)) continue;
    if (!rebuilt.includes(file)) {
      result.outputs[key] = { ...output, bytes: size(file) };
      continue;
    }
    // A chunk that imported merged chunks for their side effects alone may now import none of them.
    const importsInit = readFileSync(path.join(outdir, file), 'utf8').includes(`"./${INIT_CHUNK_FILE}"`);
    const imports = dedupe(importsOf(file)).filter(
      (imported) => importsInit || imported.path !== keyOf(INIT_CHUNK_FILE),
    );
    result.outputs[key] = { ...output, bytes: size(file), imports };
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
    exports: renamed.flatMap(({ names }) => names.map(({ merged }) => merged)),
  };
  return result;
}

/** `a` … `z`, `A` … `Z`, `aa`, `ab`, …: unique export names, the shortest first (reserved words skipped). */
function shortNames(): () => string {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const reserved = new Set(['do', 'if', 'in', 'for', 'let', 'new', 'try', 'var']);
  let count = 0;
  const nameOf = (index: number): string =>
    index < letters.length
      ? (letters[index] as string)
      : nameOf(Math.floor(index / letters.length) - 1) + (letters[index % letters.length] as string);
  return () => {
    let name = nameOf(count++);
    while (reserved.has(name)) name = nameOf(count++);
    return name;
  };
}

/**
 * The bindings `code`, a chunk esbuild wrote, imports from the chunk `file` (`import{a as b,c}from"./file"`):
 * `'all'` for a namespace import. A binding missed here fails the build ("No matching export"), never the
 * code at run time.
 */
function importedNames(code: string, file: string): Set<string> | 'all' {
  const from = `\\s*from\\s*["']\\./${file.replace(/[.]/g, '\\.')}["']`;
  if (new RegExp(`import\\s*\\*\\s*as\\s+[\\w$]+${from}`).test(code)) return 'all';
  const names = new Set<string>();
  for (const match of code.matchAll(new RegExp(`import\\s*\\{([^}]*)\\}${from}`, 'g'))) {
    for (const binding of (match[1] ?? '').split(',')) {
      const name = binding.trim().split(/\s+as\s+/)[0];
      if (name) names.add(name);
    }
  }
  return names;
}
