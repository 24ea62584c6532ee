/**
 * An HTTPS front on loopback for a loopback HTTP server (dynalite, the fake AWS services, the Fingerprint
 * emulator), with the certificate of `tls/`: a process that trusts it (`NODE_EXTRA_CA_CERTS=`{@link TLS_CERT_FILE})
 * reaches the server over TLS, as a Lambda function reaches AWS and Fingerprint.
 *
 * Why it matters to the benchmark: the AWS SDK's HTTP handler imports `node:http` only for an `http:` endpoint,
 * and on Node 24 an ESM import of `node:http` loads undici (about 26 ms on this machine), which no function
 * talking HTTPS ever loads. Cold starts timed over plain HTTP paid it in the function and its floor alike
 * (docs/performance.md, "What is measured").
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The certificate, for `NODE_EXTRA_CA_CERTS`; it is its own authority. */
export const TLS_CERT_FILE = fileURLToPath(new URL('./tls/localhost.cert.pem', import.meta.url));
const TLS_KEY_FILE = fileURLToPath(new URL('./tls/localhost.key.pem', import.meta.url));

export interface TlsProxy {
  /** `https://127.0.0.1:<port>`: the target's URL over TLS (with the target's path, if it had one). */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts an HTTPS server on 127.0.0.1 that passes every request, headers and body as they come, to `target`
 * (an `http:` URL on loopback), and its answer back: status, headers and body.
 */
export async function startTlsProxy(target: string): Promise<TlsProxy> {
  const backend = new URL(target);
  if (backend.protocol !== 'http:') throw new Error(`startTlsProxy fronts an http: URL, got ${target}`);
  const agent = new Agent({ keepAlive: true });
  const server = createServer(
    { key: readFileSync(TLS_KEY_FILE), cert: readFileSync(TLS_CERT_FILE) },
    (incoming, outgoing) => {
      const forwarded = request(
        {
          agent,
          hostname: backend.hostname,
          port: backend.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: backend.host },
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', (error) => {
        outgoing.destroy(error);
      });
      incoming.pipe(forwarded);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const path = backend.pathname === '/' ? '' : backend.pathname.replace(/\/+$/, '');
  return {
    url: `https://127.0.0.1:${port}${path}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}
