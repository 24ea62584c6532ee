import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { FingerprintCallerEnv } from '../../shared/config/env-rules.js';
import type { SealedKeyProvider } from '../../shared/fingerprint/sealed-keys.js';
import { SecretsManagerSealedKeys } from '../../shared/fingerprint/sealed-keys-secret.js';

/**
 * What only a sealed result needs: the reader of the keys' secret and its Secrets Manager client, created on the
 * first sealed result. `deps.ts` imports this module dynamically, as it does `./upstream.ts`. Importing the SDK
 * package itself by `import()` would keep every export of it (all its commands, paginators and the aggregated
 * client: 17 to 20 KB of chunks), since esbuild cannot tell which exports of a dynamically imported module are
 * used; this module's static import lets it keep the client alone.
 */
export function createSealedKeys(
  env: Pick<FingerprintCallerEnv, 'SECRET_CACHE_SECONDS'>,
  secretId: string,
): SealedKeyProvider {
  return new SecretsManagerSealedKeys({
    client: () => new SecretsManagerClient({}),
    secretId,
    cacheSeconds: env.SECRET_CACHE_SECONDS,
  });
}
