/** The local server's own routes: `/openapi.json`, and the `/_local/*` routes that stand in for SQS. */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { REPOSITORY_ROOT } from '../infra/bundling.js';
import { ValidationError } from '../shared/domain/errors.js';
import { toHttpError } from '../shared/http/errors.js';
import type { Logger } from '../shared/observability/logger.js';
import { writeJson } from './api-gateway.js';
import type { LocalConfig } from './config.js';
import { FUNCTION_SETTINGS } from './lambda.js';
import type { Pools } from './pools.js';
import { buildSqsEvent, type LocalDeadLetterQueue, parseBatchRequest, queueArn } from './queue.js';

const OPENAPI_FILE = path.join(REPOSITORY_ROOT, 'openapi', 'openapi.json');

/** What a request handler of the local server can reach. */
export interface RequestScope {
  config: LocalConfig;
  pools: Pools;
  deadLetters: LocalDeadLetterQueue;
  logger: Logger;
  region: string;
}

/** `/openapi.json` and the `/_local/*` routes that stand in for SQS. */
export async function handleLocalRoute(
  method: string,
  url: URL,
  body: Buffer,
  response: ServerResponse,
  scope: RequestScope,
  requestId: string,
): Promise<number> {
  const route = `${method} ${url.pathname}`;
  const headers = { 'x-amzn-RequestId': requestId };
  try {
    switch (route) {
      case 'GET /openapi.json': {
        // Read on each request, so an edited document is served without a restart.
        const document = await readFile(OPENAPI_FILE);
        response.writeHead(200, {
          'Content-Type': 'application/json',
          'Cache-Control': 'no-store',
          'Content-Length': String(document.length),
        });
        response.end(document);
        return 200;
      }
      case 'POST /_local/queue/enrich':
        writeJson(response, 200, await runQueueBatch(body, scope), headers);
        return 200;
      case 'GET /_local/dlq':
        writeJson(
          response,
          200,
          { queueArn: `${queueArn(scope.region)}-dlq`, messages: scope.deadLetters.list() },
          headers,
        );
        return 200;
      case 'DELETE /_local/dlq':
        writeJson(response, 200, { purged: scope.deadLetters.purge() }, headers);
        return 200;
      default:
        writeJson(
          response,
          404,
          {
            error: {
              code: 'NotFound',
              message: `No local route ${route}: GET /openapi.json, POST /_local/queue/enrich, GET or DELETE /_local/dlq.`,
            },
          },
          headers,
        );
        return 404;
    }
  } catch (error) {
    const answer = toHttpError(error);
    if (answer.statusCode >= 500) scope.logger.error('Local route failed', { route, error });
    writeJson(response, answer.statusCode, answer.body, { ...answer.headers, ...headers });
    return answer.statusCode;
  }
}

/**
 * Runs the queue consumer once on the records of a `POST /_local/queue/enrich`, as the event source mapping
 * would: one SQS event, one invocation. Records the consumer reports as failed would be delivered again by
 * SQS; a failed or timed-out invocation means all of them.
 */
async function runQueueBatch(body: Buffer, scope: RequestScope) {
  if (body.length === 0) {
    throw new ValidationError('body', 'The body is empty: send {"records": [{"requestId": "…"}, …]}.');
  }
  const event = buildSqsEvent(parseBatchRequest(body.toString('utf8')), scope.region);
  const outcome = await scope.pools.enrichQueue.invoke(event);
  const messageIds = new Set(event.Records.map((record) => record.messageId));
  const deadLettered = scope.deadLetters
    .list()
    .filter((message) => messageIds.has(message.MessageAttributes.sourceMessageId?.StringValue ?? ''));
  const everyRecord = event.Records.map((record) => ({ itemIdentifier: record.messageId }));
  const batchItemFailures = outcome.status === 'ok' ? outcome.result.batchItemFailures : everyRecord;
  scope.logger.info('Queue batch processed', {
    awsRequestId: outcome.context.awsRequestId,
    records: event.Records.length,
    failures: batchItemFailures.length,
    deadLettered: deadLettered.length,
    invocation: outcome.status,
  });
  return {
    records: event.Records.map((record) => ({ messageId: record.messageId, body: record.body })),
    batchItemFailures,
    deadLettered,
    ...(outcome.status === 'timeout' && {
      invocationError: `Task timed out after ${FUNCTION_SETTINGS.enrichQueue.timeoutMs / 1000} seconds`,
    }),
    ...(outcome.status === 'error' && {
      invocationError: outcome.error instanceof Error ? outcome.error.message : String(outcome.error),
    }),
  };
}
