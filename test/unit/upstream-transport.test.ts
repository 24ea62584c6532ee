import { readFileSync } from 'node:fs';
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Agent as HttpsAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamTransport, type UpstreamRequestInit } from '../../shared/fingerprint/transport.js';

/** A loopback server whose answer each test sets; it records every request and connection it sees. */
let server: Server;
let baseUrl: string;
let answer: (request: IncomingMessage, response: ServerResponse) => void;
const seen: { method?: string; url?: string; headers: IncomingMessage['headers'] }[] = [];
let connections = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push({ method: request.method, url: request.url, headers: request.headers });
    answer(request, response);
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  seen.length = 0;
  connections = 0;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const transport = createUpstreamTransport();

function init(overrides: Partial<UpstreamRequestInit> = {}): UpstreamRequestInit {
  return {
    method: 'GET',
    headers: { Accept: 'application/json', Authorization: 'Bearer test-key' },
    signal: new AbortController().signal,
    redirect: 'manual',
    ...overrides,
  };
}

describe('the upstream transport (the AWS SDK node:http handler)', () => {
  it('sends the method, headers and already-encoded query as given, and answers status, headers and body', async () => {
    answer = (_request, response) => {
      response.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '2' });
      response.end('{"error":{"code":"too_many_requests"}}');
    };

    const response = await transport(
      `${baseUrl}/v4/events?linked_id=a%20b%2Fc&limit=5`,
      init({ method: 'DELETE' }),
    );

    expect(seen).toEqual([
      {
        method: 'DELETE',
        url: '/v4/events?linked_id=a%20b%2Fc&limit=5',
        headers: expect.objectContaining({
          accept: 'application/json',
          authorization: 'Bearer test-key',
          'accept-encoding': 'gzip, br',
        }),
      },
    ]);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(response.headers.get('Retry-After')).toBe('2');
    expect(response.headers.get('x-absent')).toBeNull();
    expect(await response.text()).toBe('{"error":{"code":"too_many_requests"}}');
  });

  it.each([
    ['gzip', gzipSync],
    ['br', brotliCompressSync],
  ])('decodes a %s body, as fetch does', async (encoding, compress) => {
    const body = JSON.stringify({ event_id: '1708102555327.NLOjmg', note: 'é'.repeat(2000) });
    answer = (_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': encoding });
      response.end(compress(Buffer.from(body)));
    };

    const response = await transport(`${baseUrl}/v4/events/1708102555327.NLOjmg`, init());

    expect(await response.text()).toBe(body);
  });

  it('refuses a Content-Encoding it did not ask for, naming it', async () => {
    answer = (_request, response) => {
      response.writeHead(200, { 'Content-Encoding': 'compress' });
      response.end('...');
    };

    const response = await transport(`${baseUrl}/v4/events/x`, init());

    await expect(response.text()).rejects.toThrow('Content-Encoding "compress"');
  });

  it('answers a redirect as it is and never follows it, so the key goes nowhere else', async () => {
    answer = (request, response) => {
      if (request.url === '/elsewhere') {
        response.end('followed');
        return;
      }
      response.writeHead(302, { Location: `${baseUrl}/elsewhere` });
      response.end();
    };

    const response = await transport(`${baseUrl}/v4/events/x`, init());

    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${baseUrl}/elsewhere`);
    expect(seen.map((request) => request.url)).toEqual(['/v4/events/x']);
  });

  it('keeps the connection alive across calls', async () => {
    // A transport of its own, whose pool holds no connection of an earlier test.
    const fresh = createUpstreamTransport(new NodeHttpHandler());
    answer = (_request, response) => response.end('{}');

    for (let call = 0; call < 3; call += 1) {
      await (await fresh(`${baseUrl}/v4/events/x`, init())).text();
    }

    expect(seen).toHaveLength(3);
    expect(connections).toBe(1);
  });

  it('ends a call whose answer has not begun when its signal fires', async () => {
    const waiting: ServerResponse[] = [];
    answer = (_request, response) => {
      // No answer: only the signal can end the call.
      waiting.push(response);
    };
    const controller = new AbortController();
    const outcome = transport(`${baseUrl}/v4/events/x`, init({ signal: controller.signal })).catch(
      (error: unknown) => error,
    );
    await waitFor(() => waiting.length === 1);

    controller.abort();

    expect(await outcome).toMatchObject({ name: 'AbortError' });
  });

  it('drops a connection the server closed while idle, and the next call opens another', async () => {
    // The handler's agent, made here so that the test can see when it has let go of the closed connection.
    const agent = new Agent({ keepAlive: true });
    const watched = createUpstreamTransport(new NodeHttpHandler({ httpAgent: agent }));
    answer = (_request, response) => response.end('{}');
    await (await watched(`${baseUrl}/v4/events/x`, init())).text();
    await waitFor(() => Object.keys(agent.freeSockets).length === 1);

    server.closeIdleConnections();
    await waitFor(() => Object.keys(agent.freeSockets).length === 0);
    const response = await watched(`${baseUrl}/v4/events/x`, init());

    expect(await response.text()).toBe('{}');
    expect(connections).toBe(2);
  });

  it('ends the reading of a body when its signal fires after the answer began', async () => {
    answer = (_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.write('{"events": [');
      // The rest never comes.
    };
    const controller = new AbortController();
    const response = await transport(`${baseUrl}/v4/events`, init({ signal: controller.signal }));
    const text = response.text();

    controller.abort();

    await expect(text).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('fails with the system error code when nothing listens, and never quotes the request headers', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    const failure = await transport(`http://127.0.0.1:${port}/v4/events/x`, init()).catch(
      (error: unknown) => error,
    );

    expect(failure).toMatchObject({ code: 'ECONNREFUSED' });
    expect(JSON.stringify(failure, Object.getOwnPropertyNames(failure))).not.toContain('test-key');
  });
});

describe('the upstream transport on https: URLs, as it reaches the Server API', () => {
  // A self-signed certificate for localhost and 127.0.0.1 (local/harness/tls/README.md).
  const tls = {
    key: readFileSync(new URL('../../local/harness/tls/localhost.key.pem', import.meta.url)),
    cert: readFileSync(new URL('../../local/harness/tls/localhost.cert.pem', import.meta.url)),
  };
  let secure: ReturnType<typeof createHttpsServer>;
  let secureUrl: string;
  const arrived: string[] = [];

  beforeAll(async () => {
    secure = createHttpsServer(tls, (request, response) => {
      arrived.push(request.url ?? '');
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ path: request.url, authorization: request.headers.authorization }));
    });
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
    secureUrl = `https://localhost:${(secure.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    secure.closeAllConnections();
    await new Promise((resolve) => secure.close(resolve));
  });

  it('calls over TLS, verifying the server against the trusted certificates', async () => {
    const trusting = createUpstreamTransport(
      new NodeHttpHandler({ httpsAgent: new HttpsAgent({ keepAlive: true, ca: tls.cert }) }),
    );

    const response = await trusting(`${secureUrl}/v4/events/1708102555327.NLOjmg?ruleset_id=r`, init());

    expect(response.status).toBe(200);
    expect(JSON.parse(await response.text())).toEqual({
      path: '/v4/events/1708102555327.NLOjmg?ruleset_id=r',
      authorization: 'Bearer test-key',
    });
  });

  it('refuses a server whose certificate it does not trust, before sending the key', async () => {
    arrived.length = 0;

    const failure = await transport(`${secureUrl}/v4/events/x`, init()).catch((error: unknown) => error);

    expect(failure).toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(arrived).toEqual([]);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
