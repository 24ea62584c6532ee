import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SealedKeysUnavailableError, SealedResultsNotConfiguredError } from '../domain/errors.js';
import { BASE64, SEALED_KEY_BYTES } from './sealed.js';
import { CachedSecret } from './secret.js';

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

export interface SecretsManagerSealedKeysOptions {
  /**
   * Makes the client on the first sealed result, not at cold start: most instances never see one, and the
   * enrich functions load the Secrets Manager SDK on first use (`import()`), hence a promise.
   */
  client: () => SecretsManagerClient | Promise<SecretsManagerClient>;
  /** `FINGERPRINT_SEALED_KEYS_SECRET_ID`. */
  secretId: string;
  /** `SECRET_CACHE_SECONDS`: keys, and the absence of keys, are reused this long. */
  cacheSeconds: number;
  /** Epoch ms. @default Date.now */
  now?: () => number;
}

/**
 * The keys from the Secrets Manager secret named by `FINGERPRINT_SEALED_KEYS_SECRET_ID`, cached like the API
 * key. An empty secret is cached too (as "no key"), so a stream of sealed results before the keys are put
 * costs one read per `cacheSeconds`, not one per request. A rotation therefore puts the new key in the secret
 * first and activates it in the dashboard `SECRET_CACHE_SECONDS` later (docs/deploy.md).
 */
export class SecretsManagerSealedKeys implements SealedKeyProvider {
  readonly #options: SecretsManagerSealedKeysOptions;
  /** One for every caller, made on the first; dropped if making it failed, so the next call tries again. */
  #secret: Promise<CachedSecret<Buffer[]>> | undefined;

  constructor(options: SecretsManagerSealedKeysOptions) {
    this.#options = options;
  }

  async getKeys(): Promise<readonly Buffer[]> {
    this.#secret ??= this.#makeSecret();
    let secret: CachedSecret<Buffer[]>;
    try {
      secret = await this.#secret;
    } catch (error) {
      this.#secret = undefined;
      throw error;
    }
    const keys = await secret.get();
    if (keys.length === 0) throw sealedResultsNotConfigured(SEALED_KEYS_SECRET_SETTING);
    return keys;
  }

  async #makeSecret(): Promise<CachedSecret<Buffer[]>> {
    return new CachedSecret({
      client: await this.#options.client(),
      secretId: this.#options.secretId,
      cacheSeconds: this.#options.cacheSeconds,
      ...(this.#options.now !== undefined && { now: this.#options.now }),
      parse: parseSealedKeysSecret,
      failure: (kind, name, cause) =>
        new SealedKeysUnavailableError(
          kind === 'configuration'
            ? `Cannot read the keys of sealed results (${name}): check that ${SEALED_KEYS_SECRET_SETTING} names ` +
                'an existing secret this function may read and decrypt.'
            : `Secrets Manager did not return the keys of sealed results named by ${SEALED_KEYS_SECRET_SETTING} ` +
                `(${name}); retry later.`,
          { cause },
        ),
    });
  }
}
