import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CHUNK_PATTERN, ESBUILD_DYNAMIC_REQUIRE_ERROR, esbuildOptionsFor } from '../../infra/bundling.js';
import { INIT_CHUNK_FILE } from '../../infra/init-chunk.js';
import { buildApiEvent } from '../../local/harness/lambda-events.js';
import { logicalIdOf, resourcesOf, type SynthesizedApp, synthesize } from './support.js';

type FunctionKey = 'enrichHttp' | 'enrichQueue' | 'query' | 'webhook';

let outdir: string;
let app: SynthesizedApp;

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'cdk-bundling-'));
  // Any attempt to bundle in Docker would run this and fail the synthesis.
  vi.stubEnv('CDK_DOCKER', path.join(outdir, 'no-docker-here'));
  app = synthesize({}, { bundling: true, outdir });
}, 120_000);

afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(outdir, { recursive: true, force: true });
});

/** The directory esbuild wrote a function's code to, found from the template's S3 key. */
function bundleDir(key: FunctionKey): string {
  const functionId = logicalIdOf(app, app.stack.functions[key].function);
  const resource = resourcesOf(app.template, 'AWS::Lambda::Function')[functionId];
  if (resource === undefined) throw new Error(`No function ${key} in the template`);
  const s3Key = (resource.Properties.Code as { S3Key: string }).S3Key;
  return path.join(outdir, `asset.${s3Key.replace(/\.zip$/, '')}`);
}

/** Imports a bundle in a fresh Node process, as Lambda would, and invokes its handler with `event`. */
function invoke(
  key: FunctionKey,
  event: unknown,
): { statusCode: number; headers?: Record<string, string>; body: string } {
  const script = `
    const { handler } = await import(process.env.BUNDLE_URL);
    if (process.env.EVENT === undefined) {
      const webStreams = process.moduleLoadList.includes('NativeModule stream/web');
      console.log('RESULT ' + JSON.stringify({ loaded: typeof handler, webStreams }));
      process.exit(0);
    }
    const context = {
      functionName: 'bundle-test', functionVersion: '$LATEST', memoryLimitInMB: '512', awsRequestId: 'bundle-test',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bundle-test',
      getRemainingTimeInMillis: () => 20000,
    };
    console.log('RESULT ' + JSON.stringify(await handler(JSON.parse(process.env.EVENT), context)));
  `;
  const output = execFileSync(
    process.execPath,
    ['--input-type=module', '--enable-source-maps', '-e', script],
    {
      encoding: 'utf8',
      timeout: 30_000,
      // Captured rather than inherited: the SDK warns about the test runner's Node version on stderr.
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        TABLE_NAME: 'events',
        FINGERPRINT_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fingerprint-AbC123',
        FINGERPRINT_WEBHOOK_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbC123',
        DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq',
        BUNDLE_URL: pathToFileURL(path.join(bundleDir(key), 'index.mjs')).href,
        ...(event !== undefined && { EVENT: JSON.stringify(event) }),
      },
    },
  );
  const line = output.split('\n').find((text) => text.startsWith('RESULT '));
  if (line === undefined) throw new Error(`No result from the ${key} bundle:\n${output}`);
  return JSON.parse(line.slice('RESULT '.length));
}

