/**
 * A fault-injecting HTTP proxy in front of dynalite. Clients point their DynamoDB endpoint at it; it forwards
 * each request unchanged unless the injector asks for a fault, which it answers the way DynamoDB does:
 *
 * - `throttle`: HTTP 400 with `ProvisionedThroughputExceededException` or `ThrottlingException`, which the
 *   AWS SDK retries on its own before the caller sees it;
 * - `unprocessed`: a `BatchWriteItem` that writes only the items `keep` accepts and returns the others in
 *   `UnprocessedItems`, which the SDK does not retry (the event store must);
 * - `refuse`: HTTP 400 with `ValidationException`, as DynamoDB refuses a whole `BatchWriteItem` when one of its
 *   items holds a value it cannot store (a number out of its range, nesting beyond 32 levels, an item over
 *   400 KB); nothing of the batch is written.
 *
 * It also counts, per requestId, how many times DynamoDB really applied a put, which is how the suites tell a
 * stored event from a duplicated one.
 */
import { randomUUID } from 'node:crypto';
import { Agent, createServer, type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

export const THROTTLING_ERRORS = {
  provisioned: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  throttling: 'com.amazon.coral.availability#ThrottlingException',
} as const;

export type DynamoFault =
  | { kind: 'throttle'; error: keyof typeof THROTTLING_ERRORS }
  | { kind: 'unprocessed'; keep: (requestId: string) => boolean }
  | { kind: 'refuse' };

export interface DynamoCall {
  /** `GetItem`, `BatchWriteItem`, `Query`, … */
  operation: string;
  /** The requestIds the call reads or writes, when it names any. */
  requestIds: string[];
  /** The SDK's attempt number for this call (1 for the first try), from its `amz-sdk-request` header. */
  sdkAttempt: number;
}

export type DynamoInjector = (call: DynamoCall) => DynamoFault | undefined;

export interface FaultyDynamo {
  /** Use as `AWS_ENDPOINT_URL_DYNAMODB`. */
  endpoint: string;
  setInjector(injector: DynamoInjector | undefined): void;
  /** Puts DynamoDB applied, per requestId. */
  readonly writes: Map<string, number>;
  close(): Promise<void>;
}

interface AttributeValue {
  S?: string;
}
interface PutRequest {
  PutRequest?: { Item?: Record<string, AttributeValue> };
}
interface BatchWriteBody {
  RequestItems?: Record<string, PutRequest[]>;
}
interface BatchWriteAnswer {
  UnprocessedItems?: Record<string, PutRequest[]>;
}

const requestIdOf = (write: PutRequest): string | undefined => write.PutRequest?.Item?.requestId?.S;

/** Starts the proxy on 127.0.0.1 in front of `target` (dynalite's endpoint). */
export async function startFaultyDynamo(target: string): Promise<FaultyDynamo> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const writes = new Map<string, number>();
  let injector: DynamoInjector | undefined;

  const forward = (
    headers: IncomingHttpHeaders,
    body: string,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> =>
    new Promise((resolve, reject) => {
      const outgoing = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: 'POST',
          path: '/',
          agent,
          headers: { ...headers, host: upstream.host, 'content-length': String(Buffer.byteLength(body)) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 500,
              headers: response.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  const countWrites = (table: string, sent: PutRequest[], answer: string): void => {
    const parsed = JSON.parse(answer) as BatchWriteAnswer;
    const left = new Set((parsed.UnprocessedItems?.[table] ?? []).map(requestIdOf));
    for (const write of sent) {
      const id = requestIdOf(write);
      if (id !== undefined && !left.has(id)) writes.set(id, (writes.get(id) ?? 0) + 1);
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const reply = (status: number, text: string, headers: IncomingHttpHeaders = {}): void => {
        const { 'content-length': _length, 'x-amz-crc32': _crc, 'transfer-encoding': _te, ...rest } = headers;
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': randomUUID(),
          ...rest,
          // The SDK checks DynamoDB's CRC32 of the body; an edited body needs a fresh one.
          'x-amz-crc32': String(crc32(text)),
          'content-length': String(Buffer.byteLength(text)),
        });
        res.end(text);
      };
      handle(req.headers, body, reply).catch((error: unknown) => {
        if (!res.headersSent) reply(500, JSON.stringify({ __type: 'ProxyFailure', message: String(error) }));
      });
    });
  });

  async function handle(
    headers: IncomingHttpHeaders,
    body: string,
    reply: (status: number, text: string, headers?: IncomingHttpHeaders) => void,
  ): Promise<void> {
    const target = String(headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    const attempt = /attempt=(\d+)/.exec(String(headers['amz-sdk-request'] ?? ''));
    const json = JSON.parse(body) as BatchWriteBody & { Key?: Record<string, AttributeValue> };
    const tables = Object.entries(json.RequestItems ?? {});
    const puts = tables.flatMap(([, list]) => list);
    const requestIds =
      operation === 'GetItem'
        ? [json.Key?.requestId?.S].filter((id): id is string => id !== undefined)
        : puts.map(requestIdOf).filter((id): id is string => id !== undefined);
    const fault = injector?.({ operation, requestIds, sdkAttempt: Number(attempt?.[1] ?? 1) });

    if (fault?.kind === 'throttle') {
      reply(
        400,
        JSON.stringify({
          __type: THROTTLING_ERRORS[fault.error],
          message: 'The level of configured provisioned throughput for the table was exceeded.',
        }),
      );
      return;
    }
    if (fault?.kind === 'refuse') {
      reply(
        400,
        JSON.stringify({
          __type: 'com.amazon.coral.validate#ValidationException',
          message:
            'One or more parameter values were invalid: Number overflow. Attempting to store a number with magnitude larger than supported range',
        }),
      );
      return;
    }
    const [table, sent] = tables[0] ?? [];
    if (operation === 'BatchWriteItem' && table !== undefined && sent !== undefined) {
      const kept =
        fault?.kind === 'unprocessed' ? sent.filter((w) => fault.keep(requestIdOf(w) ?? '')) : sent;
      const left = sent.filter((write) => !kept.includes(write));
      if (kept.length === 0) {
        reply(200, JSON.stringify({ UnprocessedItems: { [table]: left } }));
        return;
      }
      const answer = await forward(headers, JSON.stringify({ ...json, RequestItems: { [table]: kept } }));
      if (answer.status === 200) {
        countWrites(table, kept, answer.body);
        if (left.length > 0) {
          const parsed = JSON.parse(answer.body) as BatchWriteAnswer;
          const unprocessed = [...(parsed.UnprocessedItems?.[table] ?? []), ...left];
          reply(
            200,
            JSON.stringify({ ...parsed, UnprocessedItems: { [table]: unprocessed } }),
            answer.headers,
          );
          return;
        }
      }
      reply(answer.status, answer.body, answer.headers);
      return;
    }
    const answer = await forward(headers, body);
    reply(answer.status, answer.body, answer.headers);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setInjector(next) {
      injector = next;
    },
    writes,
    async close() {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
