import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Agent, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTlsProxy, TLS_CERT_FILE, type TlsProxy } from '../../local/harness/tls-proxy.js';

/** The loopback HTTP server behind the proxy: it echoes what reached it. */
let backend: Server;
let proxy: TlsProxy;
const trusting = new Agent({ ca: readFileSync(TLS_CERT_FILE), keepAlive: true });

beforeAll(async () => {
  backend = createServer((incoming, outgoing) => {
    readAll(incoming).then((body) => {
      outgoing.writeHead(incoming.url?.startsWith('/missing') ? 404 : 200, {
        'Content-Type': 'application/json',
        'X-Backend': 'yes',
      });
      outgoing.end(
        JSON.stringify({
          method: incoming.method,
          url: incoming.url,
          target: incoming.headers['x-amz-target'],
          host: incoming.headers.host,
          body,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  proxy = await startTlsProxy(`http://127.0.0.1:${(backend.address() as AddressInfo).port}`);
});

afterAll(async () => {
  trusting.destroy();
  await proxy.close();
  await new Promise((resolve) => backend.close(resolve));
});

describe('the loopback TLS proxy of the benchmark', () => {
  it('passes a request over TLS to its HTTP server, method, path, headers and body, and the answer back', async () => {
    const answer = await call('POST', '/', { 'X-Amz-Target': 'DynamoDB_20120810.GetItem' }, '{"Key":{}}');

    expect(proxy.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(answer.status).toBe(200);
    expect(answer.headers['x-backend']).toBe('yes');
    expect(JSON.parse(answer.body)).toEqual({
      method: 'POST',
      url: '/',
      target: 'DynamoDB_20120810.GetItem',
      host: new URL(`http://127.0.0.1:${(backend.address() as AddressInfo).port}`).host,
      body: '{"Key":{}}',
    });
  });

  it('passes the status and query of every answer as they are', async () => {
    const answer = await call('GET', '/missing?x=1%202', {}, '');

    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toMatchObject({ method: 'GET', url: '/missing?x=1%202' });
  });
});

function call(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${proxy.url}${path}`, { method, headers, agent: trusting }, (answer) => {
      readAll(answer).then(
        (text) => resolve({ status: answer.statusCode ?? 0, headers: answer.headers, body: text }),
        reject,
      );
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function readAll(stream: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
