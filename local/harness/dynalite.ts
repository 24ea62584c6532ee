/**
 * dynalite (an in-memory DynamoDB) on loopback, with a table of the service's key schema: the tests' and the
 * bench's DynamoDB.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createTableInput } from '../../shared/store/schema.js';

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

type Dynalite = (options?: DynaliteOptions) => Server;

// dynalite is CommonJS without type declarations; this is the one call we make.
const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite;

/**
 * A Scan filter that keeps the events only: the table also holds erasure and history sync records, the upstream
 * budget's `limiter#` items and the `lease#` items of coalesced fetches, none of which has a visitorId.
 */
export const EVENTS_ONLY = { FilterExpression: 'attribute_exists(visitorId)' } as const;

/** A running in-memory DynamoDB on loopback, with clients pointed at it. */
export interface DynaliteHandle {
  endpoint: string;
  client: DynamoDBClient;
  /** Drops `undefined` values, as the service's own document client does. */
  documentClient: DynamoDBDocumentClient;
  /** Creates an events table from the shared key schema and waits until it is active. */
  createTable(name?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts dynalite in memory on 127.0.0.1 and an ephemeral port. Tables are created active at once, so a
 * suite can create a fresh table per test.
 */
export async function startDynalite(): Promise<DynaliteHandle> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const documentClient = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });

  async function createTable(name = `events-${randomUUID()}`): Promise<string> {
    await client.send(new CreateTableCommand(createTableInput(name)));
    for (let attempt = 0; attempt < 100; attempt++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      if (Table?.TableStatus === 'ACTIVE') return name;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`Table ${name} did not become active`);
  }

  async function close(): Promise<void> {
    documentClient.destroy();
    client.destroy();
    // Requests still in flight (a function's off-path write, such as the limiter releasing its seat after the
    // test's last answer) finish first: cutting them would make dynalite write to its closed store and throw
    // outside any test. Idle kept-alive sockets close now; whatever is still open after a second is cut.
    const closed = new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
    server.closeIdleConnections();
    const cut = setTimeout(() => server.closeAllConnections(), 1_000);
    try {
      await closed;
    } finally {
      clearTimeout(cut);
    }
  }

  return { endpoint, client, documentClient, createTable, close };
}
