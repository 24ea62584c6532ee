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

/**
 * `fetch` for IAM-authorized APIs: every request is signed with SigV4 just before it is sent. It is `fetch`'s
 * own type, so it goes wherever a `fetch` is expected (an SDK's `fetch` option, for one).
 */
export type SignedFetch = typeof fetch;

/** @deprecated `SignedFetch` takes `fetch`'s own `RequestInit`; kept for code written against 0.1. */
export type SignedRequestInit = RequestInit;

/**
 * No AWS credentials could be had to sign a request with. Not a network failure, and not retried: the
 * message says how to provide them.
 */
export class CredentialsError extends Error {
  readonly code = 'CredentialsUnavailable';

  constructor(cause: unknown) {
    super(
      `No AWS credentials to sign the request with${cause instanceof Error ? ` (${cause.message})` : ''}. ` +
        `Provide them the AWS SDK's usual way ` +
        '(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, a task or instance role) or pass the ' +
        'credentials option. The local server (npm start) checks no signature: create the client with sign: false.',
      { cause },
    );
    this.name = 'CredentialsError';
  }
}

/**
 * Creates a `fetch` that signs each request with AWS Signature Version 4 (`@smithy/signature-v4`, the AWS SDK's
 * own signer), for calling any service behind API Gateway IAM authorization, or any other SigV4 service.
 *
 * It takes what `fetch` takes (a URL or a `Request`, headers in any form, any body) and signs what it sends: the
 * URL (its query in SigV4's own encoding) and every header given, so what a caller adds (an SDK's own query
 * parameters or headers) is covered by the signature; an `Authorization` header given (an SDK's own key) is
 * replaced by the signature. The body is read in full first, to hash it.
 *
 * @throws CredentialsError (as the returned promise's rejection) when no credentials can be had.
 */
export function createSignedFetch(options: SignedFetchOptions): SignedFetch {
  const credentials = options.credentials ?? defaultProvider();
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region,
    credentials:
      typeof credentials === 'function'
        ? async () => {
            try {
              return await credentials();
            } catch (error) {
              throw new CredentialsError(error);
            }
          }
        : credentials,
    sha256: Sha256,
  });
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return async (input, init) => {
    // fetch's own reading of its arguments: a Request, a URL or a string, headers in any of their forms.
    const given = new Request(input, init);
    const url = new URL(given.url);
    // Sent in the encoding it is signed in (a space as %20, a plus as %2B), so that the signature does not depend
    // on how the server reads a `+` (API Gateway reads it as a plus) or anything else a caller left unencoded.
    const pairs = queryPairs(url);
    url.search = pairs.map(([name, value]) => `${encode(name)}=${encode(value)}`).join('&');
    const body = given.body === null ? undefined : new Uint8Array(await given.arrayBuffer());
    const request = new HttpRequest({
      method: given.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port !== '' && { port: Number(url.port) }),
      // As sent on the wire (already encoded): the signer encodes it once more, as SigV4 requires.
      path: url.pathname,
      query: queryOf(pairs),
      headers: { ...Object.fromEntries(given.headers), host: url.host },
      ...(body !== undefined && { body }),
    });
    const signed = await signer.sign(request);
    // fetch sets Host from the URL, to the same value that was signed.
    const { host: _host, ...headers } = signed.headers;
    return send(url, {
      method: given.method,
      headers,
      ...(body !== undefined && { body }),
      signal: given.signal,
      redirect: given.redirect,
    });
  };
}

/**
 * The query's names and values as URLSearchParams reads them (a `+` is a space: what URLSearchParams writes,
 * as Fingerprint's SDKs do), repeated names kept in order.
 */
function queryPairs(url: URL): [string, string][] {
  return url.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const at = pair.indexOf('=');
      return [decode(at === -1 ? pair : pair.slice(0, at)), at === -1 ? '' : decode(pair.slice(at + 1))];
    });
}

function queryOf(pairs: [string, string][]): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of pairs) {
    const existing = query[name];
    query[name] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

/** SigV4's encoding: RFC 3986 unreserved characters as they are, everything else as %XX. */
function encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}
