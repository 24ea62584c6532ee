/**
 * The layering of the import graph (README, "Layout"), enforced on the import statements themselves: static,
 * type-only, re-exports and dynamic `import()` alike, as TypeScript's own pre-parser reads them. A small test
 * rather than a dependency-cruiser configuration: the rules are few, and this reads the same files tsc does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** An import as a repository path (`shared/domain/event.ts`), a package (`@aws-sdk/client-sqs`) or `node:…`. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(path.join(ROOT, file), 'utf8'), true, true);
  return importedFiles.map(({ fileName }) => {
    if (!fileName.startsWith('.')) return fileName;
    const target = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), fileName));
    return target.split(path.sep).join('/').replace(/\.js$/, '.ts');
  });
}

function sourcesUnder(dir: string): string[] {
  return (
    readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .map((name) => name.split(path.sep).join('/'))
      // A built package's declarations (`client/dist/`) are not sources.
      .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.startsWith('dist/'))
      .map((name) => `${dir}/${name}`)
      .sort()
  );
}

interface Rule {
  /** What the rule says, in the words of the README. */
  name: string;
  /** The files it governs. */
  applies: (file: string) => boolean;
  /** Whether one of their imports breaks it. */
  forbids: (target: string) => boolean;
}

const NODE_BUILTIN = /^node:/;
const within =
  (...prefixes: string[]) =>
  (target: string) =>
    prefixes.some((prefix) => target === prefix || target.startsWith(`${prefix}/`));

/** Use cases: what a function does, whatever called it (HTTP, the queue, a test). */
const USE_CASES = new Set([
  'functions/enrich/enrich.ts',
  'functions/enrich/erase.ts',
  'functions/enrich/history.ts',
  'functions/enrich/history-window.ts',
  'functions/enrich/read-through.ts',
  'functions/enrich/result.ts',
  'functions/query/query.ts',
  'functions/webhook/webhook.ts',
]);

const RULES: Rule[] = [
  {
    name: 'the domain imports nothing but itself, the manifest, the Zod setup and Node built-ins',
    applies: within('shared/domain'),
    forbids: (target) =>
      !(within('shared/domain', 'shared/manifest', 'shared/validation')(target) || NODE_BUILTIN.test(target)),
  },
  {
    name: 'use cases never import HTTP code, input parsing, Lambda event types or an AWS SDK',
    applies: (file) => USE_CASES.has(file),
    forbids: (target) =>
      within('shared/http', 'aws-lambda', '@middy', '@aws-sdk')(target) ||
      /^functions\/[^/]+\/(http(-handler|-env)?|input)\.ts$/.test(target),
  },
  {
    name: 'adapters (Fingerprint, the store, AWS helpers) never import HTTP code or Lambda event types',
    applies: within('shared/fingerprint', 'shared/store', 'shared/aws'),
    forbids: within('shared/http', 'aws-lambda', '@middy'),
  },
  {
    name: 'the Fingerprint adapter never imports the store',
    applies: within('shared/fingerprint'),
    forbids: within('shared/store'),
  },
  {
    name: 'the manifest is declarations: it imports nothing but itself',
    applies: within('shared/manifest'),
    forbids: (target) => !within('shared/manifest')(target),
  },
  {
    name: 'AWS helpers know AWS, not the product: no other shared module',
    applies: within('shared/aws'),
    forbids: (target) => within('shared')(target) && !within('shared/aws')(target),
  },
  {
    name: 'shared code never imports a function, the stack, the local runtime, the bench, tests or the client',
    applies: within('shared'),
    forbids: within('functions', 'infra', 'local', 'bench', 'test', 'client'),
  },
  {
    name: "the caller client, a package of its own, imports of the service only the manifest's types and codes",
    applies: within('client'),
    forbids: (target) =>
      !within('client')(target) &&
      !CLIENT_PACKAGES.has(target) &&
      !NODE_BUILTIN.test(target) &&
      !['shared/manifest/api-types.ts', 'shared/manifest/error-codes.ts'].includes(target),
  },
];

function violations(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    for (const rule of RULES) {
      if (!rule.applies(file)) continue;
      for (const target of targets) {
        if (rule.forbids(target)) found.push(`${file} imports ${target}: ${rule.name}`);
      }
    }
  }
  return found;
}

