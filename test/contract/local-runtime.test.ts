import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { matchRoute, toProxyEvent } from '../../local/api-gateway.js';
import { loadLocalConfig } from '../../local/config.js';
import { FunctionPool } from '../../local/lambda.js';
import { buildSqsEvent, LocalDeadLetterQueue, parseBatchRequest } from '../../local/queue.js';
import { ConfigError } from '../../shared/config/env.js';

/**
 * The local runtime keeps the contracts of the AWS services it stands in for: the REST API's proxy event,
 * Lambda's one-invocation-per-instance model, SQS records and the dead-letter queue's durability.
 */

function request(rawHeaders: string[]): IncomingMessage {
  return {
    rawHeaders,
    httpVersion: '1.1',
    socket: { remoteAddress: '::ffff:127.0.0.1' },
  } as unknown as IncomingMessage;
}

describe('local API Gateway', () => {
  it('matches resources, decoding path parameters, and tells a wrong method from an unknown path', () => {
    expect(matchRoute('GET', '/visitors/Ibk1527CUFmcnjLwIs4A9')).toMatchObject({
      kind: 'route',
      route: { resource: '/visitors/{visitorId}', function: 'query' },
      pathParameters: { visitorId: 'Ibk1527CUFmcnjLwIs4A9' },
    });
    expect(matchRoute('GET', '/events/a%20b')).toMatchObject({ pathParameters: { requestId: 'a b' } });
    expect(matchRoute('GET', '/events')).toMatchObject({ route: { resource: '/events' } });
    expect(matchRoute('DELETE', '/events')).toEqual({ kind: 'method-not-allowed', allowed: ['GET'] });
    // The routes that need the Fingerprint client go to the enrich function, the webhook to its own.
    expect(matchRoute('GET', '/events/1708102555327.NLOjmg')).toMatchObject({
      route: { resource: '/events/{requestId}', function: 'enrichHttp' },
    });
    expect(matchRoute('DELETE', '/visitors/Ibk1527CUFmcnjLwIs4A9')).toMatchObject({
      route: { resource: '/visitors/{visitorId}', function: 'enrichHttp' },
      pathParameters: { visitorId: 'Ibk1527CUFmcnjLwIs4A9' },
    });
    expect(matchRoute('POST', '/webhooks/fingerprint')).toMatchObject({
      route: { resource: '/webhooks/fingerprint', function: 'webhook' },
    });
    expect(matchRoute('GET', '/webhooks/fingerprint')).toEqual({
      kind: 'method-not-allowed',
      allowed: ['POST'],
    });
    expect(matchRoute('PUT', '/visitors/x')).toEqual({
      kind: 'method-not-allowed',
      allowed: ['GET', 'DELETE'],
    });
    expect(matchRoute('GET', '/events/')).toEqual({ kind: 'no-route' });
    expect(matchRoute('GET', '/events/%E0%A4%A')).toEqual({ kind: 'bad-path' });
  });

  it('builds the REST proxy event a real API gives, request context included', () => {
    const match = matchRoute('GET', '/visitors/Ibk1527CUFmcnjLwIs4A9');
    if (match.kind !== 'route') throw new Error('no route');
    const event = toProxyEvent({
      request: request([
        'Host',
        '127.0.0.1:3000',
        'X-Trace',
        'a',
        'X-Trace',
        'b',
        'Authorization',
        'AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20261125/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00',
        'User-Agent',
        'curl/8',
      ]),
      url: new URL('http://127.0.0.1:3000/visitors/Ibk1527CUFmcnjLwIs4A9?limit=5&linked_id=a%26b&limit=7'),
      body: Buffer.alloc(0),
      match,
      requestId: '11111111-2222-3333-4444-555555555555',
      receivedAt: Date.UTC(2026, 10, 25, 12, 17, 0),
    });

    expect(event).toMatchObject({
      resource: '/visitors/{visitorId}',
      path: '/visitors/Ibk1527CUFmcnjLwIs4A9',
      httpMethod: 'GET',
      pathParameters: { visitorId: 'Ibk1527CUFmcnjLwIs4A9' },
      queryStringParameters: { limit: '7', linked_id: 'a&b' },
      multiValueQueryStringParameters: { limit: ['5', '7'], linked_id: ['a&b'] },
      headers: { Host: '127.0.0.1:3000', 'X-Trace': 'b', 'User-Agent': 'curl/8' },
      multiValueHeaders: { 'X-Trace': ['a', 'b'] },
      body: null,
      isBase64Encoded: false,
      requestContext: {
        resourcePath: '/visitors/{visitorId}',
        httpMethod: 'GET',
        stage: 'local',
        path: '/local/visitors/Ibk1527CUFmcnjLwIs4A9',
        requestId: '11111111-2222-3333-4444-555555555555',
        requestTime: '25/Nov/2026:12:17:00 +0000',
        requestTimeEpoch: Date.UTC(2026, 10, 25, 12, 17, 0),
        identity: { sourceIp: '127.0.0.1', accessKey: 'AKIDLOCAL', userAgent: 'curl/8', userArn: null },
      },
    });
  });

  it('keeps header and query names such as __proto__ as plain data: own properties, as the JSON of a real event', () => {
    const match = matchRoute('GET', '/events');
    if (match.kind !== 'route') throw new Error('no route');
    for (const name of ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
      const event = toProxyEvent({
        request: request([name, 'a', name, 'b', 'Host', '127.0.0.1:3000']),
        url: new URL(`http://127.0.0.1:3000/events?${name}=1&visitorId=v&${name}=2`),
        body: Buffer.alloc(0),
        match,
        requestId: '11111111-2222-3333-4444-555555555555',
        receivedAt: Date.UTC(2026, 10, 25, 12, 17, 0),
      });

      // Own properties like those of the JSON a Lambda gets, which survive a round trip through JSON.
      const parsed = JSON.parse(JSON.stringify(event)) as typeof event;
      expect(parsed).toEqual(event);
      expect(Object.getPrototypeOf(event.headers)).toBe(Object.prototype);
      expect(Object.entries(parsed.headers)).toEqual([
        [name, 'b'],
        ['Host', '127.0.0.1:3000'],
      ]);
      expect(Object.entries(parsed.multiValueHeaders)).toEqual([
        [name, ['a', 'b']],
        ['Host', ['127.0.0.1:3000']],
      ]);
      expect(Object.entries(parsed.queryStringParameters ?? {})).toEqual([
        [name, '2'],
        ['visitorId', 'v'],
      ]);
      expect(Object.entries(parsed.multiValueQueryStringParameters ?? {})).toEqual([
        [name, ['1', '2']],
        ['visitorId', ['v']],
      ]);
    }
  });
});

