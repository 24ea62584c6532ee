import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Bundle,
  type Bundles,
  buildAll,
  bytesByOrigin,
  emittedModulesOf,
  modulesOf,
} from '../../bench/bundles.js';
import { BUNDLE_TARGET_RATIO, FLOOR_OF } from '../../bench/targets.js';
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
  it.each(FUNCTIONS)('keeps %s within its size budget next to its AWS SDK floor', (key) => {
    const bundle = bundles.functions[key];
    const floor = bundles.floors[FLOOR_OF[key]];
    const budget = Math.floor(floor.bytes * BUNDLE_TARGET_RATIO);
    expect(
      bundle.bytes,
      `${key} is ${(bundle.bytes / floor.bytes).toFixed(3)}× its floor (budget ${BUNDLE_TARGET_RATIO}×); largest: ${heaviest(bundle)}`,
    ).toBeLessThanOrEqual(budget);
  });

  it('keeps the Secrets Manager client, the Fingerprint client and the upstream parsers out of the query function', () => {
    const modules = modulesOf(bundles.functions.query);
    // Only the constants shared with the configuration may come from shared/fingerprint.
    const forbidden = modules.filter(
      (module) =>
        module.includes('node_modules/@aws-sdk/client-secrets-manager/') ||
        (module.startsWith('shared/fingerprint/') && module !== 'shared/fingerprint/types.ts') ||
        module === 'shared/domain/normalize.ts',
    );
    expect(forbidden).toEqual([]);
    expect(modules).toContain('shared/domain/v3-visit.ts');
  });

  it.each(FUNCTIONS)('builds %s on the tree-shakable Zod API only', (key) => {
    // One classic Zod import (`import { z } from 'zod'`) bundles all of classic Zod: about 450 KB, every locale.
    const classic = emittedModulesOf(bundles.functions[key]).filter((module) =>
      /node_modules\/zod\/(v4\/classic|v4\/locales\/(?!en\.js))/.test(module),
    );
    expect(classic).toEqual([]);
  });
});
