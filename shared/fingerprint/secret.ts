import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CachedSecret } from '../aws/cached-secret.js';
import { UpstreamAuthError, UpstreamUnavailableError } from '../domain/errors.js';
import type { ApiKeyProvider } from './types.js';

const SECRET_SETTING = 'FINGERPRINT_SECRET_ID';

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
