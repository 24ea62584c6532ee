import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEnrichmentClient, type EnrichmentClient, type NormalizedEvent } from '../../client/index.js';
import { signatureHeaderFor } from '../../functions/webhook/signature.js';
import {
  lowerCaseHeaders,
  type ObservedResponse,
  OPENAPI_URL,
  OpenApiValidator,
} from '../contract/openapi.js';
import { type LocalProcess, startExpectingFailure, startLocalProcess } from './local-process.js';

/**
 * `npm start` as a user runs it: the server in a child process on a free port, driven over HTTP with the
 * caller client (SigV4-signed, which the local server accepts without checking). Every answer of a product
 * route is also checked against the OpenAPI document.
 */

const VISITOR_ID = 'E2eVisitor1527CUFmcn';
const LINKED_ID = 'order-e2e-1';
/** Recent enough for the sandbox's 30-day window; unique per run so the first call goes upstream. */
const REQUEST_ID = `${Date.now() - 120_000}.E2eRq${Math.floor(Math.random() * 10)}`;
const QUEUED_ID = `${Date.now() - 180_000}.E2eQu${Math.floor(Math.random() * 10)}`;
const PUSHED_ID = `${Date.now() - 240_000}.E2eWh${Math.floor(Math.random() * 10)}`;
const WEBHOOK_SECRET = 'whsec-e2e-local-run';

interface QueueAnswer {
  records: { messageId: string; body: string }[];
  batchItemFailures: { itemIdentifier: string }[];
  deadLettered: {
    Body: string;
    MessageAttributes: Record<string, { StringValue: string }>;
  }[];
}

