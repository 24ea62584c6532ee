import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildOptionsFor } from '../../infra/bundling.js';
import { INIT_CHUNK_FILE, mergeInitChunks } from '../../infra/init-chunk.js';

/*
 * The pass that gives a function's init one chunk, on a project small enough to read: an entry that awaits a
 * chunk at top level and loads another on its first call, sharing modules with both, one of them holding a class
 * (identity), a counter (a live binding) and a function that throws (source maps), and one that the entry
 * imports statically and the first call by `import()` too.
 */
const SOURCES = {
  'shared.ts': [
    'export class Failure extends Error {}',
    'export let calls = 0;',
    'export function count(): number {',
    '  calls += 1;',
    '  return calls;',
    '}',
    'export function boom(): never {',
    "  throw new Failure('boom');",
    '}',
  ],
  'word.ts': ["export const word = ['sha', 'red'].join('');"],
  'late.ts': ["export const late = ['la', 'te'].join('');"],
  'first-use.ts': [
    "import { calls, count, Failure } from './shared.js';",
    "import { word } from './word.js';",
    'export async function check(error: unknown) {',
    '  const counted = count();',
    "  const { late } = await import('./late.js');",
    '  return { same: error instanceof Failure, counted, seen: calls, word, late };',
    '}',
  ],
  'during-init.ts': ["import { word } from './word.js';", "export const early = 'early ' + word;"],
  'index.ts': [
    "import { boom, count, Failure } from './shared.js';",
    "import { word } from './word.js';",
    "import { late } from './late.js';",
    "const { early } = await import('./during-init.js');",
    'export async function handler() {',
    '  count();',
    "  const { check } = await import('./first-use.js');",
    "  return { ...(await check(new Failure('x'))), early, word, late };",
    '}',
    'export function explode(): never {',
    '  return boom();',
    '}',
  ],
};

let root: string;
let outdir: string;
let before: Metafile;
let after: Metafile;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'init-chunk-'));
  mkdirSync(path.join(root, 'src'));
  for (const [file, lines] of Object.entries(SOURCES)) {
    writeFileSync(path.join(root, 'src', file), `${lines.join('\n')}\n`);
  }
  outdir = path.join(root, 'out');
  // The functions' own options, on this project.
  const options = {
    ...esbuildOptionsFor('unused.ts', outdir),
    entryPoints: { index: path.join(root, 'src', 'index.ts') },
    absWorkingDir: root,
  };
  before = buildSync({ ...options, metafile: true, logLevel: 'silent' }).metafile;
  after = mergeInitChunks(outdir, before, options);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const staticImports = (code: string) => [...code.matchAll(/\bfrom\s*["']\.\/([^"']+)["']/g)].map((m) => m[1]);

function run(script: string): Record<string, unknown> {
  const output = execFileSync(
    process.execPath,
    ['--enable-source-maps', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env.PATH, BUNDLE_URL: pathToFileURL(path.join(outdir, 'index.mjs')).href },
    },
  );
  const line = output.split('\n').find((text) => text.startsWith('RESULT '));
  if (line === undefined) throw new Error(`No result:\n${output}`);
  return JSON.parse(line.slice('RESULT '.length));
}

describe('mergeInitChunks', () => {
  it('starts from a split build where the entry imports several chunks at init', () => {
    const entry = Object.entries(before.outputs).find(([key]) => key.endsWith('index.mjs'))?.[1];
    const atInit = entry?.imports.filter((imported) => imported.kind === 'import-statement') ?? [];
    expect(atInit.length).toBeGreaterThanOrEqual(2);
  });

  it('leaves the entry importing the one init chunk, which imports no chunk statically', () => {
    const index = readFileSync(path.join(outdir, 'index.mjs'), 'utf8');
    expect(new Set(staticImports(index))).toEqual(new Set([INIT_CHUNK_FILE]));
    expect(staticImports(readFileSync(path.join(outdir, INIT_CHUNK_FILE), 'utf8'))).toEqual([]);
  });

  it('has the chunks loaded on first use import the init chunk in place of the chunks merged into it', () => {
    const merged = Object.entries(before.outputs)
      .filter(([key]) => key.endsWith('index.mjs'))
      .flatMap(([, entry]) => entry.imports.filter((imported) => imported.kind === 'import-statement'))
      .map((imported) => path.basename(imported.path));
    const files = readdirSync(outdir);
    expect(files.filter((file) => merged.some((chunk) => file.startsWith(chunk)))).toEqual([]);
    const firstUse = files.filter(
      (file) => file.endsWith('.mjs') && !['index.mjs', INIT_CHUNK_FILE].includes(file),
    );
    // `late.ts`, which the entry imports and the first call loads by import() too, is loaded through a file of
    // its own re-exporting it from the init chunk.
    const late = Object.entries(after.outputs).filter(([, output]) => output.entryPoint === 'src/late.ts');
    expect(late).toHaveLength(1);
    const facade = readFileSync(path.join(root, late[0]?.[0] as string), 'utf8');
    expect(staticImports(facade)).toEqual([INIT_CHUNK_FILE]);
    for (const file of firstUse) {
      for (const imported of staticImports(readFileSync(path.join(outdir, file), 'utf8'))) {
        expect(
          imported === INIT_CHUNK_FILE || !merged.includes(imported as string),
          `${file}: ${imported}`,
        ).toBe(true);
      }
    }
  });

  it('describes the result: each source module in the file that now holds its code', () => {
    const holder = (module: string) =>
      Object.entries(after.outputs)
        .filter(([, output]) => (output.inputs[module]?.bytesInOutput ?? 0) > 0)
        .map(([key]) => path.basename(key));
    expect(holder('src/shared.ts')).toEqual([INIT_CHUNK_FILE]);
    expect(holder('src/word.ts')).toEqual([INIT_CHUNK_FILE]);
    expect(holder('src/first-use.ts')).not.toContain(INIT_CHUNK_FILE);
    for (const [key, output] of Object.entries(after.outputs)) {
      expect(output.bytes, key).toBe(readFileSync(path.join(root, key)).byteLength);
    }
  });

  it('runs as the split build did: one copy of each module, live bindings, an import() during top-level await', () => {
    const result = run(`
      const { handler } = await import(process.env.BUNDLE_URL);
      console.log('RESULT ' + JSON.stringify(await handler()));
    `);
    // The class the entry made is the one the chunk loaded on first use checks against, and the counter both
    // moved is one counter, read through the binding.
    expect(result).toEqual({
      same: true,
      counted: 2,
      seen: 2,
      word: 'shared',
      early: 'early shared',
      late: 'late',
    });
  });

  it('keeps stack traces pointing at the TypeScript source', () => {
    const result = run(`
      const { explode } = await import(process.env.BUNDLE_URL);
      try { explode(); } catch (error) { console.log('RESULT ' + JSON.stringify({ stack: error.stack })); }
    `);
    // `boom` throws on line 8 of shared.ts and is called from line 10 of index.ts.
    expect(result.stack).toMatch(/src\/shared\.ts:8:\d+/);
    expect(result.stack).toMatch(/src\/index\.ts:11:\d+/);
  });
});
