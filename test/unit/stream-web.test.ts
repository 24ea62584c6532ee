import { Readable } from 'node:stream';
import { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { describe, expect, it } from 'vitest';
import { ReadableStream } from '../../shared/runtime/stream-web.js';

/*
 * What the functions' bundles import as `node:stream/web` (infra/bundling.ts): @middy/core's one use of it is
 * `handlerBody instanceof ReadableStream`, which must answer as Node's own class does.
 */
describe('the bundles’ node:stream/web', () => {
  it('answers instanceof as Node’s ReadableStream does', () => {
    const web = new NodeReadableStream();
    expect(web instanceof ReadableStream).toBe(true);
    expect(new globalThis.ReadableStream() instanceof ReadableStream).toBe(true);
    for (const other of [Readable.from(['x']), {}, null, 'text', new Uint8Array(1)]) {
      expect(other instanceof ReadableStream).toBe(false);
    }
  });

  it('refuses to be constructed, saying what to use instead', () => {
    expect(() => Reflect.construct(ReadableStream, [])).toThrow(
      /instanceof checks only: use globalThis\.ReadableStream/,
    );
  });
});