describe('local server (npm start)', () => {
  const validator = new OpenApiValidator();
  const observed: ObservedResponse[] = [];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'fp-local-e2e-'));
  let server: LocalProcess;
  let api: EnrichmentClient;
  let history: NormalizedEvent[] = [];

  /** A fetch that keeps what the client sees, for the OpenAPI check. */
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    observed.push({
      method: init?.method ?? 'GET',
      path: url.pathname,
      status: response.status,
      headers: lowerCaseHeaders(Object.fromEntries(response.headers)),
      body: await response.clone().json(),
    });
    return response;
  };
  const connect = (url: string) =>
    createEnrichmentClient({
      baseUrl: url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCALE2E', secretAccessKey: 'not-checked-locally' },
      fetch: recordingFetch,
      maxAttempts: 1,
    });
  const start = async () => {
    server = await startLocalProcess({
      args: ['--data-dir', dataDir],
      env: { FINGERPRINT_MAX_RPS: '50', FINGERPRINT_WEBHOOK_SECRET: WEBHOOK_SECRET },
    });
    api = connect(server.url);
  };
  const local = async <T>(
    method: string,
    route: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${server.url}${route}`, {
      method,
      ...(body !== undefined && {
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      }),
    });
    return { status: response.status, body: (await response.json()) as T };
  };

  beforeAll(start, 60_000);
  afterEach(() => {
    expect(observed.flatMap((response) => validator.check(response))).toEqual([]);
    observed.length = 0;
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the OpenAPI document kept in the repository', async () => {
    const served = await local<unknown>('GET', '/openapi.json');
    expect(served.body).toEqual(JSON.parse(readFileSync(OPENAPI_URL, 'utf8')));
  });

  it('enriches a requestId through the sandbox once, then answers it from the cache', async () => {
    const first = await api.enrich({ requestId: REQUEST_ID });
    const second = await api.enrich({ requestId: REQUEST_ID });

    expect(first).toMatchObject({ source: 'fingerprint', stored: 1 });
    expect(first.events[0]).toMatchObject({
      requestId: REQUEST_ID,
      timestamp: Number(REQUEST_ID.slice(0, 13)),
      ip: expect.any(String),
      location: { city: expect.any(String), country: { code: expect.any(String) } },
      source: 'v4',
    });
    expect(second).toEqual({ ...first, source: 'cache', stored: 0 });
    await expect(api.getEvent(REQUEST_ID)).resolves.toEqual(first.events[0]);
  });

  it('enriches by linkedId: the events carrying it, newest first', async () => {
    const answer = await api.enrich({ linkedId: LINKED_ID });

    expect(answer.events.length).toBeGreaterThan(0);
    expect(answer.stored).toBe(answer.events.length);
    expect(answer.events.every((event) => event.linkedId === LINKED_ID)).toBe(true);
    const listed = await api.listEvents({ linkedId: LINKED_ID, limit: 100 });
    expect(listed.events.map((event) => event.requestId)).toEqual(
      answer.events.map((event) => event.requestId),
    );
  });

  it('enriches a visitor history and pages it with GET /visitors/{visitorId} and GET /events', async () => {
    const answer = await api.enrich({ visitorId: VISITOR_ID, maxEvents: 500 });
    history = answer.events;
    expect(history.length).toBeGreaterThanOrEqual(5);
    expect(answer.stored).toBe(history.length);

    const pageSize = Math.ceil(history.length / 3);
    const visits: string[] = [];
    let paginationKey: string | undefined;
    let pages = 0;
    do {
      const page = await api.getVisitorHistory(VISITOR_ID, {
        limit: pageSize,
        ...(paginationKey !== undefined && { paginationKey }),
      });
      visits.push(...page.visits.map((visit) => visit.requestId));
      paginationKey = page.paginationKey;
      pages += 1;
    } while (paginationKey !== undefined);
    expect(pages).toBe(3);
    expect(visits).toEqual(history.map((event) => event.requestId));

    const listed: string[] = [];
    for await (const event of api.iterateEvents({ visitorId: VISITOR_ID, limit: 10 }))
      listed.push(event.requestId);
    expect(listed).toEqual(visits);
  });

  it('answers a bad input with a 400 naming the field, and an event Fingerprint no longer has with a 404', async () => {
    await expect(api.enrich({ requestId: 'DROP\u0000TABLE events' })).rejects.toMatchObject({
      status: 400,
      code: 'ValidationFailed',
      field: 'requestId',
    });
    // Older than the sandbox keeps: a cache miss that read-through cannot resolve either.
    await expect(api.getEvent('1508102555327.Absent')).rejects.toMatchObject({
      status: 404,
      code: 'NotFound',
    });
  });

  it("answers GET /visitors/{visitorId}'s errors in v3's shape, which the caller client reads as its own", async () => {
    await expect(api.getVisitorHistory(VISITOR_ID, { limit: 501 })).rejects.toMatchObject({
      status: 400,
      code: 'ValidationFailed',
      field: 'limit',
    });
    const response = await fetch(`${server.url}/visitors/${VISITOR_ID}?limit=0`);
    expect(response.status).toBe(400);
    expect(response.headers.get('x-error-code')).toBe('ValidationFailed');
    expect(response.headers.get('x-error-field')).toBe('limit');
    expect(Object.keys((await response.json()) as object)).toEqual(['error']);
  });

  it('accepts and ignores ii, api_key and Auth-API-Key, as Fingerprint SDKs send them, and shows the key nowhere', async () => {
    const key = 'fpsk_E2eSdkKeyCanary_4vQ9';
    const plain = await fetch(`${server.url}/visitors/${VISITOR_ID}?limit=2`);
    const sdk = await fetch(
      `${server.url}/visitors/${VISITOR_ID}?limit=2&ii=fingerprint-pro-server-node-sdk%2F6.10.0&api_key=${key}`,
      { headers: { 'Auth-API-Key': key } },
    );
    const refused = await fetch(`${server.url}/visitors/${VISITOR_ID}?limit=x&api_key=${key}`, {
      headers: { 'Auth-API-Key': key },
    });

    expect(sdk.status).toBe(200);
    expect(await sdk.json()).toEqual(await plain.json());
    expect(refused.status).toBe(400);
    const refusal = await refused.text();
    expect(refusal).not.toContain(key);
    expect([...refused.headers].flat().join('\n')).not.toContain(key);
    expect(server.output()).not.toContain(key);
  });

  it('treats query parameters and headers named like Object.prototype properties as plain data, on every route', async () => {
    const routes: Array<[string, string, string?]> = [
      ['GET', `/visitors/${VISITOR_ID}`],
      ['GET', `/events?visitorId=${VISITOR_ID}`],
      ['GET', `/events/${REQUEST_ID}`],
      ['POST', '/enrich', JSON.stringify({ requestId: REQUEST_ID })],
      ['DELETE', '/visitors/NobodyE2e00000000001'],
      ['POST', '/webhooks/fingerprint', '{}'],
      ['GET', '/openapi.json'],
      ['GET', '/_local/dlq'],
      ['GET', '/no/such/route'],
    ];
    const failures: string[] = [];
    for (const [method, route, body] of routes) {
      for (const name of ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
        for (const where of ['query', 'header'] as const) {
          const url = new URL(`${server.url}${route}`);
          if (where === 'query') url.searchParams.append(name, 'x');
          const response = await fetch(url, {
            method,
            // Pairs, not an object literal: `{ __proto__: … }` would set the prototype, not a header.
            headers: [['content-type', 'application/json'], ...(where === 'header' ? [[name, 'x']] : [])] as [
              string,
              string,
            ][],
            ...(body !== undefined && { body }),
          });
          const text = await response.text();
          let json = true;
          try {
            JSON.parse(text);
          } catch {
            json = false;
          }
          if (response.status >= 500 || !json) {
            failures.push(
              `${method} ${route} with ${where} ${name}: ${response.status} ${text.slice(0, 120)}`,
            );
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(server.output()).not.toContain('Local server failure');
  });

  it('runs the queue consumer once on a batch: the good record is stored, the bad ones are dead-lettered', async () => {
    const batch = await local<QueueAnswer>('POST', '/_local/queue/enrich', {
      records: [
        { requestId: QUEUED_ID },
        { requestId: 'not\u2028a-request-id' },
        '{"requestId":',
        { requestId: '1708102555327.NLOjmg' },
      ],
    });

    expect(batch.status).toBe(200);
    const [good, invalid, malformed, expired] = batch.body.records;
    expect(batch.body.records.map((record) => record.messageId)).toEqual([
      expect.stringMatching(/^[0-9a-f-]{36}$/),
      expect.any(String),
      expect.any(String),
      expect.any(String),
    ]);
    expect(batch.body.batchItemFailures).toEqual([]);
    const reasons = Object.fromEntries(
      batch.body.deadLettered.map((message) => [
        message.MessageAttributes.sourceMessageId?.StringValue,
        {
          body: message.Body,
          code: message.MessageAttributes.failureCode?.StringValue,
          field: message.MessageAttributes.failureField?.StringValue,
          receiveCount: message.MessageAttributes.receiveCount?.StringValue,
        },
      ]),
    );
    expect(reasons).toEqual({
      [invalid?.messageId ?? '']: {
        body: invalid?.body,
        code: 'ValidationFailed',
        field: 'requestId',
        receiveCount: '1',
      },
      [malformed?.messageId ?? '']: {
        body: '{"requestId":',
        code: 'ValidationFailed',
        field: 'body',
        receiveCount: '1',
      },
      [expired?.messageId ?? '']: {
        body: expired?.body,
        code: 'NotFound',
        field: undefined,
        receiveCount: '1',
      },
    });
    expect(good?.messageId).not.toBeUndefined();
    await expect(api.getEvent(QUEUED_ID)).resolves.toMatchObject({ requestId: QUEUED_ID });

    const dlq = await local<{ messages: unknown[] }>('GET', '/_local/dlq');
    expect(dlq.body.messages).toEqual(batch.body.deadLettered);

    const refused = await local<{ error: { code: string; field: string } }>('POST', '/_local/queue/enrich', {
      records: [],
    });
    expect(refused).toMatchObject({
      status: 400,
      body: { error: { code: 'ValidationFailed', field: 'records' } },
    });
  });

  it('stores a signed webhook delivery, serves it from the cache, then erases the visitor on request', async () => {
    const visitorId = 'E2eHook1527CUFmcnjLw';
    const body = JSON.stringify({
      event_id: PUSHED_ID,
      timestamp: Number(PUSHED_ID.slice(0, 13)),
      identification: { visitor_id: visitorId },
    });
    const deliver = async (signature: string | undefined) => {
      const response = await recordingFetch(`${server.url}/webhooks/fingerprint`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          ...(signature !== undefined && { 'FPJS-Event-Signature': signature }),
        },
      });
      return { status: response.status, body: await response.json() };
    };

    expect(await deliver(undefined)).toMatchObject({
      status: 401,
      body: { error: { code: 'Unauthorized' } },
    });
    expect(await deliver(signatureHeaderFor(Buffer.from(body), [WEBHOOK_SECRET]))).toEqual({
      status: 200,
      body: { requestId: PUSHED_ID, stored: true },
    });
    const read = await recordingFetch(`${server.url}/events/${PUSHED_ID}`);
    expect(read.headers.get('x-event-source')).toBe('cache');
    await expect(api.getEvent(PUSHED_ID)).resolves.toMatchObject({ visitorId, source: 'webhook' });

    const erased = await api.eraseVisitor(visitorId);
    expect(erased).toEqual({
      visitorId,
      deleted: 1,
      erasedAt: expect.any(Number),
      upstream: { requested: false },
    });
    // The erasure covers the delivered event: it happened at or before the moment of the erasure.
    expect(erased.erasedAt).toBeGreaterThanOrEqual(Number(PUSHED_ID.slice(0, 13)));
    await expect(api.listEvents({ visitorId })).resolves.toEqual({ events: [] });
    // A redelivery of the erased visitor's event (Fingerprint retries webhooks) stores nothing again (ADR 7).
    expect(await deliver(signatureHeaderFor(Buffer.from(body), [WEBHOOK_SECRET]))).toEqual({
      status: 200,
      body: { requestId: PUSHED_ID, stored: false, reason: 'visitorErased' },
    });
    await expect(api.listEvents({ visitorId })).resolves.toEqual({ events: [] });
    // Upstream erasure is off unless the deployment enables it.
    await expect(api.eraseVisitor(visitorId, { upstream: true })).rejects.toMatchObject({
      status: 400,
      field: 'upstream',
    });
  });

  it('stores and serves ids with slashes, spaces, reserved characters and unicode over every route', async () => {
    // Every character the id rule allows that a URL treats specially: each id must travel as one component.
    const requestId = `${Date.now() - 300_000}.a/b c?d#e%20+&=é😀`;
    const visitorId = 'e2e/visitor é😀 ?#%2F..';
    const linkedId = 'order/1 + 2&x=y%3D;é';
    const body = JSON.stringify({
      event_id: requestId,
      timestamp: Number(requestId.slice(0, 13)),
      identification: { visitor_id: visitorId },
      linked_id: linkedId,
    });
    const delivered = await recordingFetch(`${server.url}/webhooks/fingerprint`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'FPJS-Event-Signature': signatureHeaderFor(Buffer.from(body), [WEBHOOK_SECRET]),
      },
    });
    expect(await delivered.json()).toEqual({ requestId, stored: true });

    await expect(api.getEvent(requestId)).resolves.toMatchObject({ requestId, visitorId, linkedId });
    const history = await api.getVisitorHistory(visitorId, { linked_id: linkedId });
    expect(history.visitorId).toBe(visitorId);
    expect(history.visits.map((visit) => visit.requestId)).toEqual([requestId]);
    const listed = await api.listEvents({ visitorId, linkedId });
    expect(listed.events.map((event) => event.requestId)).toEqual([requestId]);
    await expect(api.listEvents({ linkedId })).resolves.toMatchObject({ events: [{ requestId }] });
    await expect(api.eraseVisitor(visitorId)).resolves.toMatchObject({ visitorId, deleted: 1 });
    await expect(api.listEvents({ visitorId })).resolves.toEqual({ events: [] });
  });

  it('shuts down cleanly on SIGTERM and finds everything again after a restart', async () => {
    const stopped = await server.stop('SIGTERM');
    expect(stopped).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain('"message":"Stopped"');

    await start();
    expect(server.output()).toContain('kept from an earlier run');
    await expect(api.getEvent(REQUEST_ID)).resolves.toMatchObject({ requestId: REQUEST_ID });
    await expect(api.enrich({ requestId: QUEUED_ID })).resolves.toMatchObject({ source: 'cache', stored: 0 });
    const page = await api.getVisitorHistory(VISITOR_ID, { limit: 500 });
    expect(page.visits.map((visit) => visit.requestId)).toEqual(history.map((event) => event.requestId));
    const dlq = await local<{ messages: unknown[] }>('GET', '/_local/dlq');
    expect(dlq.body.messages).toHaveLength(3);
  }, 90_000);

  it('refuses to start on a port that is taken, and says so', async () => {
    const second = await startExpectingFailure({ args: ['--in-memory'], env: { PORT: String(server.port) } });
    expect(second.code).toBe(1);
    expect(second.output).toContain(`Port ${server.port} on 127.0.0.1 is already in use`);
  }, 60_000);
});
