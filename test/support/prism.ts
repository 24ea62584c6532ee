/**
 * Stoplight Prism serving Fingerprint's official OpenAPI documents (`test/fixtures/fingerprint/openapi/`), as a
 * child process on loopback, behind a small recording proxy.
 *
 * Why a proxy: Prism serves a document's paths at its root and ignores the path of `servers[].url`, while the
 * v4 document's server is `https://api.fpjs.io/v4` and our client adds `/v4` itself. The proxy plays the real
 * host: it accepts only paths under the document's server path, strips that path before Prism, and records
 * every exchange, so a suite can check what Prism said about each request (`sl-violations`) and what the
 * service did with each answer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PRISM_DOCUMENTS = {
  v3: fileURLToPath(new URL('../fixtures/fingerprint/openapi/fingerprint-server-api.yaml', import.meta.url)),
  v4: fileURLToPath(
    new URL('../fixtures/fingerprint/openapi/fingerprint-server-api-v4-with-examples.yaml', import.meta.url),
  ),
} as const;

/** The path of each document's `servers[].url`, which Prism does not serve and the proxy strips. */
export const SERVER_PATHS = { v3: '', v4: '/v4' } as const;

type ApiVersion = keyof typeof PRISM_DOCUMENTS;

const require = createRequire(import.meta.url);
const PRISM_PACKAGE = require.resolve('@stoplight/prism-cli/package.json');
const PRISM_BIN = join(
  dirname(PRISM_PACKAGE),
  (require(PRISM_PACKAGE) as { bin: { prism: string } }).bin.prism,
);

/** Prism's own answers (no route, security not met, …) are problem+json documents with this type prefix. */
const PRISM_ERROR_TYPE = 'https://stoplight.io/prism/errors#';
/**
 * The problem type of `--errors` answers, which list the violations the header carries too: only those
 * located in the request are the request's fault.
 */
const PRISM_VIOLATIONS_TYPE = `${PRISM_ERROR_TYPE}VIOLATIONS`;
/** Output kept for error messages; Prism logs every request, so only the tail is worth keeping. */
const OUTPUT_TAIL_CHARS = 20_000;

export interface PrismOptions {
  apiVersion: ApiVersion;
  /** `-d`: answers generated from the schemas (json-schema-faker) instead of the documents' examples. */
  dynamic: boolean;
  /**
   * `--errors`: a request that violates the document is answered with an error instead of a mock. Off, Prism
   * still reports every violation in the `sl-violations` header, and answers with the document's example
   * even when that example breaks the document's own schema (v3's event examples do), which `--errors` would
   * turn into a 500. @default false
   */
  errors?: boolean;
  /** How long to wait for "Prism is listening". Prism parses a 200–300 KB document first. @default 90_000 */
  readyTimeoutMs?: number;
}

export interface PrismProcess {
  /** `http://127.0.0.1:<port>`, the document's paths at its root. */
  url: string;
  /** The tail of what Prism printed, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/** Children still running, killed synchronously if the test worker exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/**
 * A port that was free a moment ago. Prism cannot listen on port 0 (it prints the port it was given), so a
 * port is reserved by binding it, then released for Prism; if another process takes it in between, Prism
 * fails with EADDRINUSE and {@link startPrism} tries another.
 */
async function freePort(): Promise<number> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Starts `prism mock` on a free loopback port and resolves once it listens. Every answer carries the
 * violations Prism found, in its `sl-violations` header; the proxy records them.
 */
export async function startPrism(options: PrismOptions): Promise<PrismProcess> {
  let lastFailure: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      return await spawnPrism(options, port);
    } catch (error) {
      lastFailure = error as Error;
      if (!/EADDRINUSE/.test(lastFailure.message)) throw lastFailure;
    }
  }
  throw lastFailure ?? new Error('Prism did not start');
}

