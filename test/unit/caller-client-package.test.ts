import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Consumers get the caller client as `fingerprint-event-enrichment/client`: plain JavaScript and declarations
 * built by `npm run build:client` (run by `npm pack`/`npm publish` and git installs through `prepack`). This
 * builds it the same way and uses it as a consumer would: plain Node with no TypeScript loader, and tsc
 * resolving its types through the package's `exports`.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, unknown>;
  scripts: Record<string, string>;
};
/** Consumer files live under node_modules so that they resolve packages the way a dependent project does. */
const CONSUMER_DIR = path.join(ROOT, 'node_modules', '.cache', 'caller-client-consumer');

describe('caller client package', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [TSC, '-p', 'client/tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
    mkdirSync(CONSUMER_DIR, { recursive: true });
  }, 120_000);
  afterAll(() => {
    rmSync(CONSUMER_DIR, { recursive: true, force: true });
  });

  it('exports the built client as ./client, built before packing', () => {
    expect(PACKAGE.exports['./client']).toEqual({
      types: './client/dist/client/index.d.ts',
      default: './client/dist/client/index.js',
    });
    expect(PACKAGE.scripts['build:client']).toBe('tsc -p client/tsconfig.build.json');
    expect(PACKAGE.scripts.prepack).toBe('npm run build:client');
  });

  it('runs in plain Node through the package name', () => {
    const script = `
      const client = await import('${PACKAGE.name}/client');
      const api = client.createEnrichmentClient({ baseUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      console.log(JSON.stringify({ exports: Object.keys(client).sort(), enrich: typeof api.enrich }));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    expect(JSON.parse(output)).toEqual({
      exports: expect.arrayContaining([
        'ERROR_CODES',
        'EnrichmentApiError',
        'EnrichmentClient',
        'createEnrichmentClient',
        'createSignedFetch',
        'isRetryable',
      ]),
      enrich: 'function',
    });
  });

  it('gives TypeScript consumers its types through the package name', () => {
    writeFileSync(
      path.join(CONSUMER_DIR, 'consumer.ts'),
      `import { createEnrichmentClient, type NormalizedEvent } from '${PACKAGE.name}/client';
export async function firstCity(requestId: string): Promise<string | undefined> {
  const api = createEnrichmentClient({ baseUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod' });
  const { events } = await api.enrich({ requestId });
  const event: NormalizedEvent | undefined = events[0];
  return event?.location?.city;
}
// @ts-expect-error: a request needs requestId, visitorId or linkedId
createEnrichmentClient({ baseUrl: 'http://127.0.0.1:3000' }).enrich({ maxEvents: 5 });
`,
    );
    writeFileSync(
      path.join(CONSUMER_DIR, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [path.join(ROOT, 'node_modules', '@types')],
        },
        files: ['consumer.ts'],
      }),
    );
    expect(() =>
      execFileSync(process.execPath, [TSC, '-p', path.join(CONSUMER_DIR, 'tsconfig.json')], {
        cwd: CONSUMER_DIR,
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });
});

/**
 * The client is also a package of its own (`client/package.json`), so that a service installing it gets the
 * four packages it imports and nothing of the service's own stack (DynamoDB, SQS, Powertools, middy).
 */
describe('caller client as its own package', () => {
  const CLIENT_DIR = path.join(ROOT, 'client');
  const manifest = JSON.parse(readFileSync(path.join(CLIENT_DIR, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, unknown>;
    types: string;
    files: string[];
    scripts: Record<string, string>;
    dependencies: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const built = (
    JSON.parse(readFileSync(path.join(CLIENT_DIR, 'tsconfig.build.json'), 'utf8')) as { include: string[] }
  ).include;
  /**
   * The manifest's modules the client ships with it (compiled to `dist/shared/manifest/`): the answers' types
   * and the error codes, written once for the service and the client alike.
   */
  const FROM_MANIFEST = ['api-types.ts', 'error-codes.ts'];

  /** The packages a module imports: bare specifiers, by package name (`@scope/name` or `name`). */
  function importedPackages(source: string): string[] {
    const specifiers = [
      ...source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'|import\('([^']+)'\)/g),
    ]
      .map((match) => match[1] ?? match[2] ?? '')
      .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:'));
    return specifiers.map((specifier) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/'),
    );
  }

  it('builds every client module, and only those', () => {
    const sources = readdirSync(CLIENT_DIR).filter((name) => name.endsWith('.ts'));
    expect([...built].sort()).toEqual(sources.sort());
  });

  it('declares exactly the packages its modules import, at the ranges the repository installs', () => {
    const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const imported = new Set(
      built.flatMap((file) => importedPackages(readFileSync(path.join(CLIENT_DIR, file), 'utf8'))),
    );
    expect(Object.keys(manifest.dependencies).sort()).toEqual([...imported].sort());
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      '@aws-crypto/sha256-js',
      '@aws-sdk/credential-provider-node',
      '@smithy/protocol-http',
      '@smithy/signature-v4',
    ]);
    for (const [name, range] of Object.entries(manifest.dependencies)) {
      expect(range, name).toBe(root.dependencies[name]);
    }
    expect(manifest.devDependencies).toBeUndefined();
    expect(Object.keys(manifest.dependencies).join(' ')).not.toMatch(/dynamodb|sqs|powertools|middy|secrets/);
  });

  it('npm pack builds it and ships its built modules and declarations only', () => {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json'], {
        cwd: CLIENT_DIR,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, npm_config_loglevel: 'silent' },
      }),
    ) as { name: string; files: { path: string }[] }[];
    expect(packed?.name).toBe(manifest.name);
    const compiled = (file: string) => [file.replace(/\.ts$/, '.js'), file.replace(/\.ts$/, '.d.ts')];
    const expected = [
      'package.json',
      ...built.flatMap((file) => compiled(`dist/client/${file}`)),
      ...FROM_MANIFEST.flatMap((file) => compiled(`dist/shared/manifest/${file}`)),
    ];
    expect(packed?.files.map((file) => file.path).sort()).toEqual(expected.sort());
    // What the package points at is in it, and what it ships imports nothing it does not declare.
    expect(manifest.exports['.']).toEqual({
      types: './dist/client/index.d.ts',
      default: './dist/client/index.js',
    });
    expect(expected).toContain(manifest.types.replace(/^\.\//, ''));
    const shipped = new Set(
      expected
        .filter((file) => file.endsWith('.js'))
        .flatMap((file) => importedPackages(readFileSync(path.join(CLIENT_DIR, file), 'utf8'))),
    );
    expect([...shipped].sort()).toEqual(Object.keys(manifest.dependencies).sort());
  }, 120_000);

  it('resolves by its own name in plain Node, as an installed package does', () => {
    const output = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const client = await import('${manifest.name}'); console.log(JSON.stringify(Object.keys(client).sort()));`,
      ],
      {
        cwd: CLIENT_DIR,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
    );
    expect(JSON.parse(output)).toEqual(
      expect.arrayContaining([
        'CredentialsError',
        'createEnrichmentClient',
        'createSignedFetch',
        'EnrichmentApiError',
      ]),
    );
  });
});
