import { SealedKeysUnavailableError, SealedResultsNotConfiguredError } from '../domain/errors.js';
import { BASE64, SEALED_KEY_BYTES } from './sealed.js';

export const SEALED_KEYS_SECRET_SETTING = 'FINGERPRINT_SEALED_KEYS_SECRET_ID';
export const SEALED_KEYS_LOCAL_SETTING = 'FINGERPRINT_SEALED_KEYS';

/** The decryption keys of sealed client results, in the order they are tried. */
export interface SealedKeyProvider {
  /**
   * At least one 32-byte AES-256 key.
   * @throws {SealedResultsNotConfiguredError} when none is configured.
   * @throws {SealedKeysUnavailableError} when they cannot be read or are malformed.
   */
  getKeys(): Promise<readonly Buffer[]>;
}

/**
 * Decodes base64 keys as the Fingerprint dashboard shows them (44 characters). Errors name the setting and the
 * key's position, never its value.
 */
export function decodeSealedKeys(values: readonly string[], setting: string): Buffer[] {
  return values.map((value, index) => {
    const text = value.trim();
    const key = BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
    if (key?.length !== SEALED_KEY_BYTES) {
      throw new SealedKeysUnavailableError(
        `Key ${index + 1} of ${setting} is not the base64 of a ${SEALED_KEY_BYTES}-byte AES-256 key: copy the ` +
          'encryption key from the Fingerprint dashboard (API keys, Encryption). (Its value is not shown.)',
      );
    }
    return key;
  });
}

/**
 * Reads the value of the secret named by `FINGERPRINT_SEALED_KEYS_SECRET_ID`: a JSON list of base64 keys,
 * e.g. `["<current>", "<next>"]`. No value yet, or an empty list, is "no key" (`[]`). Never quotes the value,
 * nor a `JSON.parse` error (whose message would).
 */
export function parseSealedKeysSecret(raw: string | undefined): Buffer[] {
  const value = raw?.trim() ?? '';
  if (value === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw secretValueError();
  }
  if (!Array.isArray(parsed) || !parsed.every((item): item is string => typeof item === 'string')) {
    throw secretValueError();
  }
  return decodeSealedKeys(parsed, SEALED_KEYS_SECRET_SETTING);
}

function secretValueError(): SealedKeysUnavailableError {
  return new SealedKeysUnavailableError(
    `The secret named by ${SEALED_KEYS_SECRET_SETTING} is not a JSON list of base64 keys; put ` +
      '["<key>"] or, during a rotation, ["<new key>", "<old key>"]. (Its value is not shown.)',
  );
}

/** No key to open sealed results: the setting that holds none is named. */
export function sealedResultsNotConfigured(setting: string): SealedResultsNotConfiguredError {
  return new SealedResultsNotConfiguredError(
    `No key to decrypt sealed results (${setting} is unset or holds none): send the event's "requestId" ` +
      'instead, or have an operator put the encryption key there.',
  );
}

/** Keys fixed at start, for local runs with `FINGERPRINT_SEALED_KEYS` (comma-separated base64). */
export class StaticSealedKeys implements SealedKeyProvider {
  readonly #keys: readonly Buffer[];

  /**
   * @throws {SealedKeysUnavailableError} when a key is not base64 of 32 bytes.
   */
  constructor(commaSeparated: string, setting = SEALED_KEYS_LOCAL_SETTING) {
    const values = commaSeparated.split(',').filter((part) => part.trim() !== '');
    this.#keys = decodeSealedKeys(values, setting);
  }

  getKeys(): Promise<readonly Buffer[]> {
    if (this.#keys.length === 0) return Promise.reject(sealedResultsNotConfigured(SEALED_KEYS_LOCAL_SETTING));
    return Promise.resolve(this.#keys);
  }
}
