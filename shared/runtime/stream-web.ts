/**
 * `node:stream/web` as the functions' bundles see it (esbuild's `alias`, `infra/bundling.ts`): `ReadableStream`
 * alone, Node's own class looked up on first use.
 *
 * `@middy/core` imports `ReadableStream` from `node:stream/web` when it loads, for its response streaming
 * (`streamifyResponse`, which no function here uses), and only tests `instanceof ReadableStream` with it.
 * Importing `node:stream/web` makes Node.js compile its web-streams internals: about 2.2 ms of every function's
 * init on Node 24, 5 % of its floor (docs/performance.md, "What changed", 21). The global `ReadableStream` is
 * the same class, which Node loads on first access; this one answers `instanceof` with it, then. A bundled
 * module importing anything else from `node:stream/web` fails the build (no matching export), and constructing
 * this class throws: no other use can slip in unnoticed.
 */
export class ReadableStream {
  constructor() {
    throw new TypeError(
      'node:stream/web is aliased to shared/runtime/stream-web.ts in the functions’ bundles, for instanceof checks only: use globalThis.ReadableStream',
    );
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof globalThis.ReadableStream;
  }
}
