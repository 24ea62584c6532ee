import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { UpstreamAuthError, UpstreamUnavailableError } from '../domain/errors.js';
import type { ApiKeyProvider } from './types.js';

const SECRET_SETTING = 'FINGERPRINT_SECRET_ID';

/** Secrets Manager errors that no retry fixes: the secret id, its policy or its KMS key is wrong. */
const CONFIGURATION_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'DecryptionFailure',
  'InvalidRequestException',
  'InvalidParameterException',
]);

/** A key must fit in an HTTP header as is: visible ASCII, no spaces. */
const KEY_PATTERN = /^[\x21-\x7e]+$/;

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

export interface SecretsManagerKeyProviderOptions {
  client: SecretsManagerClient;
  /** Name or ARN of the secret (`FINGERPRINT_SECRET_ID`). */
  secretId: string;
  /** How long a fetched key is reused (`SECRET_CACHE_SECONDS`); 0 fetches it for every call. */
  cacheSeconds: number;
  /** Epoch ms. @default Date.now */
  now?: () => number;
}

/**
 * The secret API key from AWS Secrets Manager: the secret's value is the key itself, or JSON
 * `{"apiKey": "…"}`. The key is cached for `cacheSeconds`, concurrent callers share one fetch, and
 * `invalidate()` (after a 403) makes the next call fetch it again, which picks up a rotated key.
 *
 * Errors name `FINGERPRINT_SECRET_ID` and never quote the secret's value.
 */
export class SecretsManagerKeyProvider implements ApiKeyProvider {
  readonly #secret: CachedSecret<string>;

  constructor(options: SecretsManagerKeyProviderOptions) {
    this.#secret = new CachedSecret({
      ...options,
      parse: parseSecretValue,
      failure: (kind, name, cause) =>
        kind === 'configuration'
          ? new UpstreamAuthError(
              `Cannot read the Fingerprint secret API key (${name}): check that ${SECRET_SETTING} names an ` +
                'existing secret this function may read and decrypt.',
              SECRET_SETTING,
              { cause },
            )
          : new UpstreamUnavailableError(
              `Secrets Manager did not return the Fingerprint secret API key named by ${SECRET_SETTING} (${name}); ` +
                'retry later.',
              { cause },
            ),
    });
  }

  getKey(): Promise<string> {
    return this.#secret.get();
  }

  invalidate(): void {
    this.#secret.invalidate();
  }
}

/**
 * Reads the key out of a secret value: a plain string, or JSON `{"apiKey": "…"}`. Throws an error naming
 * `FINGERPRINT_SECRET_ID`, never the value (nor a JSON.parse error, whose message quotes the input).
 */
export function parseSecretValue(raw: string | undefined): string {
  const value = raw?.trim() ?? '';
  if (value === '') throw secretError('is empty');
  if (!value.startsWith('{')) {
    if (!KEY_PATTERN.test(value)) {
      throw secretError(
        'holds whitespace or non-ASCII characters; store the key alone or as {"apiKey": "…"}',
      );
    }
    return value;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw secretError('starts with "{" but is not valid JSON; store {"apiKey": "…"} or the key alone');
  }
  const apiKey =
    typeof parsed === 'object' && parsed !== null && 'apiKey' in parsed ? parsed.apiKey : undefined;
  if (typeof apiKey !== 'string' || !KEY_PATTERN.test(apiKey.trim())) {
    throw secretError('is JSON without a usable "apiKey" string; store {"apiKey": "…"} or the key alone');
  }
  return apiKey.trim();
}

function secretError(problem: string): UpstreamAuthError {
  return new UpstreamAuthError(
    `The secret named by ${SECRET_SETTING} ${problem}. (Its value is not shown.)`,
    SECRET_SETTING,
  );
}

/**
 * A fixed key, for local runs with `FINGERPRINT_SECRET_API_KEY` in the environment. `invalidate()` has
 * nothing to refetch, so a 403 surfaces after the one retry.
 */
export class StaticKeyProvider implements ApiKeyProvider {
  readonly #key: string;

  /** @param setting - the environment variable the key came from, named in errors. */
  constructor(key: string, setting = 'FINGERPRINT_SECRET_API_KEY') {
    const trimmed = key.trim();
    if (!KEY_PATTERN.test(trimmed)) {
      throw new UpstreamAuthError(
        `${setting} must hold the Fingerprint secret API key (visible ASCII, no spaces). (Its value is not shown.)`,
        setting,
      );
    }
    this.#key = trimmed;
  }

  getKey(): Promise<string> {
    return Promise.resolve(this.#key);
  }

  invalidate(): void {}
}
