/**
 * Secrets and access: the leak guard that watches the whole test run really sees output that tests capture;
 * nothing beyond the NormalizedEvent fields is stored, however rich the payload; logs at INFO carry neither IP
 * addresses nor events; and neither a forged cursor nor a foreign paginationKey reads another visitor's
 * events.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildContext } from '../../local/harness/lambda-events.js';
import { buildRecord } from '../../local/harness/sqs-events.js';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { Logger } from '../../shared/observability/logger.js';
import { encodeCursor } from '../../shared/store/cursor.js';
import { expectError, expectPlainError, jsonBody } from '../support/http-assertions.js';
import { findSecret, leakGuardState } from '../support/leak-guard.js';
import { IPV4, IPV6, parseLogLines, personalDataIn } from '../support/log-lines.js';
import { API_KEY, useService } from '../support/service.js';
import { storedItemProblem } from '../support/stored-item.js';

/** Every address the fixtures hold; none may reach a log line. */
const FIXTURE_ADDRESSES = [
  '61.127.217.15',
  '94.142.239.124',
  '94.60.143.223',
  '82.118.30.68',
  '2001:db8:3333:4444:5555:6666:7777:8888',
];

const fixture = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/fingerprint/${path}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

describe('the leak guard', () => {
  it('records what a test prints even while the test spies on stdout and the console and swallows it', () => {
    const swallowed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      swallowed.push(String(chunk));
      return true;
    });
    const consoleSpy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      swallowed.push(args.join(' '));
    });
    const logger = new Logger({ serviceName: 'leak-guard-check', logLevel: 'INFO' });
    const before = leakGuardState().pending.length;

    process.stdout.write('direct fpsk_GuardSelfTest_1\n');
    logger.info('through the logger', { key: 'fpsk_GuardSelfTest_2' });
    console.log('through the console: Authorization: Bearer fpsk_GuardSelfTest_3');
    spy.mockRestore();
    consoleSpy.mockRestore();

    const seen = leakGuardState().pending.slice(before).join('');
    // Forget these on purpose: the guard would (rightly) fail this test after it.
    leakGuardState().pending.length = before;
    expect(swallowed.join('')).toContain('fpsk_GuardSelfTest_1');
    expect(swallowed.join('')).toContain('fpsk_GuardSelfTest_3');
    for (const canary of ['fpsk_GuardSelfTest_1', 'fpsk_GuardSelfTest_2', 'fpsk_GuardSelfTest_3']) {
      expect(seen).toContain(canary);
    }
  });

  it.each([
    ['a fake key', `{"message":"${API_KEY}"}`],
    ['an Authorization header', 'authorization: Bearer abcDEF123456'],
    ['a bare Bearer token', 'sent Bearer 9f8e7d6c5b4a'],
    ['an Auth-API-Key header', '{"Auth-API-Key":"abcDEF123456"}'],
    ['an Auth-API-Key header, spelled otherwise', 'auth-api-key: abcDEF123456'],
  ])('finds %s', (_, text) => {
    expect(findSecret(text)).toEqual(expect.any(String));
  });

  it('does not quote the secret it found', () => {
    expect(findSecret(`prefix ${API_KEY}`)).not.toContain(API_KEY);
  });

  it.each([
    ['a setting name', 'store a valid key in the secret named by FINGERPRINT_SECRET_ID'],
    ['the word Bearer alone', 'v4 uses Bearer authentication'],
  ])('does not mistake %s for a secret', (_, text) => {
    expect(findSecret(text)).toBeUndefined();
  });
});

