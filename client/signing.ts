import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4, type SignatureV4Init } from '@smithy/signature-v4';

/** Credentials, or a function that resolves them (and refreshes them when they expire). */
export type Credentials = SignatureV4Init['credentials'];

export interface SignedFetchOptions {
  /** The region of the API, e.g. `eu-west-1`. */
  region: string;
  /** @default 'execute-api' (API Gateway) */
  service?: string;
  /**
   * @default the AWS SDK's default chain: environment, SSO, shared config files, web identity, ECS and EC2
   * metadata; resolved on first use and refreshed before it expires.
   */
  credentials?: Credentials;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** What a signed request may carry: JSON APIs need no streams. */
export interface SignedRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** `fetch` for IAM-authorized APIs: every request is signed with SigV4 just before it is sent. */
export type SignedFetch = (url: string | URL, init?: SignedRequestInit) => Promise<Response>;

/**
 * Creates a `fetch` that signs each request with AWS Signature Version 4 (`@smithy/signature-v4`, the AWS SDK's
 * own signer), for calling any service behind API Gateway IAM authorization, or any other SigV4 service.
 */
export function createSignedFetch(options: SignedFetchOptions): SignedFetch {
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region,
    credentials: options.credentials ?? defaultProvider(),
    sha256: Sha256,
  });
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return async (input, init = {}) => {
    const url = new URL(input);
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const existing = query[name];
      query[name] =
        existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    const request = new HttpRequest({
      method: (init.method ?? 'GET').toUpperCase(),
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port !== '' && { port: Number(url.port) }),
      // As sent on the wire (already encoded): the signer encodes it once more, as SigV4 requires.
      path: url.pathname,
      query,
      headers: { ...lowerCased(init.headers ?? {}), host: url.host },
      ...(init.body !== undefined && { body: init.body }),
    });
    const signed = await signer.sign(request);
    // fetch sets Host from the URL, to the same value that was signed.
    const { host: _host, ...headers } = signed.headers;
    return send(url, {
      method: request.method,
      headers,
      ...(init.body !== undefined && { body: init.body }),
      ...(init.signal !== undefined && { signal: init.signal }),
    });
  };
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
