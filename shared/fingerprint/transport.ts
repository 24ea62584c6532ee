import type { Readable } from 'node:stream';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpRequest } from '@smithy/protocol-http';

/** What the client reads of an answer: the part of fetch's `Response` it uses. */
export interface UpstreamAnswer {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  /** The whole body, decoded from its `Content-Encoding` and read as UTF-8. */
  text(): Promise<string>;
}

/** What the client sends: the part of fetch's `RequestInit` it uses. */
export interface UpstreamRequestInit {
  method: string;
  headers: Record<string, string>;
  /** Aborts the request, or the reading of its body, when it fires. */
  signal: AbortSignal;
  /** A redirect would carry the key to another host: the answer is returned as it is, never followed. */
  redirect: 'manual';
}

/**
 * The HTTP call the client makes: shaped like the part of `fetch` it uses, so `globalThis.fetch` (or a test's
 * wrapper of it) can stand in for {@link createUpstreamTransport}.
 */
export type UpstreamFetch = (url: string, init: UpstreamRequestInit) => Promise<UpstreamAnswer>;

/** The encodings asked for, as undici's fetch asks for them, so answers travel compressed as they did. */
const ACCEPT_ENCODING = 'gzip, br';

/**
 * The client's HTTP transport: the AWS SDK's own `NodeHttpHandler` on `node:http`/`node:https`, with its
 * keep-alive agents. A Lambda instance has loaded and run it for its DynamoDB calls by the time it first
 * calls Fingerprint, where Node's `fetch` loaded and compiled undici then: an instance's first cache miss took
 * 28 to 36 ms longer on Node 24 and 43 to 45 ms on Node 20, over TLS (docs/performance.md, "What changed", 22).
 *
 * Like `fetch` with `redirect: 'manual'`, a 3xx is answered as it is. Unlike `fetch`, nothing but the
 * `signal` ends a call: the client's per-attempt timeout is that signal.
 *
 * @throws the handler's network errors (`ECONNRESET`, `ECONNREFUSED`…), an `AbortError` when `signal` fires,
 * and an `Error` for a `Content-Encoding` that was not asked for.
 */
export function createUpstreamTransport(handler = new NodeHttpHandler()): UpstreamFetch {
  return async (url, init) => {
    const target = new URL(url);
    const { response } = await handler.handle(
      new HttpRequest({
        protocol: target.protocol,
        hostname: target.hostname,
        ...(target.port !== '' && { port: Number(target.port) }),
        method: init.method,
        // Already encoded by the URL, so the handler's own query encoding is not applied a second time.
        path: `${target.pathname}${target.search}`,
        headers: { ...init.headers, 'accept-encoding': ACCEPT_ENCODING },
      }),
      { abortSignal: init.signal },
    );
    // The handler answers with Node's IncomingMessage as the body.
    const body = response.body as Readable;
    const headers = response.headers;
    const header = (name: string): string | null => headers[name.toLowerCase()] ?? null;
    return {
      status: response.statusCode,
      headers: { get: header },
      text: async () => decode(await readAll(body, init.signal), header('content-encoding')),
    };
  };
}

/** The body's bytes; the signal ends the read as it ends the request. */
async function readAll(body: Readable, signal: AbortSignal): Promise<Buffer> {
  const abort = () => {
    const error = new Error('The request was aborted while its body was read.');
    error.name = 'AbortError';
    body.destroy(error);
  };
  if (signal.aborted) abort();
  signal.addEventListener('abort', abort, { once: true });
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

function decode(bytes: Buffer, encoding: string | null): string {
  switch (encoding?.trim().toLowerCase()) {
    case undefined:
    case '':
    case 'identity':
      return bytes.toString('utf8');
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(bytes).toString('utf8');
    case 'br':
      return brotliDecompressSync(bytes).toString('utf8');
    default:
      throw new Error(
        `The answer has Content-Encoding "${encoding}", which was not asked for (${ACCEPT_ENCODING}).`,
      );
  }
}
