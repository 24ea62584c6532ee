import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CachedSecret } from '../../shared/fingerprint/secret.js';
import {
  parseWebhookSecret,
  WEBHOOK_SECRET_SETTING,
  WebhookSecretError,
  type WebhookSecretSource,
  type WebhookSecrets,
} from './credentials.js';

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
 */
export class SecretsManagerWebhookSecrets implements WebhookSecretSource {
  readonly #secret: CachedSecret<WebhookSecrets>;

  constructor(options: SecretsManagerWebhookSecretsOptions) {
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
    return this.#secret.get();
  }
}
