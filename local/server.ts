/**
 * `npm start`: the whole API on http://127.0.0.1:3000 (see "Run it locally" in README.md). Logs are the functions' own JSON
 * lines, plus one access-log line per request; the human-readable banner goes to stderr.
 */

import { ConfigError } from '../shared/config/env.js';
import { AppError } from '../shared/domain/errors.js';
import { Logger } from '../shared/observability/logger.js';
import { PortInUseError, startLocalServer } from './app.js';
import { type LocalConfig, loadLocalConfig, USAGE } from './config.js';
import { DataDirInUseError } from './data-lock.js';
import { TableSchemaMismatchError } from './dynamodb.js';

/** Exit codes: 2 for a wrong command line or environment, 1 for anything that stopped the start. */
const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

async function main(): Promise<void> {
  // Lambda runs Node.js 24; the SDK's notice that Node 20 will be dropped is noise for a local run.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  let config: LocalConfig;
  try {
    const command = loadLocalConfig(process.argv.slice(2), process.env);
    if (command.kind === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    config = command.config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exitCode = EXIT.usage;
    return;
  }

  const logger = new Logger({ serviceName: 'fingerprint-enrichment-local', logLevel: config.logLevel });
  let server: Awaited<ReturnType<typeof startLocalServer>>;
  try {
    server = await startLocalServer(config, logger);
  } catch (error) {
    if (
      error instanceof PortInUseError ||
      error instanceof DataDirInUseError ||
      error instanceof TableSchemaMismatchError ||
      // A FINGERPRINT_SECRET_API_KEY that cannot be a key: the message names the variable, never the value.
      error instanceof AppError
    ) {
      process.stderr.write(`Cannot start the local API: ${error.message}\n`);
      process.exitCode = EXIT.failed;
      return;
    }
    throw error;
  }

  // The banner for people, then the machine-readable "ready" line that tests and scripts wait for.
  process.stderr.write(banner(config, server));
  logger.info('Local API listening', {
    url: server.url,
    upstream: server.upstream.kind,
    dataDir: config.dataDir ?? null,
    tableName: config.tableName,
    tableCreated: server.tableCreated,
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting without waiting for requests in flight.\n`);
      process.exit(EXIT.failed);
    }
    stopping = true;
    logger.info('Shutting down: finishing requests in flight, then closing the store', { signal });
    server.close().then(
      () => {
        logger.info('Stopped', { signal });
        process.exitCode = EXIT.ok;
      },
      (error: unknown) => {
        logger.error('Shutdown failed', { error });
        process.exitCode = EXIT.failed;
      },
    );
  };
  // SIGINT: Ctrl+C, or npm passing it on; SIGTERM: `kill`, a process manager, or npm passing it on; SIGHUP: the
  // terminal closed. npm runs the script through `sh -c`, which would not pass a signal on: the script `exec`s.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
}

function banner(config: LocalConfig, server: Awaited<ReturnType<typeof startLocalServer>>): string {
  const { url } = server;
  const store =
    config.dataDir === undefined
      ? 'in memory (--in-memory): nothing is kept after this run'
      : `${config.dataDir} (${server.tableCreated ? 'created now' : 'kept from an earlier run'})`;
  const upstream = (() => {
    switch (server.upstream.kind) {
      case 'sandbox':
        return [
          `SANDBOX at ${server.upstream.baseUrl}: a deterministic stand-in for the Fingerprint Server API`,
          `             (${config.apiVersion}) that makes up plausible events for any well-formed id. No real data.`,
          '             Set FINGERPRINT_SECRET_API_KEY (and FINGERPRINT_REGION) to call Fingerprint instead.',
        ].join('\n');
      case 'custom':
        return `${server.upstream.baseUrl} (FINGERPRINT_BASE_URL, Server API ${config.apiVersion})${
          config.upstream.kind === 'custom' && config.upstream.apiKey === undefined
            ? ', with a placeholder key: FINGERPRINT_SECRET_API_KEY is not set'
            : ''
        }`;
      case 'fingerprint':
        return `Fingerprint Server API ${config.apiVersion} at ${server.upstream.baseUrl} (region ${config.region}), key from FINGERPRINT_SECRET_API_KEY`;
    }
  })();
  const webhook =
    config.webhook.secrets === undefined
      ? 'refuses every delivery: set FINGERPRINT_WEBHOOK_SECRET to receive signed ones'
      : `signing secret from FINGERPRINT_WEBHOOK_SECRET${config.webhook.basicAuth ? ', basic auth required' : ''}`;
  return `
Fingerprint event enrichment: local API
  API        ${url}  (IAM is NOT enforced locally: requests need no signature)
  Routes     POST /enrich, GET /visitors/{visitorId}, GET /events/{requestId}, GET /events?linkedId=|visitorId=,
             DELETE /visitors/{visitorId}, POST /webhooks/fingerprint
  Settings   READ_THROUGH_ENABLED=${config.readThrough}, UPSTREAM_ERASURE_ENABLED=${config.upstreamErasure}
  Webhook    ${webhook}
  OpenAPI    ${url}/openapi.json
  Queue      POST ${url}/_local/queue/enrich  {"records": [<message body>, ...]}
  DLQ        GET ${url}/_local/dlq
  DynamoDB   dynalite, table ${config.tableName}, ${store}
  Upstream   ${upstream}
  Limits     FINGERPRINT_MAX_RPS=${config.maxRps} (one budget for every function instance, in the table; at most ${config.queueMaxConcurrency} queue consumers at once), EVENT_TTL_DAYS=${config.eventTtlDays}, FINGERPRINT_HISTORY_DAYS=${config.historyDays}

  Try: curl -s -X POST ${url}/enrich -H 'Content-Type: application/json' -d '{"visitorId": "Ibk1527CUFmcnjLwIs4A9"}'
  Stop with Ctrl+C: requests in flight finish and the data is flushed first.

`;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `The local API failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = EXIT.failed;
});
