import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../shared/store/schema.js';

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

// dynalite is CommonJS without type declarations; this is the one call made to it.
const dynalite = createRequire(import.meta.url)('dynalite') as (options?: DynaliteOptions) => Server;

/** Local DynamoDB has no account: any credentials sign requests it accepts. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface EmbeddedDynamoDb {
  endpoint: string;
  client: DynamoDBClient;
  /** Stops serving, waits for pending writes and closes the LevelDB store (flushed to disk). */
  close(): Promise<void>;
}

/**
 * Starts dynalite in this process on a loopback port: backed by LevelDB under `dataPath` so that data survives
 * a restart, or in memory when `dataPath` is undefined.
 */
export async function startEmbeddedDynamoDb(options: {
  dataPath: string | undefined;
  region: string;
}): Promise<EmbeddedDynamoDb> {
  const server = dynalite({
    ...(options.dataPath !== undefined && { path: options.dataPath }),
    // Tables are ACTIVE at once: the cloud's CREATING state only slows a local start down.
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: options.region, credentials: LOCAL_CREDENTIALS });
  return {
    endpoint,
    client,
    async close() {
      client.destroy();
      // Requests still in flight (a function's off-path write, such as the limiter releasing its seat after the
      // last answer) finish first: cutting them would make dynalite write to its closed store and throw. Idle
      // kept-alive sockets close now; whatever is still open after a second is cut.
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
    },
  };
}

/** The existing table was made from another key schema (an older checkout, another tool). */
export class TableSchemaMismatchError extends Error {
  constructor(tableName: string, difference: string) {
    super(
      `The table ${tableName} in the local data does not match the shared key schema (${difference}). ` +
        'Start with --in-memory, or move the data directory away to start from an empty one.',
    );
    this.name = 'TableSchemaMismatchError';
  }
}

/**
 * Creates the events table from the shared key schema, or checks that the one kept from an earlier run still
 * matches it.
 * @returns whether the table was created now.
 */
export async function ensureEventTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  const expected = createTableInput(tableName);
  let existing: TableDescription | undefined;
  try {
    existing = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  if (existing !== undefined) {
    const difference = schemaDifference(expected, existing);
    if (difference !== undefined) throw new TableSchemaMismatchError(tableName, difference);
    return false;
  }
  await client.send(new CreateTableCommand(expected));
  return true;
}

function schemaDifference(expected: CreateTableCommandInput, actual: TableDescription): string | undefined {
  const keys = (schema: { AttributeName?: string | undefined; KeyType?: string | undefined }[] | undefined) =>
    JSON.stringify((schema ?? []).map((key) => [key.AttributeName, key.KeyType]));
  if (keys(expected.KeySchema) !== keys(actual.KeySchema)) return 'key schema';
  // The projection too: an index that still projects everything (before the upstream copies were kept out of
  // the indexes) would carry them into every history read.
  const indexes = (
    list: {
      IndexName?: string | undefined;
      KeySchema?: typeof expected.KeySchema;
      Projection?: { ProjectionType?: string | undefined; NonKeyAttributes?: string[] | undefined };
    }[] = [],
  ) =>
    JSON.stringify(
      list
        .map((index) => [
          index.IndexName,
          keys(index.KeySchema),
          index.Projection?.ProjectionType,
          [...(index.Projection?.NonKeyAttributes ?? [])].sort(),
        ])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
  if (indexes(expected.GlobalSecondaryIndexes) !== indexes(actual.GlobalSecondaryIndexes)) {
    return 'global secondary indexes';
  }
  const types = (
    definitions: { AttributeName?: string | undefined; AttributeType?: string | undefined }[] = [],
  ) => JSON.stringify(definitions.map((d) => [d.AttributeName, d.AttributeType]).sort());
  if (types(expected.AttributeDefinitions) !== types(actual.AttributeDefinitions)) {
    return 'attribute types';
  }
  return undefined;
}