async function spawnPrism(options: PrismOptions, port: number): Promise<PrismProcess> {
  installExitHook();
  const args = [
    PRISM_BIN,
    'mock',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    ...(options.errors === true ? ['--errors'] : []),
    ...(options.dynamic ? ['--dynamic'] : []),
    PRISM_DOCUMENTS[options.apiVersion],
  ];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    // No colors: the readiness line is matched as text.
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  running.add(child);
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child);
      resolve();
    });
  });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      void stop().then(() =>
        reject(
          new Error(`Prism was not listening within ${options.readyTimeoutMs ?? 90_000} ms:\n${output}`),
        ),
      );
    }, options.readyTimeoutMs ?? 90_000);
    const onData = () => {
      if (!output.includes(`Prism is listening on ${url}`)) return;
      cleanup();
      resolve();
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`Prism exited with ${code} before it listened:\n${output}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
  return { url, output: () => output, stop };
}

/** One `sl-violations` entry: what Prism found wrong with a request or with its own answer. */
export interface PrismViolation {
  location: string[];
  severity: string;
  code: string | number;
  message: string;
}

/** A request our client sent and the answer it got, as the proxy saw them. */
export interface Exchange {
  method: string;
  /** The path and query the client asked for, e.g. `/v4/events?visitor_id=…`. */
  url: string;
  /** The path without the query, and without the server path once stripped. */
  route: string;
  query: URLSearchParams;
  /** Problems with the authentication the request carried (the key itself is never recorded). */
  authProblems: string[];
  status: number;
  contentType: string;
  violations: PrismViolation[];
  /** The body the client got (after {@link ProxyOptions.rewrite}, when it changed it). */
  body: string;
  /** Whether {@link ProxyOptions.rewrite} changed Prism's answer. */
  rewritten: boolean;
  /** Whether the client was still there to read the whole answer (it gives up on a timeout). */
  delivered: boolean;
}

export interface RecordingProxy {
  /** The base URL to give the client: the proxy's origin, where the server path is the real host's. */
  url: string;
  exchanges: Exchange[];
  close(): Promise<void>;
}

export interface ProxyOptions {
  apiVersion: ApiVersion;
  /** Prism's URL. */
  target: string;
  /** The secret key the client is configured with, to check that each request carries it as documented. */
  apiKey: string;
  /**
   * Changes a 2xx JSON answer of Prism before the client gets it, e.g. to make it answer for the id that was
   * asked for as a real server would; returns `undefined` to leave it as is.
   */
  rewrite?: (request: { route: string; query: URLSearchParams }, body: unknown) => unknown;
}

/**
 * A loopback HTTP server in front of Prism that plays the real host of the document's servers: a request
 * outside the server path is answered 404 (as a route-not-found from a proxy would be) and recorded as a
 * violation; any other has the server path stripped and is forwarded as is.
 */
export async function startRecordingProxy(options: ProxyOptions): Promise<RecordingProxy> {
  const prefix = SERVER_PATHS[options.apiVersion];
  const agent = new Agent({ keepAlive: true });
  const exchanges: Exchange[] = [];

  const handle = async (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const url = incoming.url ?? '/';
    const parsed = new URL(url, 'http://proxy.invalid');
    const method = incoming.method ?? 'GET';
    const authProblems = checkAuth(options.apiVersion, options.apiKey, incoming.headers, parsed.searchParams);
    const route = parsed.pathname.slice(prefix.length);
    // Recorded on arrival, so that a request still waiting for Prism shows (with status 0).
    const exchange: Exchange = {
      method,
      url,
      route,
      query: parsed.searchParams,
      authProblems,
      status: 0,
      contentType: '',
      violations: [],
      body: '',
      rewritten: false,
      delivered: false,
    };
    exchanges.push(exchange);
    outgoing.once('finish', () => {
      exchange.delivered = true;
    });
    const record = (
      status: number,
      contentType: string,
      violations: PrismViolation[],
      body: string,
      rewritten = false,
    ) => {
      Object.assign(exchange, { status, contentType, violations, body, rewritten });
    };

    if (prefix !== '' && !parsed.pathname.startsWith(`${prefix}/`)) {
      const body = JSON.stringify({ message: `No route: the server path ${prefix} is missing.` });
      const violation = {
        location: ['request', 'path'],
        severity: 'Error',
        code: 'server-path',
        message: `${parsed.pathname} is not under the document's server path ${prefix}`,
      };
      record(404, 'application/json', [violation], body);
      outgoing.writeHead(404, { 'content-type': 'application/json' }).end(body);
      return;
    }

    const forwardedUrl = `${parsed.pathname.slice(prefix.length)}${parsed.search}`;
    const headers = { ...incoming.headers };
    delete headers.host;
    const answer = await new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>(
      (resolve, reject) => {
        const upstream = httpRequest(
          new URL(forwardedUrl, options.target),
          { method, headers, agent },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
            );
            res.on('error', reject);
          },
        );
        upstream.on('error', reject);
        incoming.pipe(upstream);
      },
    );
    let text = answer.body.toString('utf8');
    const contentType = String(answer.headers['content-type'] ?? '');
    let rewritten = false;
    if (options.rewrite !== undefined && answer.status < 300 && contentType.startsWith('application/json')) {
      const changed = options.rewrite({ route, query: parsed.searchParams }, JSON.parse(text));
      if (changed !== undefined) {
        text = JSON.stringify(changed);
        rewritten = true;
      }
    }
    record(answer.status, contentType, parseViolations(answer.headers['sl-violations']), text, rewritten);
    const forwardedHeaders = { ...answer.headers };
    // The body was read whole (and maybe rewritten); Node recomputes the framing.
    delete forwardedHeaders['transfer-encoding'];
    delete forwardedHeaders['content-length'];
    delete forwardedHeaders.connection;
    delete forwardedHeaders['keep-alive'];
    outgoing.writeHead(answer.status, forwardedHeaders).end(text);
  };

  const server: Server = createServer((incoming, outgoing) => {
    handle(incoming, outgoing).catch((error: unknown) => {
      // Prism is gone or reset the connection: the client must see a failure, and the suite a recorded one.
      const message = error instanceof Error ? error.message : String(error);
      if (!outgoing.headersSent) outgoing.writeHead(599, { 'content-type': 'text/plain' });
      outgoing.end(`proxy could not reach Prism: ${message}`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      agent.destroy();
    },
  };
}

function parseViolations(header: string | string[] | undefined): PrismViolation[] {
  if (header === undefined) return [];
  const text = Array.isArray(header) ? header.join('') : header;
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? (parsed as PrismViolation[]) : [];
}

/**
 * What the documents require of authentication, beyond what Prism checks (it checks that the scheme is
 * present, not which key it carries): v4 `Authorization: Bearer <key>`; v3 the `Auth-API-Key` header (the
 * `api_key` query parameter would put the key in URLs and logs). Exactly one way, with the configured key.
 */
function checkAuth(
  apiVersion: ApiVersion,
  apiKey: string,
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
): string[] {
  const problems: string[] = [];
  if (query.has('api_key')) problems.push('the key is sent in the query (api_key)');
  if (apiVersion === 'v4') {
    if (headers.authorization !== `Bearer ${apiKey}`) {
      problems.push('Authorization is not "Bearer " followed by the configured key');
    }
    if (headers['auth-api-key'] !== undefined) problems.push('a v3 Auth-API-Key header is sent to v4');
  } else {
    if (headers['auth-api-key'] !== apiKey) problems.push('Auth-API-Key is not the configured key');
    if (headers.authorization !== undefined) problems.push('an Authorization header is sent to v3');
  }
  return problems;
}

/**
 * Everything wrong with a request, as text: what Prism reported about it (`sl-violations` entries located
 * in the request), Prism's own refusals (no such path or method, security not met: problem+json answers),
 * and authentication problems.
 */
export function requestProblems(exchange: Exchange): string[] {
  const where = `${exchange.method} ${exchange.url}`;
  const problems = exchange.violations
    .filter((violation) => violation.location[0] === 'request')
    .map(
      (violation) => `${where}: ${violation.location.join('.')}: ${violation.message} (${violation.code})`,
    );
  if (exchange.contentType.startsWith('application/problem+json')) {
    const problem = safeJson(exchange.body) as { type?: string; title?: string; detail?: string } | undefined;
    if (problem?.type?.startsWith(PRISM_ERROR_TYPE) && problem.type !== PRISM_VIOLATIONS_TYPE) {
      problems.push(
        `${where}: Prism answered ${exchange.status} ${problem.title ?? ''}: ${problem.detail ?? ''}`,
      );
    }
  }
  for (const problem of exchange.authProblems) problems.push(`${where}: ${problem}`);
  return problems;
}

/** What Prism found wrong with its own answer (a generated value or an example that breaks its schema). */
export function responseViolations(exchange: Exchange): PrismViolation[] {
  return exchange.violations.filter((violation) => violation.location[0] === 'response');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
