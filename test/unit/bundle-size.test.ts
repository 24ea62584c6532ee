import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Bundle,
  type Bundles,
  buildAll,
  bytesByOrigin,
  emittedModulesOf,
  initModulesOf,
  modulesOf,
} from '../../bench/bundles.js';
import { ALL_CLIENTS_FLOOR_OF, BUNDLE_BUDGETS, FLOOR_OF } from '../../bench/targets.js';
import { FUNCTION_ENTRIES, type FunctionKey } from '../../infra/bundling.js';

const FUNCTIONS = Object.keys(FUNCTION_ENTRIES) as FunctionKey[];

let bundles: Bundles;

beforeAll(async () => {
  // In memory, with the stack's own esbuild options: a few seconds for three functions and two floors.
  bundles = await buildAll();
}, 60_000);

/** What to look at when a budget is exceeded: the largest contributors. */
function heaviest(bundle: Bundle): string {
  return bytesByOrigin(bundle)
    .slice(0, 8)
    .map(({ origin, bytes }) => `${origin} ${(bytes / 1024).toFixed(1)} KiB`)
    .join(', ');
}

describe('function bundles (the stack’s esbuild options)', () => {
  it.each(FUNCTIONS)(
    'keeps what %s loads at init within its budget next to its first call’s AWS SDK floor',
    (key) => {
      const bundle = bundles.functions[key];
      const floor = bundles.floors[FLOOR_OF[key]];
      const ratio = BUNDLE_BUDGETS[key].initRatio;
      expect(
        bundle.bytes,
        `${key} loads ${(bundle.bytes / floor.bytes).toFixed(3)}× its floor at init (budget ${ratio}×); largest: ${heaviest(bundle)}`,
      ).toBeLessThanOrEqual(Math.floor(floor.bytes * ratio));
    },
  );

  it.each(FUNCTIONS)(
    'keeps all chunks of %s within their budget next to the floor of every client it may load',
    (key) => {
      const bundle = bundles.functions[key];
      const floor = bundles.floors[ALL_CLIENTS_FLOOR_OF[key]];
      const ratio = BUNDLE_BUDGETS[key].allChunksRatio;
      expect(
        bundle.totalBytes,
        `${key}'s chunks are ${(bundle.totalBytes / floor.totalBytes).toFixed(3)}× its floor (budget ${ratio}×); files: ${bundle.files.join(', ')}`,
      ).toBeLessThanOrEqual(Math.floor(floor.totalBytes * ratio));
    },
  );

  // What each function's most common first call does not run, loaded on first use instead (docs/performance.md):
  // the enrich functions' is a cached read, the query function's `GET /events`; and what the webhook's first
  // call, a delivery, runs only after reading the secret, loaded alongside that read.
  const NORMALIZER = [
    'shared/fingerprint/normalize.ts',
    'shared/fingerprint/normalize-v3.ts',
    'shared/fingerprint/normalize-v4.ts',
    'shared/fingerprint/normalize-common.ts',
  ];
  const SEALED_OPENING = [
    'shared/fingerprint/sealed-event.ts',
    'shared/fingerprint/sealed-keys.ts',
    ...NORMALIZER,
  ];
  // The error answers: loaded on a function's first error, the v4 shape on a `/v4/*` route's.
  const ERRORS = ['shared/http/errors.ts', 'shared/http/v4-errors.ts'];
  // Zod: the environment is read by its rules' fast read (`shared/config/env-rules.ts`) and the first call's
  // request by the one id rule; the Zod schemas, the one definition of both, load on the first input the fast
  // reads leave to them, and the cursor's on the first cursor passed back.
  const ZOD_AND_ENV = ['node_modules/zod/', 'shared/validation/zod.ts', 'shared/config/env.ts'];
  const ZOD = [
    ...ZOD_AND_ENV,
    'shared/http/params.ts',
    'shared/http/validation.ts',
    'shared/store/cursor-payload.ts',
  ];
  // The event store's parts beyond a single-item read: a cached read, the enrich functions' most common first
  // call, is one GetItem; a miss, a history or an erasure loads them.
  const STORE_PARTS = [
    'shared/store/dynamodb-event-store-parts.ts',
    'shared/store/dynamodb-event-pager.ts',
    'shared/store/cursor.ts',
    'shared/store/dynamodb-batches.ts',
    'shared/store/dynamodb-erasures.ts',
  ];
  it.each([
    [
      'enrichHttp',
      [
        '@aws-sdk/client-secrets-manager/',
        'shared/fingerprint/client.ts',
        ...SEALED_OPENING,
        'functions/enrich/history.ts',
        'shared/fingerprint/v4-event.ts',
        ...ERRORS,
        'functions/enrich/erase.ts',
        ...ZOD,
        'functions/enrich/input.ts',
        ...STORE_PARTS,
      ],
    ],
    [
      'enrichQueue',
      [
        '@aws-sdk/client-secrets-manager/',
        '@aws-sdk/client-sqs/',
        'shared/fingerprint/client.ts',
        ...SEALED_OPENING,
        'functions/enrich/history.ts',
        ...ZOD,
        'functions/enrich/input.ts',
        ...STORE_PARTS,
      ],
    ],
    [
      'query',
      [
        'shared/fingerprint/v4-event.ts',
        'functions/query/v3-visit.ts',
        ...ERRORS,
        ...ZOD,
        'functions/query/input.ts',
      ],
    ],
    // A delivery is normalized once its signature is verified: the normalizer, with Zod, loads while the
    // secret is read (the webhook has no path parameters nor cursors).
    ['webhook', [...NORMALIZER, ...ERRORS, ...ZOD_AND_ENV]],
  ] as const)(
    'leaves out of what %s loads at init what it loads on first use, in a chunk of its own',
    (key, lazy) => {
      const bundle = bundles.functions[key];
      const atInit = initModulesOf(bundle);
      for (const module of lazy) {
        expect(
          atInit.filter((input) => input.includes(module)),
          module,
        ).toEqual([]);
        // …but the function still carries it, in a chunk loaded on first use.
        expect(
          emittedModulesOf(bundle).some((input) => input.includes(module)),
          module,
        ).toBe(true);
      }
    },
  );

  it('keeps the event store’s parts at the init of query, whose first call needs them, and in no chunk of their own', () => {
    // Every route pages: an `import()` of the parts would only add the glue of a chunk never read.
    const bundle = bundles.functions.query;
    expect(initModulesOf(bundle)).toEqual(
      expect.arrayContaining(['shared/store/dynamodb-event-pager.ts', 'shared/store/dynamodb-erasures.ts']),
    );
    expect(
      Object.values(bundle.metafile.outputs).some((output) =>
        output.entryPoint?.includes('dynamodb-event-store-parts'),
      ),
    ).toBe(false);
  });

  it('builds the webhook on its insert-only store: the erasures it checks at init, no event store, pager nor cursor anywhere', () => {
    const bundle = bundles.functions.webhook;
    expect(initModulesOf(bundle)).toEqual(
      expect.arrayContaining([
        'shared/store/dynamodb-webhook-event-store.ts',
        'shared/store/dynamodb-erasures.ts',
        'shared/store/dynamodb-batches.ts',
      ]),
    );
    const never = [
      'shared/store/dynamodb-event-store.ts',
      'shared/store/dynamodb-event-store-parts.ts',
      'shared/store/dynamodb-event-pager.ts',
      'shared/store/cursor.ts',
      'shared/store/cursor-payload.ts',
    ];
    expect(emittedModulesOf(bundle).filter((module) => never.includes(module))).toEqual([]);
  });

  it('leaves the request coalescer, which only the HTTP function uses, out of the queue consumer', () => {
    const coalescer = 'shared/store/dynamodb-request-coalescer.ts';
    expect(modulesOf(bundles.functions.enrichQueue)).not.toContain(coalescer);
    expect(initModulesOf(bundles.functions.enrichHttp)).toContain(coalescer);
  });

  it('keeps the Secrets Manager client, the Fingerprint client and the upstream parsers out of the query function', () => {
    const modules = modulesOf(bundles.functions.query);
    // Only the constants shared with the configuration and the v4 Event renderer (which parses nothing) may
    // come from shared/fingerprint: never its client nor the normalization of upstream payloads.
    const allowed = new Set(['shared/fingerprint/types.ts', 'shared/fingerprint/v4-event.ts']);
    const forbidden = modules.filter(
      (module) =>
        module.includes('node_modules/@aws-sdk/client-secrets-manager/') ||
        (module.startsWith('shared/fingerprint/') && !allowed.has(module)),
    );
    expect(forbidden).toEqual([]);
    expect(modules).toContain('functions/query/v3-visit.ts');
  });

  it.each(FUNCTIONS)('builds %s on the tree-shakable Zod API only', (key) => {
    // One classic Zod import (`import { z } from 'zod'`) bundles all of classic Zod: about 450 KB, every locale.
    const classic = emittedModulesOf(bundles.functions[key]).filter((module) =>
      /node_modules\/zod\/(v4\/classic|v4\/locales\/(?!en\.js))/.test(module),
    );
    expect(classic).toEqual([]);
  });
});
