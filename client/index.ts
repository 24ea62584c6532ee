/**
 * The caller client of the Fingerprint event enrichment API, for other services:
 *
 * ```ts
 * import { createEnrichmentClient } from 'fingerprint-event-enrichment/client';
 *
 * const enrichment = createEnrichmentClient({ baseUrl: process.env.ENRICHMENT_API_URL });
 * const { events } = await enrichment.enrich({ requestId });
 * ```
 *
 * `createSignedFetch` is the SigV4-signing `fetch` underneath, for any other IAM-authorized API.
 */
export {
  type CallOptions,
  createEnrichmentClient,
  EnrichmentApiError,
  EnrichmentClient,
  type EnrichmentClientOptions,
  isRetryable,
} from './enrichment-client.js';
export {
  type Credentials,
  CredentialsError,
  createSignedFetch,
  type SignedFetch,
  type SignedFetchOptions,
  type SignedRequestInit,
} from './signing.js';
export * from './types.js';
