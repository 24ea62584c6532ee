import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GeneratedWorld } from '../../local/fingerprint-emulator/index.js';

/**
 * README's "Try every route" is what a newcomer pastes first: its visitor and its linkedId must belong
 * together in the sandbox, so that the calls filtering a visitor's history by linkedId find something.
 */

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const TRY_EVERY_ROUTE = (() => {
  const start = README.indexOf('### Try every route');
  const block = /```bash\n([\s\S]*?)```/.exec(README.slice(start))?.[1];
  if (start === -1 || block === undefined) throw new Error('README.md has no "Try every route" block');
  return block;
})();

function distinct(patterns: RegExp[]): string[] {
  return [
    ...new Set(
      patterns.flatMap((pattern) => [...TRY_EVERY_ROUTE.matchAll(pattern)].map((match) => match[1] ?? '')),
    ),
  ];
}

describe('README: Try every route', () => {
  const visitors = distinct([
    /\\?"visitorId\\?": \\?"([^"\\]+)/g,
    /\/visitors\/([A-Za-z0-9]+)/g,
    /visitorId=([^&"]+)/g,
  ]);
  const linkedIds = distinct([
    /\\?"linkedId\\?": \\?"([^"\\]+)/g,
    /linked_id=([^&"]+)/g,
    /linkedId=([^&"]+)/g,
  ]);

  it('uses one visitor and one linkedId throughout', () => {
    expect(visitors).toHaveLength(1);
    expect(linkedIds).toHaveLength(1);
  });

  it('uses a visitor and a linkedId that belong together in the sandbox', () => {
    const [visitorId = '', linkedId = ''] = [visitors[0], linkedIds[0]];
    const world = new GeneratedWorld();
    const history = world.search({ visitorId });
    const carrying = history.filter((event) => event.linkedId === linkedId);
    // A third of the visitor's events: enough that every filtered call finds some, at any time.
    expect(carrying.length).toBeGreaterThanOrEqual(10);
    expect(world.search({ visitorId, linkedId }).map((event) => event.requestId)).toEqual(
      expect.arrayContaining(carrying.map((event) => event.requestId)),
    );
    // The linkedId alone finds events too (its own series, shared by other visitors).
    expect(world.search({ linkedId }).length).toBeGreaterThan(0);
  });
});
