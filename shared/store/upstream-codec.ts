import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { type UpstreamV4Event, writableJson } from '../domain/upstream.js';
import { UPSTREAM_COPY_MAX_BYTES } from '../manifest/limits.js';

/**
 * How the upstream's copy of an event is kept on its item: the JSON text of the v4 event, Brotli-compressed,
 * in a Binary attribute. Brotli at quality 6 in text mode makes the official v4 examples (5–6 KB of JSON)
 * about 2.5 KB, 5 % smaller than gzip at its best, in a quarter of a millisecond; quality 9 and above gain
 * little more at 40 times the CPU, paid on every event of a history (docs/storage.md has the figures).
 */
export const UPSTREAM_FORMAT_V4_BROTLI = 'v4+json+br';

/** Items whose compressed copy is larger than this keep the normalized view only (see its declaration). */
const MAX_UPSTREAM_BYTES = UPSTREAM_COPY_MAX_BYTES;

const BROTLI_QUALITY = 6;

/**
 * The Brotli window for a text: 64 KiB (lgwin 16), or the smallest larger one that holds it whole (2^lgwin − 16
 * bytes, up to lgwin 24). A window that holds the whole text compresses it as the default 4 MiB one does (the
 * same size within 2 bytes on the official examples), without the encoder allocating and clearing 4 MiB: on
 * Node 24 an instance's first compression of a v4 example takes about 1.7 ms instead of 3.9 (docs/performance.md,
 * "What changed", 24). The window is written in the stream, so `decodeUpstreamV4` reads either.
 */
function windowBitsFor(bytes: number): number {
  let bits = 16;
  while (bits < constants.BROTLI_MAX_WINDOW_BITS && 2 ** bits - 16 < bytes) bits++;
  return bits;
}

/**
 * The compressed JSON text of a v4 event, or `undefined` when it cannot be kept: too large, or nested too
 * deeply for `JSON.stringify` (a tag can nest 100,000 levels; the normalized view keeps such a tag as text).
 */
export function encodeUpstreamV4(event: UpstreamV4Event): Uint8Array | undefined {
  const json = writableJson(event);
  if (json === undefined) return undefined;
  const text = Buffer.from(json, 'utf8');
  const compressed = brotliCompressSync(text, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: text.length,
      [constants.BROTLI_PARAM_LGWIN]: windowBitsFor(text.length),
    },
  });
  return compressed.length > MAX_UPSTREAM_BYTES ? undefined : new Uint8Array(compressed);
}

/**
 * The v4 event kept on an item, or `undefined` when the item keeps none, in a format this code does not know,
 * or unreadable: the normalized view then answers on its own.
 */
export function decodeUpstreamV4(format: unknown, bytes: unknown): UpstreamV4Event | undefined {
  if (format !== UPSTREAM_FORMAT_V4_BROTLI || !(bytes instanceof Uint8Array)) return undefined;
  try {
    const json: unknown = JSON.parse(brotliDecompressSync(bytes).toString('utf8'));
    return typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as UpstreamV4Event)
      : undefined;
  } catch {
    return undefined;
  }
}