describe('local configuration of the new routes', () => {
  it('reads read-through, upstream erasure and the webhook secret from the environment', () => {
    const command = loadLocalConfig([], {
      READ_THROUGH_ENABLED: 'false',
      STORE_UPSTREAM_EVENTS: 'false',
      UPSTREAM_ERASURE_ENABLED: 'true',
      FINGERPRINT_WEBHOOK_SECRET: JSON.stringify({ secrets: ['current', 'previous'] }),
      WEBHOOK_BASIC_AUTH_ENABLED: 'false',
      FINGERPRINT_HISTORY_DAYS: '90',
      WEBHOOK_MAX_EVENT_AGE_SECONDS: '900',
    });
    if (command.kind !== 'run') throw new Error('expected a run');
    expect(command.config).toMatchObject({
      historyDays: 90,
      readThrough: false,
      storeUpstream: false,
      upstreamErasure: true,
      webhook: { basicAuth: false, maxEventAgeSeconds: 900, secrets: expect.any(Object) },
    });
  });

  it('defaults to read-through on, erasure at Fingerprint off and no webhook secret', () => {
    const command = loadLocalConfig([], {});
    if (command.kind !== 'run') throw new Error('expected a run');
    expect(command.config).toMatchObject({
      historyDays: 30,
      readThrough: true,
      storeUpstream: true,
      upstreamErasure: false,
      webhook: { basicAuth: false, maxEventAgeSeconds: 3_600 },
    });
    expect(command.config.webhook.secrets).toBeUndefined();
  });

  it('refuses a WEBHOOK_MAX_EVENT_AGE_SECONDS that would refuse Fingerprint’s own retry, naming it', () => {
    for (const value of ['60', '599', '86401', 'soon']) {
      expect(() => loadLocalConfig([], { WEBHOOK_MAX_EVENT_AGE_SECONDS: value })).toThrow(
        /WEBHOOK_MAX_EVENT_AGE_SECONDS/,
      );
    }
  });

  it('refuses an unusable FINGERPRINT_WEBHOOK_SECRET at start, naming it without its value', () => {
    const start = () => loadLocalConfig([], { FINGERPRINT_WEBHOOK_SECRET: '{"secrets": "not-a-list"}' });
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(/FINGERPRINT_WEBHOOK_SECRET\b/);
    expect(start).not.toThrow(/not-a-list/);
  });
});

