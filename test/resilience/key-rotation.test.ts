import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { SQSBatchResponse } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildContext } from '../../local/harness/lambda-events.js';
import { buildRecord } from '../../local/harness/sqs-events.js';
import { expectError, jsonBody } from '../support/http-assertions.js';
import { findSecret } from '../support/leak-guard.js';
import { parseLogLines } from '../support/log-lines.js';
import { SECRET_ID, useService } from '../support/service.js';

const VISITOR_ID = 'Rot1527CUFmcnjLwIs4A9';
/** Keys that Fingerprint was rotated to; each looks like a real key, so a leak of it stands out. */
const ROTATED_KEYS = ['fpsk_RotatedKeyOne_3xQ9mW2vL7', 'fpsk_RotatedKeyTwo_8bN4kT6pZ1'];
/** A key Fingerprint does not accept, stored by mistake in the secret. */
const WRONG_KEY = 'fpsk_WrongKeyInSecret_5rJ7hD2cX9';

describe.each(['v4', 'v3'] as const)('key rotation (Server API %s)', (apiVersion) => {
  const service = useService({ apiVersion });

  beforeEach(() => {
    service.deadLettered.length = 0;
  });
  afterEach(() => {
    // Secrets Manager answers whatever key Fingerprint accepts, unless a test says otherwise.
    service.secrets
      .on(GetSecretValueCommand, { SecretId: SECRET_ID })
      .callsFake(() => ({ SecretString: service.upstream.apiKey }));
  });

  const secretFetches = () => service.secrets.commandCalls(GetSecretValueCommand).length;
  const post = (body: unknown) => service.call('POST', '/enrich', { body });
  const seed = () => {
    const [event] = service.upstream.seedMany(1, { visitorId: VISITOR_ID });
    if (event === undefined) throw new Error('no seed');
    return event;
  };

  it('POST /enrich picks up a rotated key after one 403 and answers 200', async () => {
    expect((await post({ requestId: seed().requestId })).statusCode).toBe(200);
    const fetchesBefore = secretFetches();
    service.upstream.setApiKey(ROTATED_KEYS[0] ?? '');
    service.upstream.requests.length = 0;

    const response = await post({ requestId: seed().requestId });

    expect(jsonBody(response)).toMatchObject({ source: 'fingerprint', stored: 1 });
    expect(service.upstream.requests.map((request) => request.authorized)).toEqual([false, true]);
    expect(secretFetches()).toBe(fetchesBefore + 1);
  });

  it('the queue consumer picks up a rotated key for a whole batch in one delivery', async () => {
    await post({ requestId: seed().requestId });
    service.upstream.setApiKey(ROTATED_KEYS[1] ?? '');
    service.upstream.requests.length = 0;
    const fetchesBefore = secretFetches();
    const records = Array.from({ length: 10 }, () =>
      buildRecord(JSON.stringify({ requestId: seed().requestId })),
    );

    const result = (await service.handlers.queue({ Records: records }, buildContext())) as SQSBatchResponse;

    expect(result.batchItemFailures).toEqual([]);
    expect(service.deadLettered).toEqual([]);
    const authorized = service.upstream.requests.filter((request) => request.authorized);
    expect(authorized).toHaveLength(10);
    // Concurrent 403s may each refetch, but never more than once per record.
    expect(secretFetches() - fetchesBefore).toBeGreaterThanOrEqual(1);
    expect(secretFetches() - fetchesBefore).toBeLessThanOrEqual(10);
  });

  it('POST /enrich answers 502 naming FINGERPRINT_SECRET_ID, never a key, when the secret holds a wrong key', async () => {
    service.secrets
      .on(GetSecretValueCommand, { SecretId: SECRET_ID })
      .callsFake(() => ({ SecretString: WRONG_KEY }));
    // Fingerprint moved on to a key the secret does not hold: the cached key is refused, the refetched one too.
    service.upstream.setApiKey('fpsk_KeyOnlyFingerprintKnows_1');

    const response = await post({ requestId: seed().requestId });

    const error = expectError(response, 502, 'UpstreamAuthFailed');
    expect(error.message).toContain('FINGERPRINT_SECRET_ID');
    expect(findSecret(response.body)).toBeUndefined();
    expect(service.upstream.requests.map((request) => request.authorized)).toEqual([false, false]);
    const logs = service.output.text();
    expect(logs).toContain('FINGERPRINT_SECRET_ID');
    expect(findSecret(logs)).toBeUndefined();
  });

  it('the queue consumer retries, without dead-lettering, a record refused for a wrong key, naming the setting', async () => {
    service.secrets
      .on(GetSecretValueCommand, { SecretId: SECRET_ID })
      .callsFake(() => ({ SecretString: WRONG_KEY }));
    service.upstream.setApiKey('fpsk_KeyOnlyFingerprintKnows_2');
    const record = buildRecord(JSON.stringify({ requestId: seed().requestId }));

    const result = (await service.handlers.queue({ Records: [record] }, buildContext())) as SQSBatchResponse;

    // An operator can fix the secret; until maxReceiveCount, SQS keeps the message.
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(service.deadLettered).toEqual([]);
    const { lines } = parseLogLines(service.output.text());
    const failure = lines.find((line) => line.messageId === record.messageId);
    expect(failure).toMatchObject({ level: 'WARN', errorCode: 'UpstreamAuthFailed' });
    expect(JSON.stringify(failure)).toContain('FINGERPRINT_SECRET_ID');
    expect(findSecret(service.output.text())).toBeUndefined();
  });

  it.each([
    ['holds a key with a space', 'fpsk_half key'],
    ['holds JSON without an apiKey', '{"key": "fpsk_MisnamedField_4t"}'],
    ['holds malformed JSON', '{"apiKey": "fpsk_Unclosed_7y'],
  ])('answers 502 naming FINGERPRINT_SECRET_ID, value not shown, when the secret %s', async (_, value) => {
    service.secrets
      .on(GetSecretValueCommand, { SecretId: SECRET_ID })
      .callsFake(() => ({ SecretString: value }));
    service.upstream.setApiKey(`fpsk_MovedOn_${value.length}`);

    const response = await post({ requestId: seed().requestId });

    const error = expectError(response, 502, 'UpstreamAuthFailed');
    expect(error.message).toContain('FINGERPRINT_SECRET_ID');
    expect(response.body).not.toContain(value);
    expect(service.output.text()).not.toContain(value);
  });
});
