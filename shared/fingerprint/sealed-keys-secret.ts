import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CachedSecret } from '../aws/cached-secret.js';
import { SealedKeysUnavailableError } from '../domain/errors.js';
import {
  parseSealedKeysSecret,
  SEALED_KEYS_SECRET_SETTING,
  type SealedKeyProvider,
  sealedResultsNotConfigured,
} from './sealed-keys.js';

/*
 * Apart from ./sealed-keys.ts because it brings the Secrets Manager SDK (through CachedSecret): the enrich
 * functions import this module on their first sealed result only, so a cold start never loads it.
 */

export interface SecretsManagerSealedKeysOptions {
  /**
   * Makes the client on the first sealed result, not at cold start: most instances never see one, and the
   * enrich functions create their SDK clients lazily.
   */
  client: () => SecretsManagerClient;
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
  #secret: CachedSecret<Buffer[]> | undefined;

  constructor(options: SecretsManagerSealedKeysOptions) {
    this.#options = options;
  }

  async getKeys(): Promise<readonly Buffer[]> {
    this.#secret ??= new CachedSecret({
      client: this.#options.client(),
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
    const keys = await this.#secret.get();
    if (keys.length === 0) throw sealedResultsNotConfigured(SEALED_KEYS_SECRET_SETTING);
    return keys;
  }
}