describe('local Lambda', () => {
  it('runs one invocation per instance, adds instances up to the limit, and queues beyond it', async () => {
    let created = 0;
    let running = 0;
    let peak = 0;
    const pool = new FunctionPool<number, number>({
      settings: { name: 'test', timeoutMs: 5_000, memoryMb: 128, region: 'us-east-1' },
      maxInstances: 2,
      create: () => {
        created += 1;
        let busy = false;
        return async (value) => {
          if (busy) throw new Error('an instance ran two invocations at once');
          busy = true;
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 20));
          running -= 1;
          busy = false;
          return value * 2;
        };
      },
    });

    const results = await Promise.all([1, 2, 3, 4, 5].map((value) => pool.invoke(value)));

    expect(results.map((result) => (result.status === 'ok' ? result.result : result.status))).toEqual([
      2, 4, 6, 8, 10,
    ]);
    expect({ created, peak }).toEqual({ created: 2, peak: 2 });
  });

  it('reports a timed-out invocation and replaces its instance', async () => {
    let created = 0;
    const pool = new FunctionPool<number, number>({
      settings: { name: 'slow', timeoutMs: 50, memoryMb: 128, region: 'us-east-1' },
      maxInstances: 1,
      create: () => {
        created += 1;
        return (ms) => new Promise((resolve) => setTimeout(() => resolve(ms), ms));
      },
    });

    const slow = await pool.invoke(200);
    const fast = await pool.invoke(1);

    expect(slow.status).toBe('timeout');
    expect(slow.context.getRemainingTimeInMillis()).toBe(0);
    expect(fast).toMatchObject({ status: 'ok', result: 1 });
    expect(created).toBe(2);
  });
});

describe('local SQS', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fp-local-dlq-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a batch request: objects become JSON bodies, strings are sent as they are', () => {
    expect(parseBatchRequest('{"records": [{"requestId": "1708102555327.NLOjmg"}, "{oops"]}')).toEqual([
      '{"requestId":"1708102555327.NLOjmg"}',
      '{oops',
    ]);
    expect(() => parseBatchRequest('{"records": []}')).toThrow(expect.objectContaining({ field: 'records' }));
    expect(() => parseBatchRequest(`{"records": [${'1,'.repeat(10)}1]}`)).toThrow(
      expect.objectContaining({ field: 'records' }),
    );
    expect(() => parseBatchRequest('{"records": [1], "extra": 1}')).toThrow(
      expect.objectContaining({ field: 'extra' }),
    );
  });

  it('builds records as SQS delivers them', () => {
    const [record] = buildSqsEvent(['{"a":1}'], 'eu-west-1', 1_700_000_000_000).Records;
    expect(record).toMatchObject({
      messageId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      body: '{"a":1}',
      md5OfBody: createHash('md5').update('{"a":1}').digest('hex'),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1700000000000' },
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:fingerprint-enrichment-local-enrich',
      awsRegion: 'eu-west-1',
    });
  });

  it('keeps dead letters on disk before send resolves, and survives a line cut short by a crash', async () => {
    const file = path.join(dir, 'dlq.jsonl');
    const record = buildSqsEvent(['{"requestId":"x"}'], 'us-east-1').Records[0] as SQSRecord;
    await new LocalDeadLetterQueue({ file }).send(record, {
      code: 'ValidationFailed',
      message: 'bad',
      field: 'requestId',
    });
    appendFileSync(file, '{"MessageId": "cut-sho');

    const reopened = new LocalDeadLetterQueue({ file });

    expect(reopened.list()).toEqual([
      expect.objectContaining({
        Body: '{"requestId":"x"}',
        MessageAttributes: expect.objectContaining({
          failureCode: { DataType: 'String', StringValue: 'ValidationFailed' },
          failureField: { DataType: 'String', StringValue: 'requestId' },
          sourceMessageId: { DataType: 'String', StringValue: record.messageId },
          receiveCount: { DataType: 'String', StringValue: '1' },
        }),
      }),
    ]);
    expect(reopened.purge()).toBe(1);
    expect(new LocalDeadLetterQueue({ file }).list()).toEqual([]);
  });
});
