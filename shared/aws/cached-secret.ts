/**
 * A Secrets Manager value read, parsed and cached: the generic part of every secret the functions hold (the
 * Fingerprint API key, the sealed results' keys, the webhook secrets). What a value means, and the errors that
 * name its setting, belong to each secret's owner.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Secrets Manager errors that no retry fixes: the secret id, its policy or its KMS key is wrong. */
const CONFIGURATION_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'DecryptionFailure',
  'InvalidRequestException',
  'InvalidParameterException',
]);

/** Why a secret could not be read: its id, policy or KMS key is wrong, or Secrets Manager failed for now. */
export type SecretReadFailure = 'configuration' | 'unavailable';

export interface CachedSecretOptions<T> {
  client: SecretsManagerClient;
  /** Name or ARN of the secret. */
  secretId: string;
  /** How long a fetched value is reused; 0 fetches it for every call. */
  cacheSeconds: number;
  /**
   * Turns the secret's value (`undefined` when it has none yet) into what callers use. Throws an error that
   * names the setting and never quotes the value; nothing is cached then, so the next call fetches again.
   */
  parse: (raw: string | undefined) => T;
  /** The error for a value that could not be read, given the AWS error's name and the error itself. */
  failure: (kind: SecretReadFailure, errorName: string, cause: unknown) => Error;
  /** Epoch ms. @default Date.now */
  now?: () => number;
}

/**
 * A Secrets Manager value, parsed and cached for `cacheSeconds`. Concurrent callers share one fetch, and
 * `invalidate()` makes the next call fetch again (a rotated value). The Fingerprint API key and the webhook
 * secrets both live behind one.
 */
export class CachedSecret<T> {
  readonly #client: SecretsManagerClient;
  readonly #secretId: string;
  readonly #cacheMs: number;
  readonly #parse: (raw: string | undefined) => T;
  readonly #failure: CachedSecretOptions<T>['failure'];
  readonly #now: () => number;
  #cached: { value: T; expiresAt: number } | undefined;
  #pending: Promise<T> | undefined;
  /** Bumped by `invalidate()`, so a fetch started before it cannot cache a value that may be stale. */
  #generation = 0;

  constructor(options: CachedSecretOptions<T>) {
    this.#client = options.client;
    this.#secretId = options.secretId;
    this.#cacheMs = options.cacheSeconds * 1000;
    this.#parse = options.parse;
    this.#failure = options.failure;
    this.#now = options.now ?? Date.now;
  }

  get(): Promise<T> {
    if (this.#cached !== undefined && this.#now() < this.#cached.expiresAt) {
      return Promise.resolve(this.#cached.value);
    }
    if (this.#pending !== undefined) return this.#pending;

    const generation = this.#generation;
    const pending: Promise<T> = this.#fetch()
      .then((value) => {
        if (generation === this.#generation) {
          this.#cached = { value, expiresAt: this.#now() + this.#cacheMs };
        }
        return value;
      })
      .finally(() => {
        if (this.#pending === pending) this.#pending = undefined;
      });
    this.#pending = pending;
    return pending;
  }

  invalidate(): void {
    this.#generation += 1;
    this.#cached = undefined;
    this.#pending = undefined;
  }

  async #fetch(): Promise<T> {
    let output: { SecretString?: string | undefined; SecretBinary?: Uint8Array | undefined };
    try {
      output = await this.#client.send(new GetSecretValueCommand({ SecretId: this.#secretId }));
    } catch (error) {
      const name = error instanceof Error ? error.name : 'UnknownError';
      throw this.#failure(CONFIGURATION_ERRORS.has(name) ? 'configuration' : 'unavailable', name, error);
    }
    const raw = output.SecretString ?? (output.SecretBinary && new TextDecoder().decode(output.SecretBinary));
    return this.#parse(raw);
  }
}
