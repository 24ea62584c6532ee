/**
 * Fingerprint's Sealed Client Results: the identification event the JS agent hands to the browser encrypted,
 * which only the holder of the workspace's key can open. The format, as Fingerprint's server SDKs implement
 * `unseal` (Node SDK `src/sealedResults.ts`): a 4-byte header `9E 85 DC ED`, a 12-byte nonce, the AES-256-GCM
 * ciphertext and its 16-byte tag; the plaintext is raw-deflate-compressed JSON, the Server API's answer for the
 * event in the workspace's API version (a v3 events response or a v4 Event).
 *
 * Every refusal is a {@link SealedResultError} naming the field and how to fix it; no error carries a key or
 * the decrypted content.
 */
import { createDecipheriv } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { ERROR_CODES, SealedResultError } from '../domain/errors.js';
import {
  SEALED_RESULT_MAX_BASE64_CHARS,
  SEALED_RESULT_MAX_BYTES,
  SEALED_RESULT_MAX_PLAINTEXT_BYTES,
} from '../manifest/limits.js';

export const SEALED_HEADER = Buffer.from([0x9e, 0x85, 0xdc, 0xed]);
export const SEALED_NONCE_BYTES = 12;
export const SEALED_TAG_BYTES = 16;
/** AES-256: a key is 32 bytes. */
export const SEALED_KEY_BYTES = 32;
/** Header, nonce and tag around at least one byte of ciphertext (raw deflate never compresses to nothing). */
export const MIN_SEALED_BYTES = SEALED_HEADER.length + SEALED_NONCE_BYTES + SEALED_TAG_BYTES + 1;
/*
 * The caps on a sealed result (its size, in bytes and base64 characters, and the plaintext it may inflate to)
 * are in `shared/manifest/limits.ts`, which says why each is what it is.
 */
const MAX_SEALED_BYTES = SEALED_RESULT_MAX_BYTES;
const MAX_SEALED_BASE64_CHARS = SEALED_RESULT_MAX_BASE64_CHARS;
const MAX_SEALED_PLAINTEXT_BYTES = SEALED_RESULT_MAX_PLAINTEXT_BYTES;

/** Standard base64, padded or not (Fingerprint's JS agent sends it padded). */
export const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

const HOW_TO_SEND = 'send the `sealedResult` string exactly as the JS agent returned it';

/**
 * Decodes a sealed result and checks its shape (size, base64, length, header) before any key is used, so
 * that a malformed blob costs no key read and fails with its own code.
 *
 * @param field - the field the blob came in, named by every error.
 * @throws {SealedResultError} `SealedResultTooLarge`, `SealedResultNotBase64`, `SealedResultTooShort` or
 * `SealedResultBadHeader`.
 */
export function decodeSealedResult(text: string, field = 'sealedResult'): Buffer {
  if (text.length > MAX_SEALED_BASE64_CHARS) {
    throw new SealedResultError(
      ERROR_CODES.SealedResultTooLarge,
      field,
      `${field} is ${text.length} base64 characters; at most ${MAX_SEALED_BASE64_CHARS} ` +
        `(${MAX_SEALED_BYTES} bytes) are accepted: ${HOW_TO_SEND}, or send its "requestId" instead.`,
    );
  }
  if (!BASE64.test(text)) {
    throw new SealedResultError(
      ERROR_CODES.SealedResultNotBase64,
      field,
      `${field} is not standard base64 (A-Z, a-z, 0-9, "+", "/", "=" padding, no spaces): ${HOW_TO_SEND}.`,
    );
  }
  const blob = Buffer.from(text, 'base64');
  if (blob.length < MIN_SEALED_BYTES) {
    throw new SealedResultError(
      ERROR_CODES.SealedResultTooShort,
      field,
      `${field} decodes to ${blob.length} bytes; a sealed result has at least ${MIN_SEALED_BYTES} ` +
        `(header, nonce, ciphertext and tag): ${HOW_TO_SEND}, not truncated.`,
    );
  }
  if (!blob.subarray(0, SEALED_HEADER.length).equals(SEALED_HEADER)) {
    throw new SealedResultError(
      ERROR_CODES.SealedResultBadHeader,
      field,
      `${field} does not start with the sealed header 9E 85 DC ED (base64 "noXc7"): it is not a Fingerprint ` +
        `sealed result; ${HOW_TO_SEND}.`,
    );
  }
  return blob;
}

/**
 * Decrypts a decoded sealed result with the first of `keys` that opens it (several are active during a
 * rotation, tried in order) and inflates the plaintext.
 *
 * @throws {SealedResultError} `SealedResultUndecryptable` when no key authenticates it (altered, truncated,
 * or sealed with a key this deployment does not have); `SealedResultNotAnEvent` when the plaintext is not
 * raw deflate within {@link MAX_SEALED_PLAINTEXT_BYTES}.
 */
export function unsealPlaintext(blob: Buffer, keys: readonly Buffer[], field = 'sealedResult'): Buffer {
  const nonceEnd = SEALED_HEADER.length + SEALED_NONCE_BYTES;
  const nonce = blob.subarray(SEALED_HEADER.length, nonceEnd);
  const ciphertext = blob.subarray(nonceEnd, blob.length - SEALED_TAG_BYTES);
  const tag = blob.subarray(blob.length - SEALED_TAG_BYTES);
  let compressed: Buffer | undefined;
  for (const key of keys) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: SEALED_TAG_BYTES });
      decipher.setAuthTag(tag);
      compressed = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
      break;
    } catch {
      // Not this key (the tag does not authenticate): try the next one. The error says nothing more.
    }
  }
  if (compressed === undefined) {
    throw new SealedResultError(
      ERROR_CODES.SealedResultUndecryptable,
      field,
      `${field} does not decrypt with any configured key: it was altered or truncated, or sealed with a key ` +
        `this deployment does not hold (another workspace, or a new key not yet added to ` +
        `FINGERPRINT_SEALED_KEYS_SECRET_ID); ${HOW_TO_SEND}.`,
    );
  }
  try {
    return inflateRawSync(compressed, { maxOutputLength: MAX_SEALED_PLAINTEXT_BYTES });
  } catch (error) {
    const tooLarge = error instanceof RangeError;
    throw new SealedResultError(
      ERROR_CODES.SealedResultNotAnEvent,
      field,
      tooLarge
        ? `${field} decrypts to more than ${MAX_SEALED_PLAINTEXT_BYTES} bytes of JSON, far more than any event.`
        : `${field} decrypts, but not to raw-deflate data as Fingerprint seals events; ${HOW_TO_SEND}.`,
    );
  }
}