describe('function bundles (real esbuild)', () => {
  it.each(['enrichHttp', 'enrichQueue', 'query', 'webhook'] as const)(
    'builds %s locally into a minified ES module and its chunks, each with a source map and the AWS SDK inside',
    (key) => {
      const dir = bundleDir(key);
      const files = readdirSync(dir);
      const chunks = files.filter((file) => CHUNK_PATTERN.test(file));
      // The chunks init loads are one (infra/init-chunk.ts), which the chunks loaded on first use import.
      expect(chunks).toContain(INIT_CHUNK_FILE);
      const code = ['index.mjs', ...chunks];
      // Nothing but the entry, its chunks and their maps.
      expect(files.sort()).toEqual(code.flatMap((file) => [file, `${file}.map`]).sort());
      expect(readFileSync(path.join(dir, 'index.mjs'), 'utf8')).not.toMatch(/from\s*"\.\/chunk-(?!INIT)/);
      for (const file of code) {
        const code = readFileSync(path.join(dir, file), 'utf8');
        // No bundled code calls `require`, so none needs the banner that would give it one (infra/bundling.ts).
        expect(code, file).not.toContain(ESBUILD_DYNAMIC_REQUIRE_ERROR);
        expect(code).toMatch(new RegExp(`//# sourceMappingURL=${file.replace('.', '\\.')}\\.map\\s*$`));
        // Bundled means nothing is imported at run time but Node's own modules and the bundle's own chunks.
        const imported = [
          ...code.matchAll(/\bfrom\s*"([^"]+)"|\bimport\s*\(\s*"([^"]+)"\)|(?:^|[;\n])import\s*"([^"]+)"/g),
        ].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
        const foreign = imported.filter(
          (specifier) =>
            !specifier.startsWith('node:') &&
            !(specifier.startsWith('./') && chunks.includes(specifier.slice(2))),
        );
        expect(foreign, file).toEqual([]);
        // Minified: few, very long lines.
        expect(code.split('\n').length).toBeLessThan(200);
      }
      const atInit = ['index.mjs', INIT_CHUNK_FILE].map((file) => readFileSync(path.join(dir, file), 'utf8'));
      expect(atInit.join('\n')).toContain('@aws-sdk/client-dynamodb');
    },
  );

  it('would hold esbuild’s stand-in for `require`, which the check above looks for, if bundled code called it', () => {
    // A CommonJS dependency that loads a module at run time, bundled with the functions' options: without a
    // banner giving the bundle a `require`, this call would throw at run time. The check above must see it.
    const dir = mkdtempSync(path.join(tmpdir(), 'needs-require-'));
    try {
      writeFileSync(path.join(dir, 'legacy.cjs'), "module.exports = require('node:fs').existsSync('/');\n");
      writeFileSync(
        path.join(dir, 'entry.mjs'),
        "import legacy from './legacy.cjs';\nexport const handler = () => legacy;\n",
      );
      const result = buildSync({
        ...esbuildOptionsFor('unused.ts', path.join(dir, 'out'), { sourcemap: false }),
        entryPoints: { index: path.join(dir, 'entry.mjs') },
        write: false,
        logLevel: 'silent',
      });
      const code = result.outputFiles.map((file) => file.text).join('\n');
      expect(code).toContain(ESBUILD_DYNAMIC_REQUIRE_ERROR);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(['enrichHttp', 'enrichQueue'] as const)(
    'loads every chunk of %s, those imported only on first use included, in Node',
    (key) => {
      const dir = bundleDir(key);
      const chunks = readdirSync(dir).filter((file) => CHUNK_PATTERN.test(file));
      // The Fingerprint client and Secrets Manager (and SQS for the consumer) are split off the entry.
      expect(chunks.length).toBeGreaterThan(0);
      const script = `
        for (const file of JSON.parse(process.env.CHUNKS)) await import(new URL(file, process.env.DIR_URL).href);
        console.log('RESULT ' + JSON.stringify({ loaded: JSON.parse(process.env.CHUNKS).length }));
      `;
      const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 30_000,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH,
          CHUNKS: JSON.stringify(chunks),
          DIR_URL: `${pathToFileURL(dir).href}/`,
        },
      });
      expect(output).toContain(`RESULT {"loaded":${chunks.length}}`);
    },
  );

  it.each(['enrichHttp', 'enrichQueue', 'query', 'webhook'] as const)(
    'loads %s as an ES module on Node, without loading node:stream/web (middy imports it for streaming only)',
    (key) => {
      // The bundles alias it to shared/runtime/stream-web.ts: Node compiling its web streams costs 2 ms of init.
      expect(invoke(key, undefined)).toEqual({ loaded: 'function', webStreams: false });
    },
  );

  it('answers POST /enrich with a bad body from the bundle, without reaching AWS', () => {
    const response = invoke(
      'enrichHttp',
      buildApiEvent({ method: 'POST', resource: '/enrich', body: 'not json' }),
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'ValidationFailed', field: 'body' } });
  });

  // What the first call does not need is loaded from a chunk on first use: these run it from the bundle.
  it('answers an error of GET /v4/events/{event_id} in v4’s shape from the bundle, its mapping loaded on first use', () => {
    const response = invoke(
      'enrichHttp',
      buildApiEvent({
        method: 'GET',
        resource: '/v4/events/{event_id}',
        pathParameters: { event_id: '1708102555327.NLOjmg' },
        query: { ruleset_id: 'r1' },
      }),
    );
    expect(response.statusCode).toBe(400);
    expect(response.headers?.['X-Error-Code']).toBe('ValidationFailed');
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'request_cannot_be_parsed', message: expect.stringContaining('ruleset_id') },
    });
  });

  it('answers an error of GET /v4/events in v4’s shape from the query bundle, its mapping loaded on first use', () => {
    const response = invoke('query', buildApiEvent({ method: 'GET', resource: '/v4/events' }));
    expect(response.statusCode).toBe(400);
    expect(response.headers?.['X-Error-Field']).toBe('visitor_id');
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'request_cannot_be_parsed', message: expect.stringContaining('visitor_id') },
    });
  });

  it('refuses a sealed result without configured keys from the bundle, their rules loaded on first use', () => {
    // A blob of the right shape (header, nonce, one byte, tag): refused for want of keys, before any AWS call.
    const blob = Buffer.concat([Buffer.from([0x9e, 0x85, 0xdc, 0xed]), Buffer.alloc(29, 1)]);
    const response = invoke(
      'enrichHttp',
      buildApiEvent({
        method: 'POST',
        resource: '/enrich',
        body: JSON.stringify({ sealedResult: blob.toString('base64') }),
      }),
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({
      error: {
        code: 'SealedResultsNotConfigured',
        message: expect.stringContaining('FINGERPRINT_SEALED_KEYS_SECRET_ID'),
      },
    });
  });

  it('refuses an unsigned webhook delivery from the bundle with 401, before any secret is read', () => {
    const response = invoke(
      'webhook',
      buildApiEvent({ method: 'POST', resource: '/webhooks/fingerprint', body: '{"event_id": "x"}' }),
    );
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'Unauthorized' } });
  });

  it('routes GET /visitors/{visitorId} in the bundle and refuses a malformed visitorId', () => {
    const response = invoke(
      'query',
      buildApiEvent({
        method: 'GET',
        resource: '/visitors/{visitorId}',
        pathParameters: { visitorId: 'not\u0000valid' },
      }),
    );
    expect(response.statusCode).toBe(400);
    // v3's route keeps v3's error shape, with our code in a header.
    expect(response.headers?.['X-Error-Code']).toBe('ValidationFailed');
    expect(JSON.parse(response.body)).toEqual({ error: expect.stringContaining('visitorId') });
  });
});