describe.each(['v4', 'v3'] as const)('what is stored and logged (Server API %s)', (apiVersion) => {
  const service = useService({ apiVersion });
  const logs: string[] = [];

  afterEach(() => {
    logs.push(service.output.text());
  });

  /** The richest payloads there are, re-dated to now so that they are stored, not skipped as expired. */
  const payloads =
    apiVersion === 'v4'
      ? [
          'v4/events/get_event_200.json',
          'v4/events/get_event_200_with_unknown_field.json',
          'v4/events/get_event_with_bot_info_200.json',
        ]
      : [
          'v3/get_event_200.json',
          'v3/get_event_200_extra_fields.json',
          'v3/get_event_200_with_unknown_field.json',
        ];

  it.each(payloads)('stores nothing of %s beyond the NormalizedEvent fields', async (path) => {
    const payload = fixture(path);
    const requestId = `${Date.now()}.Rich${String(payloads.indexOf(path)).padStart(2, '0')}`;
    const timestamp = Date.now() - 60_000;
    if (apiVersion === 'v4') Object.assign(payload, { event_id: requestId, timestamp });
    else {
      const products = payload.products as { identification: { data: Record<string, unknown> } };
      Object.assign(products.identification.data, { requestId, timestamp });
    }
    service.upstream.failNext({ kind: 'body', body: JSON.stringify(payload) }, 1, (request) =>
      request.path.endsWith(requestId),
    );

    const response = await service.call('POST', '/enrich', { body: { requestId } });

    expect(jsonBody(response)).toMatchObject({ stored: 1 });
    const Item = await service.item(requestId);
    expect(storedItemProblem(Item)).toBeUndefined();
    const text = JSON.stringify(Item);
    for (const raw of [
      'raw_device_attributes',
      'components',
      'ip_info',
      'ipInfo',
      'proximity',
      'supplementary',
    ]) {
      expect(text).not.toContain(raw);
    }
  });

  it('stores visitor histories in the same shape', async () => {
    const visitorId = `Priv${apiVersion}Visitor0000001`.slice(0, 20);
    service.upstream.seedMany(12, { visitorId, linkedId: 'privacy-order' });

    const response = await service.call('POST', '/enrich', { body: { visitorId } });

    expect(jsonBody(response)).toMatchObject({ stored: 12 });
    for (const event of jsonBody<{ events: NormalizedEvent[] }>(response).events) {
      expect(storedItemProblem(await service.item(event.requestId))).toBeUndefined();
    }
  });

  it('logs no IP address and no event at INFO, whatever the route or outcome', async () => {
    const [seed] = service.upstream.seedMany(1, { visitorId: 'LogVisitor0000000001', linkedId: 'log-order' });
    if (seed === undefined) throw new Error('no seed');
    const enrich = (body: string) => service.call('POST', '/enrich', { body });
    const query = (resource: string, pathParameters: Record<string, string>, q?: Record<string, string>) =>
      service.call('GET', resource, { params: pathParameters, ...(q && { query: q }) });
    await enrich(JSON.stringify({ requestId: seed.requestId }));
    await enrich(JSON.stringify({ visitorId: seed.visitorId }));
    await enrich('{"requestId": "61.127.217.15"}');
    await service.call('GET', `/events/${seed.requestId}`);
    await query('/visitors/{visitorId}', { visitorId: seed.visitorId });
    await query('/events', {}, { linkedId: 'log-order' });
    await service.handlers.queue(
      {
        Records: [
          buildRecord(JSON.stringify({ requestId: seed.requestId })),
          buildRecord(JSON.stringify({ linkedId: 'log-order' })),
          buildRecord('{"visitorId": "2001:db8:3333:4444:5555:6666:7777:8888"}'),
          buildRecord(JSON.stringify({ requestId: '1708102555327.Gone00' })),
        ],
      },
      buildContext(),
    );

    const text = [...logs, service.output.text()].join('\n');
    const { lines } = parseLogLines(text);
    expect(lines.length).toBeGreaterThan(10);
    for (const address of FIXTURE_ADDRESSES) expect(text).not.toContain(address);
    // A caller's own input may hold an address (the refused ids above): it is never echoed into a log line.
    expect(text).not.toMatch(IPV4);
    expect(text).not.toMatch(IPV6);
    for (const line of lines) expect(personalDataIn(line), `log line "${line.message}"`).toBeUndefined();
    expect(text).not.toContain('Mozilla/5.0');
  });
});

describe('access: cursors and pagination keys cannot be forged to read another visitor', () => {
  const service = useService();
  const visitors = { mine: 'MineVisitor000000001', theirs: 'TheirVisitor00000001' } as const;
  let theirs: NormalizedEvent[] = [];

  beforeAll(async () => {
    service.upstream.seedMany(8, { visitorId: visitors.mine, linkedId: 'mine-order' });
    service.upstream.seedMany(8, { visitorId: visitors.theirs, linkedId: 'their-order' });
    for (const visitorId of Object.values(visitors)) {
      const response = await service.call('POST', '/enrich', { body: { visitorId } });
      if (visitorId === visitors.theirs) theirs = jsonBody<{ events: NormalizedEvent[] }>(response).events;
    }
  });

  const get = (resource: string, pathParameters: Record<string, string>, query: Record<string, string>) =>
    service.call('GET', resource, { params: pathParameters, query });
  const newest = () => {
    const [event] = theirs;
    if (event === undefined) throw new Error('no events');
    return event;
  };

  it('a cursor forged for my query but pointing into their history still reads only my events', async () => {
    // The checksum needs no secret, so anyone can build a cursor that decodes.
    const cursor = encodeCursor(
      { index: 'byVisitor', visitorId: visitors.mine },
      { requestId: newest().requestId, timestamp: newest().timestamp + 1 },
    );

    const page = jsonBody<{ events: NormalizedEvent[] }>(
      await get('/events', {}, { visitorId: visitors.mine, cursor }),
    );

    expect(page.events.length).toBeGreaterThan(0);
    expect(page.events.every((event) => event.visitorId === visitors.mine)).toBe(true);
  });

  it('a cursor made for their query is refused on mine, by visitor and by linkedId', async () => {
    const position = { requestId: newest().requestId, timestamp: newest().timestamp };
    const forVisitor = encodeCursor({ index: 'byVisitor', visitorId: visitors.theirs }, position);
    const forLinkedId = encodeCursor({ index: 'byLinkedId', linkedId: 'their-order' }, position);

    expectError(
      await get('/events', {}, { visitorId: visitors.mine, cursor: forVisitor }),
      400,
      'ValidationFailed',
      'cursor',
    );
    expectError(
      await get('/events', {}, { linkedId: 'mine-order', cursor: forLinkedId }),
      400,
      'ValidationFailed',
      'cursor',
    );
  });

  it('their requestId is refused as my paginationKey and filters my history to nothing', async () => {
    expectPlainError(
      await get('/visitors/{visitorId}', { visitorId: visitors.mine }, { paginationKey: newest().requestId }),
      400,
      'ValidationFailed',
      'paginationKey',
    );
    const filtered = jsonBody<{ visits: unknown[] }>(
      await get('/visitors/{visitorId}', { visitorId: visitors.mine }, { request_id: newest().requestId }),
    );
    expect(filtered.visits).toEqual([]);
  });

  it('a linkedId that differs from theirs only by an unpaired surrogate is refused, not matched', async () => {
    const lookalike = 'their\ud800order';
    service.upstream.seedMany(2, { visitorId: visitors.theirs, linkedId: 'their\ufffdorder' });

    expectError(await get('/events', {}, { linkedId: lookalike }), 400, 'ValidationFailed', 'linkedId');
  });
});
