import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Fingerprint's webhook signatures: the `FPJS-Event-Signature` header is a comma-separated list of
 * `v1=<hex HMAC-SHA256 of the raw body>`, one entry per signing secret active at Fingerprint (several while
 * a secret is being rotated there). A delivery is genuine when any entry matches the body under any of our
 * secrets (two while we rotate ours).
 */

/** The header Fingerprint signs webhook deliveries with. */
export const SIGNATURE_HEADER = 'FPJS-Event-Signature';

/** The signature scheme Fingerprint sends; entries of other (future) schemes are ignored. */
const SCHEME = 'v1';
/** An HMAC-SHA256 digest in hex. */
const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;
/**
 * More entries than any rotation needs. A longer header is refused before any HMAC is computed, so a forged
 * request cannot make the function compute one HMAC per entry of a huge header.
 */
export const MAX_SIGNATURE_ENTRIES = 8;

/** What a request's signature header holds. */
export type SignatureHeader =
  | { kind: 'missing' }
  | { kind: 'malformed'; reason: string }
  /** Each `v1` digest, as 32 bytes. */
  | { kind: 'signed'; digests: Buffer[] };

/**
 * Reads the `FPJS-Event-Signature` header. Blank means missing; a header without a well-formed `v1` entry, or
 * with a `v1` entry that is not 64 hex digits, is malformed. `reason` never quotes the header.
 */
export function parseSignatureHeader(value: string | undefined): SignatureHeader {
  if (value === undefined || value.trim() === '') return { kind: 'missing' };
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length > MAX_SIGNATURE_ENTRIES) {
    return { kind: 'malformed', reason: `it has more than ${MAX_SIGNATURE_ENTRIES} entries` };
  }
  const digests: Buffer[] = [];
  for (const entry of entries) {
    const separator = entry.indexOf('=');
    const scheme = separator === -1 ? entry : entry.slice(0, separator).trim();
    if (scheme !== SCHEME) continue;
    const digest = entry.slice(separator + 1).trim();
    if (separator === -1 || !HEX_DIGEST.test(digest)) {
      return { kind: 'malformed', reason: `a ${SCHEME} entry is not 64 hexadecimal digits` };
    }
    digests.push(Buffer.from(digest, 'hex'));
  }
  if (digests.length === 0) return { kind: 'malformed', reason: `it has no ${SCHEME}=<signature> entry` };
  return { kind: 'signed', digests };
}

/** HMAC-SHA256 of `body` keyed with `secret` (its UTF-8 bytes), as Fingerprint computes it. */
export function signatureOf(body: Uint8Array, secret: string): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/**
 * The `FPJS-Event-Signature` value Fingerprint would send for `body` signed with each of `secrets`: for
 * tests, and for sending a signed delivery by hand (README.md, "Try every route").
 */
export function signatureHeaderFor(body: Uint8Array, secrets: readonly string[]): string {
  return secrets.map((secret) => `${SCHEME}=${signatureOf(body, secret).toString('hex')}`).join(',');
}

/**
 * Whether any digest is the body's HMAC under any secret. Digests are compared in constant time on buffers of
 * equal length, and every pair is compared, so the time taken does not tell which entry or secret matched.
 */
export function verifySignature(
  body: Uint8Array,
  digests: readonly Buffer[],
  secrets: readonly string[],
): boolean {
  let valid = false;
  for (const secret of secrets) {
    const expected = signatureOf(body, secret);
    for (const digest of digests) {
      if (digest.length === expected.length && timingSafeEqual(digest, expected)) valid = true;
    }
  }
  return valid;
}
