import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Secrets Manager and SQS on loopback, for the built bundles: they carry their own copy of the SDK, so the
 * tests' `aws-sdk-client-mock` cannot reach them. Both services speak AWS JSON over HTTP, told apart by
 * `X-Amz-Target`; the bundles find this server through `AWS_ENDPOINT_URL_SECRETS_MANAGER` and
 * `AWS_ENDPOINT_URL_SQS`, as they would find any custom endpoint.
 */
export interface FakeAws {
  endpoint: string;
  /** Calls received, by `X-Amz-Target` (e.g. `secretsmanager.GetSecretValue`). */
  calls: Map<string, number>;
  close(): Promise<void>;
}

/** `secrets`: each secret's value by its id (`SecretId`). */
export async function startFakeAws(secrets: Record<string, string>): Promise<FakeAws> {
  const calls = new Map<string, number>();
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => answer(req, res, body))
      .catch((error: unknown) => reply(res, 500, { __type: 'InternalFailure', message: String(error) }));
  });

  function answer(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>): void {
    const target = String(req.headers['x-amz-target'] ?? '');
    calls.set(target, (calls.get(target) ?? 0) + 1);
    if (target === 'secretsmanager.GetSecretValue') {
      const secretId = String(body.SecretId);
      const value = secrets[secretId];
      if (value === undefined) {
        reply(res, 400, { __type: 'ResourceNotFoundException', message: 'Secrets Manager cannot find it.' });
        return;
      }
      reply(res, 200, {
        ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${secretId}`,
        Name: secretId,
        SecretString: value,
        VersionId: randomUUID(),
      });
      return;
    }
    if (target === 'AmazonSQS.SendMessage') {
      // The client checks the digest of the body it sent, as it does against SQS.
      const digest = createHash('md5')
        .update(String(body.MessageBody ?? ''))
        .digest('hex');
      reply(res, 200, { MessageId: randomUUID(), MD5OfMessageBody: digest });
      return;
    }
    reply(res, 400, { __type: 'UnknownOperationException', message: `Not faked: ${target}` });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const parsed: unknown = text === '' ? {} : JSON.parse(text);
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  res.end(JSON.stringify(body));
}
