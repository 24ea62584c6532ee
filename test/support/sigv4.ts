import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * AWS Signature Version 4 checked the way API Gateway checks it, written from the specification
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html) rather than with
 * the signer under test: canonical request from what came over the wire, string to sign, HMAC key chain.
 */

/** A request as it arrived: the request target exactly as sent (path and query still encoded). */
export interface WireRequest {
  method: string;
  /** e.g. `/prod/visitors/abc?limit=1&ii=fingerprint-pro-server-node-sdk%2F6.13.1` */
  target: string;
  /** Lower-cased names, as Node's HTTP server gives them. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface SigV4Verdict {
  valid: boolean;
  /** Why it is not valid; empty when it is. */
  reason: string;
  accessKeyId?: string;
  region?: string;
  service?: string;
  signedHeaders?: string[];
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([\w-]+)\/([\w-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** RFC 3986 unreserved characters stay, everything else is %XX in upper case, as SigV4 requires. */
function encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Percent-decoding only: on the wire a `+` in a query is a plus, not a space. */
function decode(text: string): string {
  return decodeURIComponent(text);
}

function header(request: WireRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export function verifySigV4(
  request: WireRequest,
  credentials: { accessKeyId: string; secretAccessKey: string },
): SigV4Verdict {
  const match = AUTHORIZATION.exec(header(request, 'authorization') ?? '');
  if (match === null) return { valid: false, reason: 'no SigV4 Authorization header' };
  const [, accessKeyId = '', day = '', region = '', service = '', signedHeaderList = '', signature = ''] =
    match;
  const signedHeaders = signedHeaderList.split(';');
  const details = { accessKeyId, region, service, signedHeaders };
  const amzDate = header(request, 'x-amz-date') ?? '';
  if (!amzDate.startsWith(day))
    return { valid: false, reason: 'x-amz-date is not the day of the scope', ...details };
  for (const required of ['host', 'x-amz-date']) {
    if (!signedHeaders.includes(required))
      return { valid: false, reason: `${required} is not signed`, ...details };
  }
  if (accessKeyId !== credentials.accessKeyId)
    return { valid: false, reason: 'unknown access key', ...details };

  const at = request.target.indexOf('?');
  const rawPath = at === -1 ? request.target : request.target.slice(0, at);
  const rawQuery = at === -1 ? '' : request.target.slice(at + 1);
  // Not S3: each path segment, as sent (encoded once), is encoded again.
  const canonicalUri = rawPath.split('/').map(encode).join('/');
  const canonicalQuery = rawQuery
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      const value = equals === -1 ? '' : pair.slice(equals + 1);
      return [encode(decode(name)), encode(decode(value))] as const;
    })
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${(header(request, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  const declaredHash = header(request, 'x-amz-content-sha256');
  if (declaredHash !== undefined && declaredHash !== payloadHash) {
    return { valid: false, reason: 'x-amz-content-sha256 is not the hash of the body', ...details };
  }
  const canonicalRequest = [
    request.method,
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    signedHeaderList,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), service),
    'aws4_request',
  );
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  return expected === signature
    ? { valid: true, reason: '', ...details }
    : { valid: false, reason: 'signature mismatch', ...details };
}

export interface CheckedRequest extends WireRequest {
  verdict: SigV4Verdict;
}

export interface SigV4Gateway {
  /** `http://127.0.0.1:<port>` followed by the stage path, e.g. `/prod`. */
  url: string;
  /** Every request received, with its verdict, in order. */
  requests: CheckedRequest[];
  close(): Promise<void>;
}

/**
 * A loopback stand-in for API Gateway's IAM check: refuses a request whose SigV4 signature does not verify
 * (403, as API Gateway does), and passes a valid one, without its stage prefix, to `forward` (a base URL) or
 * to `answer`.
 */
export async function startSigV4Gateway(options: {
  credentials: { accessKeyId: string; secretAccessKey: string };
  stage?: string;
  forward?: string;
  answer?: (request: WireRequest) => { status: number; body: unknown };
}): Promise<SigV4Gateway> {
  const stage = options.stage ?? '/prod';
  const requests: CheckedRequest[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    void readBody(incoming)
      .then(async (body) => {
        const wire: WireRequest = {
          method: incoming.method ?? 'GET',
          target: incoming.url ?? '/',
          headers: incoming.headers,
          body,
        };
        const verdict = verifySigV4(wire, options.credentials);
        requests.push({ ...wire, verdict });
        if (!verdict.valid || !wire.target.startsWith(`${stage}/`)) {
          outgoing.writeHead(403, { 'content-type': 'application/json' });
          outgoing.end(JSON.stringify({ message: `Forbidden: ${verdict.reason || 'not under the stage'}` }));
          return;
        }
        const target = wire.target.slice(stage.length);
        if (options.forward !== undefined) {
          const headers = Object.fromEntries(
            Object.entries(incoming.headers).flatMap(([name, value]) =>
              name === 'host' || name === 'connection' || value === undefined
                ? []
                : [[name, Array.isArray(value) ? value.join(',') : value]],
            ),
          );
          const answer = await fetch(new URL(target, options.forward), {
            method: wire.method,
            headers,
            ...(body.length > 0 && { body }),
          });
          const text = Buffer.from(await answer.arrayBuffer());
          outgoing.writeHead(
            answer.status,
            Object.fromEntries(
              [...answer.headers].filter(
                ([name]) =>
                  !['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name),
              ),
            ),
          );
          outgoing.end(text);
          return;
        }
        const answer = options.answer?.({ ...wire, target }) ?? {
          status: 404,
          body: { message: 'Not Found' },
        };
        outgoing.writeHead(answer.status, { 'content-type': 'application/json' });
        outgoing.end(JSON.stringify(answer.body));
      })
      .catch((error: unknown) => {
        outgoing.writeHead(500, { 'content-type': 'application/json' });
        outgoing.end(JSON.stringify({ message: String(error) }));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${stage}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => resolve(Buffer.concat(chunks)));
    incoming.on('error', reject);
  });
}