/** The packages the caller client depends on (`client/package.json`), and so may import. */
const CLIENT_PACKAGES = new Set(
  Object.keys(
    (JSON.parse(readFileSync(path.join(ROOT, 'client', 'package.json'), 'utf8')) as { dependencies: object })
      .dependencies,
  ),
);

const FILES = [...sourcesUnder('shared'), ...sourcesUnder('functions'), ...sourcesUnder('client')];
const GRAPH = new Map(FILES.map((file) => [file, importsOf(file)]));

describe('the layers of the import graph', () => {
  it('reads every kind of import: static, type-only, re-exported and dynamic', () => {
    // One of each, known to exist, so that a parser that missed a kind would fail here rather than pass.
    expect(GRAPH.get('shared/fingerprint/normalize-v4.ts')).toContain('shared/domain/upstream.ts');
    expect(GRAPH.get('functions/query/query.ts')).toContain('shared/store/event-store.ts');
    expect(GRAPH.get('shared/fingerprint/normalize.ts')).toContain('shared/fingerprint/normalize-v3.ts');
    expect(GRAPH.get('functions/enrich/deps.ts')?.some((target) => target.startsWith('shared/'))).toBe(true);
    const dynamic = FILES.filter((file) =>
      /\bimport\(/.test(
        readFileSync(path.join(ROOT, file), 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ''),
      ),
    );
    expect(dynamic.length).toBeGreaterThan(0);
    for (const file of dynamic) expect(GRAPH.get(file)?.length ?? 0, file).toBeGreaterThan(0);
  });

  it.each(RULES.map((rule) => [rule.name, rule] as const))('%s', (_name, rule) => {
    const governed = FILES.filter((file) => rule.applies(file));
    expect(governed.length, 'files the rule governs').toBeGreaterThan(0);
    const broken = violations(new Map(governed.map((file) => [file, GRAPH.get(file) ?? []])));
    expect(broken).toEqual([]);
  });

  it('fails on an import that breaks a layer', () => {
    // The rules themselves, tried against the imports they exist to refuse.
    const broken = violations(
      new Map([
        [
          'shared/domain/event.ts',
          ['shared/fingerprint/normalize.ts', '@aws-sdk/client-dynamodb', 'node:net'],
        ],
        [
          'functions/enrich/erase.ts',
          ['shared/http/errors.ts', 'aws-lambda', 'functions/enrich/input.ts', 'shared/domain/errors.ts'],
        ],
        ['functions/query/query.ts', ['functions/query/http-handler.ts']],
        ['shared/store/dynamodb-event-store.ts', ['shared/http/params.ts', 'functions/enrich/enrich.ts']],
        ['shared/fingerprint/client.ts', ['shared/store/schema.ts']],
        ['shared/aws/cached-secret.ts', ['shared/domain/errors.ts', '@aws-sdk/client-secrets-manager']],
        [
          'client/types.ts',
          [
            'shared/manifest/api-types.ts',
            'shared/manifest/routes.ts',
            'shared/domain/event.ts',
            '@smithy/signature-v4',
            '@aws-sdk/client-dynamodb',
          ],
        ],
      ]),
    );
    expect(broken.map((line) => line.slice(0, line.indexOf(':')))).toEqual([
      'shared/domain/event.ts imports shared/fingerprint/normalize.ts',
      'shared/domain/event.ts imports @aws-sdk/client-dynamodb',
      'functions/enrich/erase.ts imports shared/http/errors.ts',
      'functions/enrich/erase.ts imports aws-lambda',
      'functions/enrich/erase.ts imports functions/enrich/input.ts',
      'functions/query/query.ts imports functions/query/http-handler.ts',
      'shared/store/dynamodb-event-store.ts imports shared/http/params.ts',
      'shared/store/dynamodb-event-store.ts imports functions/enrich/enrich.ts',
      'shared/fingerprint/client.ts imports shared/store/schema.ts',
      'shared/aws/cached-secret.ts imports shared/domain/errors.ts',
      'client/types.ts imports shared/manifest/routes.ts',
      'client/types.ts imports shared/domain/event.ts',
      'client/types.ts imports @aws-sdk/client-dynamodb',
    ]);
  });
});
