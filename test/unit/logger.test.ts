import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createLogger,
  injectLambdaContext,
  Logger,
  SERVICE_NAME,
} from '../../shared/observability/logger.js';

/** What each stream received, one parsed JSON object per line. */
function captureStreams() {
  const written = { stdout: [] as string[], stderr: [] as string[] };
  for (const name of ['stdout', 'stderr'] as const) {
    vi.spyOn(process[name], 'write').mockImplementation((chunk) => {
      written[name].push(String(chunk));
      return true;
    });
  }
  const parse = (chunks: string[]) => {
    for (const chunk of chunks)
      expect(chunk.endsWith('\n') && chunk.indexOf('\n') === chunk.length - 1).toBe(true);
    return chunks.map((chunk) => JSON.parse(chunk) as Record<string, unknown>);
  };
  return { stdout: () => parse(written.stdout), stderr: () => parse(written.stderr) };
}

function buildContext(requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'enrich-http',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:enrich-http',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/enrich-http',
    logStreamName: '2026/11/25/[$LATEST]abc',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('Logger', () => {
  it('writes one JSON line with the level, message, time, service and the attributes', () => {
    const output = captureStreams();

    createLogger('INFO').info('Record enriched', { messageId: 'm-1', stored: 3 });

    const [line] = output.stdout();
    expect(line).toEqual({
      level: 'INFO',
      message: 'Record enriched',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      service: SERVICE_NAME,
      messageId: 'm-1',
      stored: 3,
    });
    expect(output.stderr()).toEqual([]);
  });

  it('writes nothing below its level, and nothing at all when SILENT', () => {
    const output = captureStreams();
    const warnOnly = createLogger('WARN');
    warnOnly.debug('debug');
    warnOnly.info('info');
    warnOnly.warn('warn');
    const silent = createLogger('SILENT');
    silent.error('error');

    expect(output.stdout()).toEqual([]);
    expect(output.stderr().map((line) => line.message)).toEqual(['warn']);
  });

  it('sends WARN and ERROR to stderr and the rest to stdout', () => {
    const output = captureStreams();
    const logger = createLogger('DEBUG');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');

    expect(output.stdout().map((line) => line.level)).toEqual(['DEBUG', 'INFO']);
    expect(output.stderr().map((line) => line.level)).toEqual(['WARN', 'ERROR']);
  });

  it('keeps its own keys when an attribute has the same name', () => {
    const output = captureStreams();

    createLogger('INFO').info('kept', { message: 'replaced?', level: 'DEBUG', service: 'other', extra: 1 });

    expect(output.stdout()[0]).toMatchObject({
      message: 'kept',
      level: 'INFO',
      service: SERVICE_NAME,
      extra: 1,
    });
  });

  it('logs an error as its name, message, stack and cause', () => {
    const output = captureStreams();
    const error = new TypeError('upstream answered 502', { cause: new Error('socket hang up') });

    createLogger('INFO').error('Request failed', { error });

    expect(output.stderr()[0]?.error).toEqual({
      name: 'TypeError',
      message: 'upstream answered 502',
      stack: expect.stringContaining('TypeError: upstream answered 502'),
      cause: { name: 'Error', message: 'socket hang up', stack: expect.stringContaining('socket hang up') },
    });
  });

  it('never throws on attributes JSON cannot hold, and says so in the line', () => {
    const output = captureStreams();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;

    expect(() => createLogger('INFO').info('odd', { cyclic, big: 10n })).not.toThrow();

    expect(output.stdout()[0]).toMatchObject({
      message: 'odd',
      logError: expect.stringContaining('not serializable'),
    });
  });

  it("adds the invocation's X-Ray trace id", () => {
    vi.stubEnv(
      '_X_AMZN_TRACE_ID',
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    );
    const output = captureStreams();

    createLogger('INFO').info('traced');

    expect(output.stdout()[0]?.xray_trace_id).toBe('1-5759e988-bd862e3fe1be46a994272793');
  });

  it('takes a service name', () => {
    const output = captureStreams();

    new Logger({ serviceName: 'fingerprint-enrichment-local', logLevel: 'INFO' }).info('listening');

    expect(output.stdout()[0]?.service).toBe('fingerprint-enrichment-local');
  });
});

describe('injectLambdaContext', () => {
  it("adds the Lambda context to the lines of an invocation only, cold start on the process's first", async () => {
    const logger = createLogger('INFO');
    const handler = middy<unknown, string>()
      .use(injectLambdaContext(logger))
      .handler(async (event) => {
        logger.info('inside');
        if (event === 'fail') throw new Error('handler failed');
        return 'ok';
      });
    const output = captureStreams();

    await handler('first', buildContext('req-1'));
    await expect(handler('fail', buildContext('req-2'))).rejects.toThrow('handler failed');
    logger.info('outside');

    const lines = output.stdout();
    expect(lines[0]).toMatchObject({
      message: 'inside',
      function_name: 'enrich-http',
      function_arn: 'arn:aws:lambda:eu-west-1:123456789012:function:enrich-http',
      function_memory_size: 512,
      function_request_id: 'req-1',
      cold_start: true,
    });
    expect(lines[1]).toMatchObject({ function_request_id: 'req-2', cold_start: false });
    expect(lines[2]?.message).toBe('outside');
    expect(lines[2]).not.toHaveProperty('function_request_id');
    expect(lines[2]).not.toHaveProperty('cold_start');
  });
});
