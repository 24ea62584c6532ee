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
  readonly #client: SecretsManagerClient;
  readonly #secretId: string;
  readonly #cacheMs: number;
  readonly #now: () => number;
  #cached: { key: string; expiresAt: number } | undefined;
  #pending: Promise<string> | undefined;
  /** Bumped by `invalidate()`, so a fetch started before it cannot cache a key that may be stale. */
  #generation = 0;

  constructor(options: SecretsManagerKeyProviderOptions) {
    this.#client = options.client;
    this.#secretId = options.secretId;
    this.#cacheMs = options.cacheSeconds * 1000;
    this.#now = options.now ?? Date.now;
  }

  getKey(): Promise<string> {
    if (this.#cached !== undefined && this.#now() < this.#cached.expiresAt) {
      return Promise.resolve(this.#cached.key);
    }
    if (this.#pending !== undefined) return this.#pending;

    const generation = this.#generation;
    const pending: Promise<string> = this.#fetch()
      .then((key) => {
        if (generation === this.#generation) {
          this.#cached = { key, expiresAt: this.#now() + this.#cacheMs };
        }
        return key;
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

  async #fetch(): Promise<string> {
    let output: { SecretString?: string | undefined; SecretBinary?: Uint8Array | undefined };
    try {
      output = await this.#client.send(new GetSecretValueCommand({ SecretId: this.#secretId }));
    } catch (error) {
      const name = error instanceof Error ? error.name : 'UnknownError';
      if (CONFIGURATION_ERRORS.has(name)) {
        throw new UpstreamAuthError(
          `Cannot read the Fingerprint secret API key (${name}): check that ${SECRET_SETTING} names an ` +
            'existing secret this function may read and decrypt.',
          SECRET_SETTING,
          { cause: error },
        );
      }
      throw new UpstreamUnavailableError(
        `Secrets Manager did not return the Fingerprint secret API key named by ${SECRET_SETTING} (${name}); ` +
          'retry later.',
        { cause: error },
      );
    }
    const raw = output.SecretString ?? (output.SecretBinary && new TextDecoder().decode(output.SecretBinary));
    return parseSecretValue(raw);
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
