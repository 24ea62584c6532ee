import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { brotliCompressSync, constants } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeUpstreamV4,
  encodeUpstreamV4,
  UPSTREAM_FORMAT_V4_BROTLI,
} from '../../shared/store/upstream-codec.js';

const V4 = new URL('../fixtures/fingerprint/v4/', import.meta.url);
const officialEvents: Record<string, unknown>[] = [
  new URL('webhook/webhook_event.json', V4),
  ...readdirSync(new URL('events/', V4))
    .filter((name) => name.startsWith('get_event') && name.endsWith('.json'))
    .map((name) => new URL(`events/${name}`, V4)),
].map((file) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>);

/** The window a Brotli stream declares in its first bits (RFC 7932, 9.1: WBITS), read least significant first. */
function windowBitsOf(stream: Uint8Array): number {
  let position = 0;
  const bits = (count: number) => {
    let value = 0;
    for (let i = 0; i < count; i++, position++) {
      value |= (((stream[position >> 3] ?? 0) >> (position & 7)) & 1) << i;
    }
    return value;
  };
  if (bits(1) === 0) return 16;
  const large = bits(3);
  if (large !== 0) return 17 + large;
  const small = bits(3);
  return small === 0 ? 17 : 8 + small;
}

/** What the codec wrote before it sized the window: quality 6, text mode, Brotli's default 4 MiB window. */
function compressedWithDefaultWindow(event: Record<string, unknown>): Buffer {
  const text = Buffer.from(JSON.stringify(event), 'utf8');
  return brotliCompressSync(text, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 6,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: text.length,
    },
  });
}

/** A v4 event whose JSON text is about `bytes` long, in tags of random (incompressible) text. */
function eventOfAbout(bytes: number): Record<string, unknown> {
  const tags: Record<string, string> = {};
  for (let i = 0; i * 1_000 < bytes; i++) tags[`t${i}`] = randomBytes(750).toString('base64');
  return { ...officialEvents[0], tags };
}

describe('the upstream copy codec', () => {
  it('compresses each official v4 event as the default window does, in a 64 KiB window, and reads it back', () => {
    for (const event of officialEvents) {
      const encoded = encodeUpstreamV4(event);
      expect(encoded).toBeInstanceOf(Uint8Array);
      if (encoded === undefined) continue;
      expect(windowBitsOf(encoded)).toBe(16);
      expect(Math.abs(encoded.length - compressedWithDefaultWindow(event).length)).toBeLessThanOrEqual(2);
      expect(decodeUpstreamV4(UPSTREAM_FORMAT_V4_BROTLI, encoded)).toEqual(event);
    }
  });

  it('gives a text larger than 64 KiB the smallest window that holds it whole', () => {
    for (const [bytes, windowBits] of [
      [100_000, 17],
      [200_000, 18],
      [300_000, 19],
    ] as const) {
      const event = eventOfAbout(bytes);
      const text = JSON.stringify(event);
      const encoded = encodeUpstreamV4(event);
      expect(encoded, `${text.length} bytes`).toBeInstanceOf(Uint8Array);
      if (encoded === undefined) continue;
      expect(windowBitsOf(encoded), `${text.length} bytes`).toBe(windowBits);
      expect(2 ** windowBits - 16).toBeGreaterThanOrEqual(text.length);
      expect(2 ** (windowBits - 1) - 16).toBeLessThan(text.length);
      expect(decodeUpstreamV4(UPSTREAM_FORMAT_V4_BROTLI, encoded)).toEqual(event);
    }
  });

  it('still reads the copies stored before, written with the default 4 MiB window', () => {
    for (const event of officialEvents) {
      const stored = new Uint8Array(compressedWithDefaultWindow(event));
      expect(windowBitsOf(stored)).toBe(22);
      expect(decodeUpstreamV4(UPSTREAM_FORMAT_V4_BROTLI, stored)).toEqual(event);
    }
  });
});
