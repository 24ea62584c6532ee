import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
      types: './client/dist/index.d.ts',
      default: './client/dist/index.js',
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
