import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CachedSecret } from '../../shared/aws/cached-secret.js';
import {
  parseWebhookSecret,
  WEBHOOK_SECRET_SETTING,
  WebhookSecretError,
  type WebhookSecretSource,
  type WebhookSecrets,
} from './credentials.js';

/**
 * How long a failure to read or use the webhook secret is remembered, at most (and never longer than a value
 * is cached): until the secret is set, as right after a deployment, a flood of signed requests costs one
 * `GetSecretValue` per instance every few seconds, and a value put into it is picked up as quickly.
 */
export const WEBHOOK_SECRET_FAILURE_CACHE_SECONDS = 10;

/** Where the webhook secret is and how long it is cached. */
export interface SecretsManagerWebhookSecretsOptions {
  client: SecretsManagerClient;
  /** Name or ARN of the webhook secret (`FINGERPRINT_WEBHOOK_SECRET_ID`). */
  secretId: string;
  /** How long the value is reused (`SECRET_CACHE_SECONDS`). */
  cacheSeconds: number;
  /** Epoch ms. @default Date.now */
  now?: () => number;
}

/**
 * The webhook secret from AWS Secrets Manager, cached like the Fingerprint API key. A new value is picked up
 * within `cacheSeconds`: rotate by adding the new secret next to the old one first (see docs/deploy.md).
 * A missing, unreadable or unusable secret is remembered too, for
 * {@link WEBHOOK_SECRET_FAILURE_CACHE_SECONDS} at most, so that anonymous requests cannot make the function
 * call Secrets Manager once each.
 */
export class SecretsManagerWebhookSecrets implements WebhookSecretSource {
  readonly #secret: CachedSecret<WebhookSecrets>;
  readonly #failureCacheMs: number;
  readonly #now: () => number;
  #failure: { error: unknown; until: number } | undefined;

  constructor(options: SecretsManagerWebhookSecretsOptions) {
    this.#failureCacheMs = Math.min(options.cacheSeconds, WEBHOOK_SECRET_FAILURE_CACHE_SECONDS) * 1000;
    this.#now = options.now ?? Date.now;
    this.#secret = new CachedSecret({
      ...options,
      parse: (raw) => parseWebhookSecret(raw, WEBHOOK_SECRET_SETTING),
      failure: (kind, name, cause) =>
        new WebhookSecretError(
          kind === 'configuration'
            ? `Cannot read the webhook secret (${name}): check that ${WEBHOOK_SECRET_SETTING} names an existing ` +
                'secret this function may read and decrypt.'
            : `Secrets Manager did not return the webhook secret named by ${WEBHOOK_SECRET_SETTING} (${name}); ` +
                'Fingerprint delivers the event again after 5 minutes.',
          { cause },
        ),
    });
  }

  get(): Promise<WebhookSecrets> {
    const failure = this.#failure;
    if (failure !== undefined && this.#now() < failure.until) return Promise.reject(failure.error);
    this.#failure = undefined;
    return this.#secret.get().catch((error: unknown) => {
      this.#failure = { error, until: this.#now() + this.#failureCacheMs };
      throw error;
    });
  }
}
