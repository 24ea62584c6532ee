import { FingerprintJsServerApiClient } from '@fingerprintjs/fingerprintjs-pro-server-api';
import { type Credentials, createSignedFetch } from '../../client/index.js';

/**
 * Fingerprint's official v3 Node SDK, reading visitor histories (`getVisits`) from the enrichment API instead
 * of Fingerprint: each call goes to the API's URL, signed with SigV4 for execute-api.
 */
export function createCachedFingerprintClient(options: {
  /** The API's URL with its stage, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/prod */
  apiUrl: string;
  /** The API's region, e.g. eu-west-1 */
  region: string;
  /** Default: the AWS SDK's default credential chain */
  credentials?: Credentials;
}): FingerprintJsServerApiClient {
  const api = new URL(options.apiUrl);
  const signedFetch = createSignedFetch({ region: options.region, credentials: options.credentials });
  return new FingerprintJsServerApiClient({
    // The SDK requires a key and sends it; the enrichment API ignores it (IAM authenticates the caller).
    apiKey: 'not-used',
    fetch: (input, init) => {
      const { pathname, search } = new URL(input instanceof Request ? input.url : input);
      // Fingerprint's path and query (the SDK's own `ii` included) under the API's stage, signed as sent.
      return signedFetch(`${api.origin}${api.pathname.replace(/\/$/, '')}${pathname}${search}`, init);
    },
  });
}
